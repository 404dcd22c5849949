/**
 * Loaded with `node --import` ahead of the CLI: records the URL of every
 * module the process loads (ES modules and require()) and writes them, one a
 * line, to $OUTPOST_RECORD_MODULES when it exits.
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
process.on('exit', () => writeFileSync(process.env.OUTPOST_RECORD_MODULES!, urls.join('\n')));
