import { describe, expect, it } from 'vitest';
import { CheckScheduler, INITIAL_SPREAD_MS } from '../../../main/core/checks/scheduler.ts';
import { ManualClock, settle } from './manual-clock.ts';

interface Def {
  name: string;
  interval: number;
}

function setup(options: { maxConcurrent?: number; runMs?: number; random?: () => number } = {}) {
  const clock = new ManualClock();
  const runs: Array<{ name: string; scheduledAt: number; startedAt: number }> = [];
  const running = new Map<string, number>();
  let maxParallelSameCheck = 0;
  let maxParallel = 0;
  const skips: string[] = [];
  const scheduler = new CheckScheduler<Def>({
    clock,
    maxConcurrent: options.maxConcurrent ?? 16,
    ...(options.random === undefined ? {} : { random: options.random }),
    onSkip: (d) => skips.push(d.name),
    execute: async (d, scheduledAt) => {
      runs.push({ name: d.name, scheduledAt, startedAt: clock.now() });
      running.set(d.name, (running.get(d.name) ?? 0) + 1);
      maxParallelSameCheck = Math.max(maxParallelSameCheck, running.get(d.name)!);
      maxParallel = Math.max(
        maxParallel,
        [...running.values()].reduce((a, b) => a + b, 0),
      );
      const runMs = options.runMs ?? 0;
      if (runMs > 0) {
        await new Promise<void>((resolve) => clock.setTimer(resolve, runMs));
      }
      running.set(d.name, running.get(d.name)! - 1);
    },
  });
  return { clock, scheduler, runs, skips, stats: () => ({ maxParallelSameCheck, maxParallel }) };
}

describe('check scheduler', () => {
  it('spreads first runs over the interval instead of starting everything at once', async () => {
    let seed = 1;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const { clock, scheduler, runs } = setup({ random });
    const start = clock.now();
    scheduler.setDefinitions(
      Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, interval: 10 })),
    );
    scheduler.start();
    await clock.advance(10_000);
    expect(new Set(runs.map((r) => r.name)).size).toBe(100);
    // Per second of the first interval: never more than a third of the checks.
    const perSecond = new Map<number, number>();
    for (const r of runs)
      perSecond.set(
        Math.floor((r.scheduledAt - start) / 1000),
        (perSecond.get(Math.floor((r.scheduledAt - start) / 1000)) ?? 0) + 1,
      );
    expect(Math.max(...perSecond.values())).toBeLessThan(34);
    expect(perSecond.size).toBeGreaterThanOrEqual(8);
    await scheduler.stop();
  });

  it('caps the first-run spread for long intervals', async () => {
    const { clock, scheduler, runs } = setup({ random: () => 0.999 });
    const start = clock.now();
    scheduler.setDefinitions([{ name: 'hourly', interval: 3600 }]);
    scheduler.start();
    await clock.advance(INITIAL_SPREAD_MS + 1000, 1000);
    expect(runs.map((r) => r.scheduledAt - start)).toEqual([Math.floor(0.999 * INITIAL_SPREAD_MS)]);
    await scheduler.stop();
  });

  it('runs each check every interval', async () => {
    const { clock, scheduler, runs } = setup({ random: () => 0 });
    const start = clock.now();
    scheduler.setDefinitions([
      { name: 'fast', interval: 5 },
      { name: 'slow', interval: 20 },
    ]);
    scheduler.start();
    await clock.advance(60_000);
    const at = (name: string) =>
      runs.filter((r) => r.name === name).map((r) => (r.scheduledAt - start) / 1000);
    expect(at('fast')).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
    expect(at('slow')).toEqual([0, 20, 40, 60]);
    await scheduler.stop();
  });

  it('never runs the same check twice at once: a slot during a long run is skipped', async () => {
    const { clock, scheduler, runs, skips, stats } = setup({ random: () => 0, runMs: 12_000 });
    scheduler.setDefinitions([{ name: 'slowpoke', interval: 5 }]);
    scheduler.start();
    await clock.advance(30_000);
    expect(stats().maxParallelSameCheck).toBe(1);
    expect(skips.length).toBeGreaterThan(0);
    // Runs at 0, then the first free slot after each 12 s run: 15, 30.
    expect(runs.length).toBe(3);
    const stopped = scheduler.stop();
    await clock.advance(15_000);
    await stopped;
  });

  it('after the machine slept, an overdue check runs once, then keeps its interval from then on', async () => {
    const { clock, scheduler, runs } = setup({ random: () => 0 });
    const start = clock.now();
    scheduler.setDefinitions([{ name: 'c', interval: 10 }]);
    scheduler.start();
    await clock.advance(25_000);
    expect(runs.length).toBe(3);
    // Suspended for one hour: 360 slots missed.
    await clock.jump(3_600_000);
    expect(runs.length).toBe(4);
    const wake = clock.now();
    await clock.advance(25_000);
    // The slot due at 30 s ran once, late; then every 10 s from the wake-up.
    expect(runs.slice(3).map((r) => (r.scheduledAt - start) / 1000)).toEqual([
      30,
      (wake - start) / 1000 + 10,
      (wake - start) / 1000 + 20,
    ]);
    await scheduler.stop();
  });

  it('limits concurrent runs; the others wait their turn in order', async () => {
    const { clock, scheduler, runs, stats } = setup({
      random: () => 0,
      maxConcurrent: 2,
      runMs: 1000,
    });
    scheduler.setDefinitions(['a', 'b', 'c', 'd'].map((name) => ({ name, interval: 60 })));
    scheduler.start();
    await clock.advance(5_000);
    expect(stats().maxParallel).toBe(2);
    expect(runs.map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(runs.map((r) => r.startedAt - runs[0]!.startedAt)).toEqual([0, 0, 1000, 1000]);
    const stopped = scheduler.stop();
    await clock.advance(2_000);
    await stopped;
  });

  it('adds, re-times and drops checks while running', async () => {
    const { clock, scheduler, runs } = setup({ random: () => 0 });
    scheduler.setDefinitions([
      { name: 'keep', interval: 10 },
      { name: 'drop', interval: 10 },
    ]);
    scheduler.start();
    await clock.advance(1000);
    scheduler.setDefinitions([
      { name: 'keep', interval: 10 },
      { name: 'new', interval: 10 },
    ]);
    await clock.advance(20_000);
    const names = runs.map((r) => r.name);
    expect(names.filter((n) => n === 'drop')).toHaveLength(1);
    expect(names.filter((n) => n === 'new').length).toBeGreaterThanOrEqual(2);
    expect(
      scheduler
        .schedule()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['keep', 'new']);
    await scheduler.stop();
  });

  it('stop waits for runs in flight and schedules nothing more', async () => {
    const { clock, scheduler, runs } = setup({ random: () => 0, runMs: 500 });
    scheduler.setDefinitions([{ name: 'a', interval: 1 }]);
    scheduler.start();
    await clock.advance(100);
    const stopped = scheduler.stop();
    await clock.advance(1000);
    await stopped;
    await settle();
    const count = runs.length;
    await clock.advance(10_000);
    expect(runs.length).toBe(count);
  });
});
