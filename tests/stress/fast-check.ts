/**
 * fast-check with every `fc.assert` run PROPERTY_RUNS_FACTOR times as often
 * (default 10). Property tests pin their own numRuns, so a global setting
 * cannot raise them: `npm run test:properties` aliases 'fast-check' to this
 * module instead. A CI run draws fresh seeds each time; this finds the rare
 * counterexample here first.
 */
import * as real from '../../node_modules/fast-check/lib/fast-check.js';

const factor = Number(process.env.PROPERTY_RUNS_FACTOR ?? '10');
if (!Number.isFinite(factor) || factor <= 0)
  throw new Error(
    `PROPERTY_RUNS_FACTOR must be a positive number, got '${process.env.PROPERTY_RUNS_FACTOR}'`,
  );

export * from '../../node_modules/fast-check/lib/fast-check.js';

export const assert: typeof real.assert = ((property: never, params?: { numRuns?: number }) =>
  real.assert(property, {
    ...params,
    numRuns: Math.ceil((params?.numRuns ?? 100) * factor),
  })) as typeof real.assert;

export default { ...real, assert };
