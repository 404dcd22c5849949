import { spawn } from 'node:child_process';

/** The desktop's "open this" command for a URL or a file. */
function browserCommand(
  target: string,
  platform: NodeJS.Platform = process.platform,
): [string, string[]] {
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', target]];
  if (platform === 'darwin') return ['open', [target]];
  return ['xdg-open', [target]];
}

/** Starts the browser on `target`; false when there is no opener (a server without a desktop). */
export function openBrowser(
  target: string,
  platform: NodeJS.Platform = process.platform,
): Promise<boolean> {
  const [command, args] = browserCommand(target, platform);
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { detached: true, stdio: 'ignore' });
      // A missing opener is reported as an 'error' event, not a throw.
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
