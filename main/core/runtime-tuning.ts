let tuned = false;

/**
 * For the processes that live for days (`outpost run`, `outpost ui`, the
 * tray's core): V8's --optimize-for-size. Measured by `npm run bench queue`:
 * with default flags a burst of enqueues leaves V8 holding ~220 MiB of pages
 * it no longer uses (heap used stays at ~30 MiB); with the flag RSS stays
 * within ~10 MiB of its start through 1,000,000 queued results, for ~10% of
 * peak enqueue rate. An agent in the tray should be small, not fast at bursts.
 */
export function tuneForLongRunning(): void {
  if (tuned) return;
  tuned = true;
  // Fetched here: the CLI imports this module at every start, and only daemons need node:v8.
  process.getBuiltinModule('node:v8').setFlagsFromString('--optimize-for-size');
}
