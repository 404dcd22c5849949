import type { SchedulerClock } from '../../../main/core/checks/scheduler.ts';

/** A wall clock the test moves by hand; `jump` is a machine waking from sleep. */
export class ManualClock implements SchedulerClock {
  #now: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward step by step, firing timers as they fall due, letting promises settle in between. */
  async advance(ms: number, step = 100): Promise<void> {
    const end = this.#now + ms;
    while (this.#now < end) {
      this.#now = Math.min(end, this.#now + step);
      await this.fire();
    }
  }

  /** The wall clock jumps (suspend/resume): pending timers fire once, late. */
  async jump(ms: number): Promise<void> {
    this.#now += ms;
    await this.fire();
  }

  async fire(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const due = [...this.#timers].filter(([, t]) => t.at <= this.#now);
      if (due.length === 0) break;
      for (const [id, t] of due) {
        this.#timers.delete(id);
        t.fn();
      }
      await settle();
    }
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
