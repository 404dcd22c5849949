import { spawn } from 'node:child_process';
import { nowSeconds, type EpochSeconds } from '../clock.ts';
import { AgentError } from '../contract/errors.ts';

export interface RunCommandOptions {
  /** Program and arguments; no shell unless `shell` is true (then argv[0] is the whole command line). */
  argv: string[];
  shell?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Captured stdout+stderr bytes beyond this are discarded (the child keeps running). */
  maxOutputBytes: number;
  signal?: AbortSignal;
  stdin?: string;
}

export interface RunCommandResult {
  /** Exit code, or undefined when killed by a signal. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES…). */
  spawnError: string | undefined;
  startedAt: EpochSeconds;
  endedAt: EpochSeconds;
}

/** Grace between SIGTERM and SIGKILL of the process group after a timeout. */
const KILL_GRACE_MS = 2_000;

/**
 * Runs a program with a hard timeout that kills its whole process tree (it is
 * started as a process-group leader; on Windows `taskkill /T`), and caps what
 * it may print. Used by local checks, Gorgone COMMAND and Icinga ExecuteCommand.
 */
export function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const [program, ...args] = options.argv;
  if (program === undefined || program === '') {
    throw new AgentError('invalid-request', 'command must name a program', { field: 'command' });
  }
  const startedAt = nowSeconds();
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      shell: options.shell === true,
      cwd: options.cwd,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      detached: process.platform !== 'win32',
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let captured = 0;
    let truncated = false;
    let timedOut = false;
    let spawnError: string | undefined;
    const take = (into: Buffer[]) => (chunk: Buffer) => {
      const room = options.maxOutputBytes - captured;
      if (room <= 0) {
        truncated = true;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (kept.length < chunk.length) truncated = true;
      captured += kept.length;
      into.push(kept);
    };
    child.stdout?.on('data', take(out));
    child.stderr?.on('data', take(err));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);

    const killTree = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        if (process.platform === 'win32') {
          spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true });
        } else {
          process.kill(-child.pid, signal);
        }
      } catch {
        // already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      killTree('SIGTERM');
      killTimer = setTimeout(() => killTree('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = (): void => stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('error', (error) => {
      spawnError = error.message;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // Descendants that outlived their parent go too, also after a normal end: a
      // check or a remote command leaves nothing running behind it. (The group
      // outlives its leader while members remain; once empty, kill() says ESRCH.)
      if (timedOut || options.signal?.aborted === true || process.platform !== 'win32')
        killTree('SIGKILL');
      resolve({
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        truncated,
        timedOut,
        spawnError,
        startedAt,
        endedAt: nowSeconds(),
      });
    });
  });
}
