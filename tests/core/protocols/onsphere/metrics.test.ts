import perfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EVENT_LOOP_SAMPLE_MS,
  OspMetrics,
} from '../../../../main/core/protocols/onsphere/metrics.ts';

afterEach(() => vi.restoreAllMocks());

describe('connector metrics at rest (issue #17)', () => {
  it('samples the event-loop lag once a second, not every 10 ms, and still exposes it', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    const metrics = new OspMetrics();
    expect(monitor).toHaveBeenCalledWith({ resolution: EVENT_LOOP_SAMPLE_MS });
    expect(EVENT_LOOP_SAMPLE_MS).toBeGreaterThanOrEqual(1000);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });
});
