/**
 * The back-off after rolled-back automatic switches.
 *
 * Why: a rolled-back automatic switch leaves the world as it was, so the rules recommend the same
 * switch again, and it starts as soon as the cooldown allows. With `cooldownSeconds: 0` that is
 * at once, forever: prepare, route, fail, roll back, prepare… and every attempt stages an overlay
 * beside the serving one and routes canaries over it. (A rolled-back Manual or Workload switch
 * already waits for a spec change: decide-switch.ts, AwaitingSpecChange.)
 *
 * Rule: n = the number of automatic switches that ended RolledBack in a row at the end of
 * `status.history` (any other entry ends the run: a success, a superseded switch, another
 * trigger). When n ≥ 1, the next automatic switch waits, after `status.lastSwitchTime`,
 *
 *     max(cooldownSeconds, min(ROLLBACK_BACKOFF_MAX_SECONDS, ROLLBACK_BACKOFF_BASE_SECONDS × 2^(n−1)))
 *
 * that is 30 s, 60 s, 120 s, … 3,600 s from the 8th on, whatever the cooldown. It is counted from
 * the history alone (level-based: nothing else to persist, and an operator restart changes
 * nothing); the history keeps `spec.historyLimit` entries, so n is at most that many, and with a
 * limit of 1 the back-off stays at its base.
 */
import type { HistoryEntry } from '../../api/types.js';

/** Back-off after the first rolled-back automatic switch (s): about one pod restart, for a transient cause to clear. Wild guess. */
export const ROLLBACK_BACKOFF_BASE_SECONDS = 30;
/** Longest back-off (s): an overlay that keeps failing is still retried hourly, in case its cause went away. Wild guess. */
export const ROLLBACK_BACKOFF_MAX_SECONDS = 3600;

/** The number of automatic switches rolled back in a row at the end of `history`. */
export function consecutiveAutoRollbacks(history: readonly HistoryEntry[]): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]!;
    if (h.trigger !== 'Auto' || h.result !== 'RolledBack') break;
    n++;
  }
  return n;
}

/** The back-off (s) after `rolledBack` automatic switches rolled back in a row: 0 for none, then the formula above. */
export function rollbackBackoffSeconds(rolledBack: number): number {
  if (rolledBack <= 0) return 0;
  // 2^(n−1) overflows nothing here: the cap is reached at n = 8.
  return Math.min(ROLLBACK_BACKOFF_MAX_SECONDS, ROLLBACK_BACKOFF_BASE_SECONDS * 2 ** Math.min(rolledBack - 1, 30));
}
