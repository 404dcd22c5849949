import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPerfdataItem, parsePerfdata } from '../../../main/core/checks/perfdata.ts';
import { PERFDATA_UOMS, type PerfdataItem } from '../../../main/core/contract/check-results.ts';
import {
  evaluateThresholds,
  parseRange,
  rangeAlerts,
  isRange,
} from '../../../main/core/checks/thresholds.ts';

describe('perfdata parser', () => {
  it('reads every field of the guidelines format', () => {
    expect(parsePerfdata("time=0.012s;1;5;0;10 'used space'=45%;80;90;0;100 load1=0.5")).toEqual({
      items: [
        { label: 'time', value: 0.012, uom: 's', warn: '1', crit: '5', min: 0, max: 10 },
        { label: 'used space', value: 45, uom: '%', warn: '80', crit: '90', min: 0, max: 100 },
        { label: 'load1', value: 0.5, uom: '' },
      ],
      errors: [],
    });
  });

  it("unquotes labels with '' escapes, spaces and equals signs", () => {
    const { items } = parsePerfdata("'it''s = here'=1c 'a''''b'=2");
    expect(items.map((i) => i.label)).toEqual(["it's = here", "a''b"]);
    expect(items[0]!.uom).toBe('c');
  });

  it('accepts every unit of the guidelines and U for an unknown value', () => {
    for (const uom of PERFDATA_UOMS) expect(parsePerfdata(`x=1${uom}`).items[0]!.uom).toBe(uom);
    expect(parsePerfdata('x=U;1;2').items[0]).toEqual({
      label: 'x',
      value: undefined,
      uom: '',
      warn: '1',
      crit: '2',
    });
  });

  it('keeps threshold ranges and skips empty fields', () => {
    expect(parsePerfdata('x=5;~:10;@1:2;;100').items[0]).toEqual({
      label: 'x',
      value: 5,
      uom: '',
      warn: '~:10',
      crit: '@1:2',
      max: 100,
    });
  });

  it('reports bad items with the reason and keeps the good ones', () => {
    const parsed = parsePerfdata(
      "good=1 bad=abc unit=5parsecs noequals 'open=1 x=1;a:b too=1;2;3;4;5;6 =3",
    );
    expect(parsed.items.map((i) => i.label)).toEqual(['good']);
    expect(parsed.errors.map((e) => e.text)).toEqual([
      'bad=abc',
      'unit=5parsecs',
      'noequals',
      "'open=1 x=1;a:b too=1;2;3;4;5;6 =3",
    ]);
    expect(parsed.errors[0]!.reason).toMatch(/not a number/);
    expect(parsed.errors[1]!.reason).toMatch(/unit 'parsecs'/);
  });

  it('rejects a bad threshold and a bad min', () => {
    expect(parsePerfdata('x=1;a:b').errors[0]!.reason).toMatch(/warn/);
    expect(parsePerfdata('x=1;;;zero').errors[0]!.reason).toMatch(/min 'zero'/);
    expect(parsePerfdata('x=1;;10:5').errors[0]!.reason).toMatch(/starts after it ends/);
  });

  const label = fc
    .string({ minLength: 1, maxLength: 20 })
    .filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s !== '');
  const num = fc.oneof(
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  );
  const rangeText = fc.oneof(
    fc.nat(1000).map(String),
    fc.nat(1000).map((n) => `${n}:`),
    fc.nat(1000).map((n) => `~:${n}`),
    fc.tuple(fc.nat(1000), fc.nat(1000)).map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`),
    fc.tuple(fc.nat(1000), fc.nat(1000)).map(([a, b]) => `@${Math.min(a, b)}:${Math.max(a, b)}`),
  );
  const item: fc.Arbitrary<PerfdataItem> = fc.record(
    {
      label,
      value: fc.option(num, { nil: undefined }),
      uom: fc.constantFrom('', ...PERFDATA_UOMS),
      warn: rangeText,
      crit: rangeText,
      min: num,
      max: num,
    },
    { requiredKeys: ['label', 'value', 'uom'] },
  );

  // Printing -0 gives "0": compare against what a plugin printing it would mean.
  const withoutNegativeZero = (i: PerfdataItem): PerfdataItem => {
    const z = (n: number | undefined): number | undefined => (n === undefined ? undefined : n + 0);
    return { ...i, value: z(i.value), min: z(i.min), max: z(i.max) };
  };

  it('parses back what it formats (property)', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        const text = items.map(formatPerfdataItem).join(' ');
        const parsed = parsePerfdata(text);
        expect(parsed.errors).toEqual([]);
        expect(parsed.items).toEqual(items.map(withoutNegativeZero));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and accounts for every non-blank token (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const parsed = parsePerfdata(text);
        for (const i of parsed.items) {
          expect(i.label).not.toBe('');
          if (i.value !== undefined) expect(Number.isFinite(i.value)).toBe(true);
        }
        if (text.trim() !== '')
          expect(parsed.items.length + parsed.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('threshold ranges', () => {
  const alerts = (range: string, value: number): boolean => {
    const r = parseRange(range);
    if (!isRange(r)) throw new Error(r.error);
    return rangeAlerts(r, value);
  };

  it('follows the guidelines table', () => {
    // 10: alert if < 0 or > 10
    expect([alerts('10', -1), alerts('10', 0), alerts('10', 10), alerts('10', 10.1)]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    // 10: → alert if < 10
    expect([alerts('10:', 9.9), alerts('10:', 10), alerts('10:', 1e9)]).toEqual([
      true,
      false,
      false,
    ]);
    // ~:10 → alert if > 10
    expect([alerts('~:10', -1e9), alerts('~:10', 10), alerts('~:10', 11)]).toEqual([
      false,
      false,
      true,
    ]);
    // 10:20 → outside
    expect([alerts('10:20', 9), alerts('10:20', 15), alerts('10:20', 21)]).toEqual([
      true,
      false,
      true,
    ]);
    // @10:20 → inside, inclusive
    expect([
      alerts('@10:20', 9),
      alerts('@10:20', 10),
      alerts('@10:20', 20),
      alerts('@10:20', 21),
    ]).toEqual([false, true, true, false]);
  });

  it('puts critical before warning', () => {
    const r = (t: string) => {
      const x = parseRange(t);
      if (!isRange(x)) throw new Error(x.error);
      return x;
    };
    expect(evaluateThresholds(95, r('80'), r('90'))).toBe(2);
    expect(evaluateThresholds(85, r('80'), r('90'))).toBe(1);
    expect(evaluateThresholds(50, r('80'), r('90'))).toBe(0);
  });

  it('rejects what is not a range', () => {
    for (const bad of ['', 'abc', '5:1', '@', '1:2:3', '~'])
      expect(isRange(parseRange(bad))).toBe(false);
  });
});
