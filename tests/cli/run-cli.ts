import { spawn } from 'node:child_process';

/** The built `outpost` bin (issue #17), built by vitest's globalSetup (./global-setup.ts). */
export const CLI = builtCli();

function builtCli(): string {
  const path = process.env.OUTPOST_TEST_CLI;
  if (path === undefined || path === '')
    throw new Error(
      'OUTPOST_TEST_CLI is not set: run the tests with vitest, whose globalSetup builds the CLI',
    );
  return path;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `outpost` command in a child process (the way admins' scripts do). */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
  /** Piped to stdin (otherwise stdin is /dev/null). */
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
