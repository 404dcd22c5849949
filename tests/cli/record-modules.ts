/**
 * Loaded with `node --import` ahead of the CLI: records the URL of every
 * module the process loads (ES modules and require()) and writes them, one a
 * line, to $OUTPOST_RECORD_MODULES when it exits, with every built-in module
 * it loaded as node:NAME (the build fetches those with
 * process.getBuiltinModule, which module hooks do not see).
 */
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const urls: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    urls.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  // Node's own list of the built-in modules this process loaded ("NativeModule tls"…).
  const loadList = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
  const builtins = loadList
    .filter((entry) => entry.startsWith('NativeModule '))
    .map((entry) => `node:${entry.slice('NativeModule '.length)}`);
  writeFileSync(process.env.OUTPOST_RECORD_MODULES!, [...urls, ...builtins].join('\n'));
});
