/**
 * Unix time in seconds, as Icinga check results (icinga2.md §4.2), the queue's
 * check-result payloads and runCommand carry it, next to Date.now()'s
 * milliseconds everywhere else. Branded so the two cannot be mixed: a value
 * divided by 1000 (or multiplied) is a plain number again, which no
 * EpochSeconds field accepts — the command endpoint once sent an end time
 * divided twice and the master computed huge negative execution times.
 */
declare const unit: unique symbol;
export type EpochSeconds = number & { readonly [unit]: 'seconds since the Unix epoch' };

export function nowSeconds(): EpochSeconds {
  return (Date.now() / 1000) as EpochSeconds;
}

/** A number documented and validated as Unix seconds elsewhere (e.g. checkResultPayloadSchema). */
export function asEpochSeconds(seconds: number): EpochSeconds {
  return seconds as EpochSeconds;
}
