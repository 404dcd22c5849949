/**
 * The replay buffer the connections to the masters of one zone share (HA
 * parents, issue #18): what a closed connection had confirmed goes over the
 * next ready one, whichever master it reaches, and never steps a master's
 * state back. The real masters are in ha.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZoneLog } from '../../../../main/core/protocols/icinga/zone-log.ts';

const CR = 'event::CheckResult';

describe('ZoneLog', () => {
  it('hands what a closed master confirmed to the other master, with fresh ts, once', () => {
    const log = new ZoneLog(0);
    const t1 = log.nextTs();
    log.record('a', t1, CR, { host: 'h', service: 's1' });
    const t2 = log.nextTs();
    log.record('b', t2, CR, { host: 'h', service: 's2' });
    log.orphan('a', Date.now());
    const resent = log.claimOrphans('b');
    expect(resent.map((e) => [e.params.service, e.endpoint])).toEqual([['s1', 'b']]);
    expect(resent[0]!.ts).toBeGreaterThan(t2);
    expect(log.claimOrphans('b')).toEqual([]);
    // Now b's: b's log position covers it, a's never does.
    log.cover('a', Number.MAX_SAFE_INTEGER);
    log.orphan('b', Date.now());
    // In the order b got them: s1 was re-sent after s2.
    expect(log.claimOrphans('a').map((e) => e.params.service)).toEqual(['s2', 's1']);
  });

  it('drops an orphan older than a result another master confirmed for the same object', () => {
    const log = new ZoneLog(0);
    log.record('a', log.nextTs(), CR, { host: 'h', service: 's', n: 1 });
    log.record('b', log.nextTs(), CR, { host: 'h', service: 's', n: 2 });
    log.orphan('a', Date.now());
    expect(log.claimOrphans('b')).toEqual([]);
    expect(log.size).toBe(1);
  });

  it('loses no uncovered result, and a replay never leaves a master older than it was (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('confirm' as const),
        endpoint: fc.constantFrom('a', 'b'),
        service: fc.constantFrom('s1', 's2', 's3'),
      }),
      fc.record({ kind: fc.constant('close' as const), endpoint: fc.constantFrom('a', 'b') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const log = new ZoneLog(0);
        const up = new Set(['a', 'b']);
        /** The zone's state (its masters share results): the last n processed per service. */
        const got = new Map<string, number>();
        let n = 0;
        const deliver = (service: string, value: number): void => {
          got.set(service, value);
        };
        /** A replay re-sends uncovered results in order: once it is through, no object is older than before. */
        const replay = (entries: ReturnType<ZoneLog['claimOrphans']>): void => {
          const before = new Map(got);
          for (const e of entries) deliver(e.params.service as string, e.params.n as number);
          for (const [service, value] of before) expect(got.get(service)).toBe(value);
        };
        for (const o of ops) {
          if (o.kind === 'confirm') {
            if (!up.has(o.endpoint)) {
              up.add(o.endpoint);
              replay(log.claimOrphans(o.endpoint));
            }
            n++;
            log.record(o.endpoint, log.nextTs(), CR, { host: 'h', service: o.service, n });
            deliver(o.service, n);
          } else if (up.delete(o.endpoint)) {
            log.orphan(o.endpoint, Date.now());
            const other = [...up][0];
            if (other !== undefined) replay(log.claimOrphans(other));
          }
        }
        // Nothing covered, within the grace window: the newest result of each service is kept.
        const kept = new Map<string, number>();
        for (const e of log.claimOrphans('c'))
          kept.set(e.params.service as string, e.params.n as number);
        for (const endpoint of up) log.orphan(endpoint, Date.now());
        for (const e of log.claimOrphans('c'))
          kept.set(e.params.service as string, e.params.n as number);
        for (const [service, newest] of got) expect(kept.get(service)).toBe(newest);
      }),
      { numRuns: 300 },
    );
  });
});
