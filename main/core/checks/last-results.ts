import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inBackground } from '../background.ts';
import { toAgentError } from '../contract/errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import type { TargetDelivery } from '../contract/checks.ts';
import type { CheckResult } from '../contract/check-results.ts';
import type { Logger } from '../log.ts';
import { ownValue } from '../own.ts';

export interface LastRun {
  result: CheckResult;
  deliveries: TargetDelivery[];
}

/**
 * The last result of every check and what became of it per target, kept in
 * `<data>/checks-state.json` so `outpost check list` (another process) sees
 * what the daemon ran. Writes are coalesced: with many checks the file is
 * written at most every FLUSH_DELAY_MS.
 */
const FLUSH_DELAY_MS = 2_000;

export class LastResults {
  readonly #path: string;
  readonly #log: Logger;
  #runs: Record<string, LastRun> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string, log: Logger) {
    this.#path = join(dataDir, 'checks-state.json');
    this.#log = log;
  }

  /** Re-reads the file (another process may have written it) unless changes are pending. */
  all(): Record<string, LastRun> {
    if (this.#timer === undefined) this.#runs = this.#read();
    return this.#runs ?? {};
  }

  get(check: string): LastRun | undefined {
    return ownValue(this.all(), check);
  }

  record(check: string, run: LastRun): void {
    const runs = this.all();
    runs[check] = run;
    this.#runs = runs;
    this.#flushSoon();
  }

  forget(check: string): void {
    const runs = this.all();
    if (!Object.hasOwn(runs, check)) return;
    delete runs[check];
    this.#runs = runs;
    this.#flushSoon();
  }

  rename(from: string, to: string): void {
    const runs = this.all();
    const run = ownValue(runs, from);
    if (run === undefined || from === to) return;
    delete runs[from];
    runs[to] = run;
    this.#runs = runs;
    this.#flushSoon();
  }

  #flushSoon(): void {
    this.#timer ??= setTimeout(
      () => inBackground(this.#log, 'saving the last check results', () => this.flush()),
      FLUSH_DELAY_MS,
    ).unref();
  }

  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const snapshot = JSON.stringify(this.#runs ?? {});
    this.#writing = this.#writing
      .then(() => writeFileAtomic(this.#path, snapshot, 0o600))
      .catch((error: unknown) =>
        // The next change writes again; `check list` shows older results meanwhile.
        this.#log.warn('cannot save the last check results', {
          path: this.#path,
          error: toAgentError(error).message,
        }),
      );
    await this.#writing;
  }

  #read(): Record<string, LastRun> {
    try {
      return JSON.parse(readFileSync(this.#path, 'utf8')) as Record<string, LastRun>;
    } catch {
      return {};
    }
  }
}
