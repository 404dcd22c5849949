import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPendingSeeds } from '../../core/deploy/apply.ts';
import { installProcessGuards } from '../../core/process-guards.ts';
import type { CommandSpec } from '../command.ts';
import { flag, integerOption, UsageError } from '../command.ts';
import { writeLaunchPage, type LaunchPage } from '../web/launch-page.ts';
import { openBrowser } from '../web/open-browser.ts';
import { startWebHost } from '../web/server.ts';

/** out/renderer, built by `npm run build:renderer` (or `npm run build`). */
export const RENDERER_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'out',
  'renderer',
);

export const uiCommands: CommandSpec[] = [
  {
    path: ['ui'],
    summary:
      'The desktop UI in a browser: serves it on 127.0.0.1 behind a one-time sign-in link and runs the agent',
    usage: '[--port N] [--no-open]',
    options: { port: { type: 'string', short: 'p' }, 'no-open': { type: 'boolean' } },
    details: [
      '--port N     port on 127.0.0.1 (default: a free one)',
      '--no-open    print the URL without opening a browser',
      'The URL signs in one browser, once; anyone without it is refused. The browser is started',
      'on a private local page that leads to it, so the URL never shows in the process list.',
      'Ctrl-C stops the agent and the UI.',
    ],
    daemon: true,
    async run(ctx, args) {
      const port = integerOption(args, 'port', 0)!;
      if (port < 0 || port > 65535)
        throw new UsageError(`--port must be between 0 and 65535, got ${port}`);
      const agent = await ctx.agent();
      // Left installed if the start fails: main() then returns and the process ends.
      const removeGuards = installProcessGuards(agent.context.log.child('process'));
      // Like `outpost run` and the tray app: a silent install's pairing parameters apply once.
      for (const seed of await applyPendingSeeds(agent)) {
        ctx.progress(`installer seed ${seed.source}: ${seed.status}`);
      }
      const host = await startWebHost({
        agent,
        staticDir: process.env.OUTPOST_UI_DIR ?? RENDERER_DIR,
        port,
      });
      agent.context.log.info('web UI listening', { port: host.port });
      ctx.progress(`Outpost UI: ${host.url}`);
      let launch: LaunchPage | undefined;
      try {
        if (!flag(args, 'no-open')) {
          launch = await writeLaunchPage(host.url);
          const page = launch;
          host.onSignIn(() => void page.remove().catch(() => undefined));
          if (!(await openBrowser(launch.path))) {
            ctx.progress('No browser could be started here: open the URL above yourself.');
          }
        }
        ctx.progress('The agent is running (Ctrl-C to stop).');
        await agent.run(ctx.signal);
        if (!ctx.signal.aborted) {
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
        }
      } finally {
        await launch?.remove();
        await host.close();
        removeGuards();
      }
      return { data: { stopped: true, port: host.port }, human: 'Stopped.' };
    },
  },
];
