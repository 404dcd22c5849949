/**
 * Monitoring-plugins threshold ranges (Plugin Development Guidelines,
 * "Threshold and ranges"): `[@]start:end`, where `start` defaults to 0, `~`
 * means minus infinity, a missing `end` means plus infinity and `N` alone is
 * `0:N`. A value alerts when it lies outside the range, or inside it with `@`.
 */
import { AgentError } from '../contract/errors.ts';

export interface ThresholdRange {
  start: number;
  end: number;
  /** `@`: alert when inside [start, end] instead of outside. */
  inside: boolean;
  /** The text as written, for display and for forwarding unchanged. */
  text: string;
}

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

export function parseNumber(text: string): number | undefined {
  return NUMBER.test(text) ? Number(text) : undefined;
}

/** Returns the range, or a reason it is not one. */
export function parseRange(text: string): ThresholdRange | { error: string } {
  let body = text.trim();
  if (body === '') return { error: 'empty threshold' };
  let inside = false;
  if (body.startsWith('@')) {
    inside = true;
    body = body.slice(1);
  }
  let start = 0;
  let end = Number.POSITIVE_INFINITY;
  const colon = body.indexOf(':');
  if (colon === -1) {
    const n = parseNumber(body);
    if (n === undefined) return { error: `threshold '${text}' is not a number or range` };
    end = n;
  } else {
    const startText = body.slice(0, colon);
    const endText = body.slice(colon + 1);
    if (startText === '~') start = Number.NEGATIVE_INFINITY;
    else if (startText !== '') {
      const n = parseNumber(startText);
      if (n === undefined) return { error: `threshold '${text}' has a bad start '${startText}'` };
      start = n;
    }
    if (endText !== '') {
      const n = parseNumber(endText);
      if (n === undefined) return { error: `threshold '${text}' has a bad end '${endText}'` };
      end = n;
    }
  }
  if (start > end) return { error: `threshold '${text}' starts after it ends` };
  return { start, end, inside, text: text.trim() };
}

export function isRange(value: ThresholdRange | { error: string }): value is ThresholdRange {
  return !('error' in value);
}

/** True when `value` raises an alert for `range`. */
export function rangeAlerts(range: ThresholdRange, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}

/** Critical first, then warning (plugin rules). 0 OK, 1 WARNING, 2 CRITICAL. */
export function evaluateThresholds(
  value: number,
  warn: ThresholdRange | undefined,
  crit: ThresholdRange | undefined,
): 0 | 1 | 2 {
  if (crit !== undefined && rangeAlerts(crit, value)) return 2;
  if (warn !== undefined && rangeAlerts(warn, value)) return 1;
  return 0;
}

/** Parses an optional threshold option, throwing a message naming the field. */
export function optionalRange(text: string | undefined, field: string): ThresholdRange | undefined {
  if (text === undefined || text === '') return undefined;
  const range = parseRange(text);
  if (!isRange(range)) {
    throw new AgentError(
      'invalid-request',
      `${field}: ${range.error} (use N, N:, ~:N, A:B or @A:B)`,
      { field },
    );
  }
  return range;
}
