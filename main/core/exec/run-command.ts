import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { nowSeconds, type EpochSeconds } from '../clock.ts';
import { AgentError } from '../contract/errors.ts';
import { processesMarked } from './marked-processes.ts';

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
  /**
   * Set when the run was given up: its output was still open after the
   * timeout, the grace and a SIGKILL of the process group. What still runs
   * then has left the group (setsid, daemons) and is left running: these
   * (`pid 1234 (sleep 12)`), an empty list where the platform cannot tell.
   */
  leftRunning: string[] | undefined;
}

/** Grace between SIGTERM and SIGKILL of the process group after a timeout. */
const KILL_GRACE_MS = 2_000;
/** After that SIGKILL, how long the group may take to die and close the pipes before the run is given up. */
const PIPE_CLOSE_MS = 200;
/** In every run's environment (inherited by all its descendants), to name what a given-up run left running. */
export const RUN_MARKER = 'OUTPOST_RUN_ID';

/** For a message: what a given-up run left running ('' when the run was not given up). */
export function leftRunningNote(run: Pick<RunCommandResult, 'leftRunning'>): string {
  if (run.leftRunning === undefined) return '';
  if (run.leftRunning.length === 0)
    return '; a process that left the process group still held the output and was left running';
  return `; left running (it left the process group and held the output): ${run.leftRunning.join(', ')}`;
}

/**
 * Runs a program with a hard timeout that kills its whole process tree (it is
 * started as a process-group leader; on Windows `taskkill /T`), and caps what
 * it may print. Used by local checks, Gorgone COMMAND and Icinga ExecuteCommand.
 * The run ends at EOF on the output, like Icinga's, but never later than the
 * timeout plus KILL_GRACE_MS (plus PIPE_CLOSE_MS): whatever still holds the
 * pipes then has escaped the group, and the pipes are closed on our side.
 */
export function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const [program, ...args] = options.argv;
  if (program === undefined || program === '') {
    throw new AgentError('invalid-request', 'command must name a program', { field: 'command' });
  }
  const startedAt = nowSeconds();
  const runId = randomUUID();
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      shell: options.shell === true,
      cwd: options.cwd,
      env: { ...process.env, ...options.env, [RUN_MARKER]: runId },
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
    let giveUpTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (killTimer !== undefined) return;
      killTree('SIGTERM');
      killTimer = setTimeout(() => {
        killTree('SIGKILL');
        giveUpTimer = setTimeout(giveUp, PIPE_CLOSE_MS);
      }, KILL_GRACE_MS);
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
    // The leader's status, for a run given up before 'close'.
    let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
    child.once('exit', (code, signal) => {
      exit = { code, signal };
    });
    let settled = false;
    const finish = (leftRunning: string[] | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(giveUpTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // Descendants that outlived their parent go too, also after a normal end: a
      // check or a remote command leaves nothing running behind it. (The group
      // outlives its leader while members remain; once empty, kill() says ESRCH.)
      if (timedOut || options.signal?.aborted === true || process.platform !== 'win32')
        killTree('SIGKILL');
      resolve({
        exitCode: exit.code ?? undefined,
        signal: exit.signal ?? undefined,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        truncated,
        timedOut,
        spawnError,
        startedAt,
        endedAt: nowSeconds(),
        leftRunning,
      });
    };
    function giveUp(): void {
      const left = processesMarked(RUN_MARKER, runId);
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
      finish(left ?? []);
    }
    child.once('close', (code, signal) => {
      exit = { code, signal };
      finish(undefined);
    });
  });
}
