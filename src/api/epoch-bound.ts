/**
 * The bound on epoch jumps that the operator and the sidecars both enforce, so that no one
 * message can exhaust the epoch space.
 *
 * Why: epochs only grow (a new switch attempt stages max(known) + 1; a sidecar refuses an epoch
 * at or below one it has used). A single `Prepare(2^53 − 1)`, or one member reporting such an
 * epoch in GetState, would leave no higher epoch for any later switch: the resource would be
 * bricked for good. With a bound on each jump, exhausting the space takes
 * Number.MAX_SAFE_INTEGER / MAX_EPOCH_JUMP ≈ 8.6 × 10⁹ accepted jumps instead of one.
 *
 * Who enforces it:
 * - the sidecar refuses a Prepare whose epoch is more than twice MAX_EPOCH_JUMP above the highest
 *   epoch it prepared (`MAX_PREPARE_JUMP` of src/sidecar/switch-engine.ts, FAILED_PRECONDITION
 *   naming the epoch and the bound; twice, because the operator stages one above the most it
 *   trusts and a sidecar may lag the status by the attempts it missed), and any epoch above
 *   2^48 (`MAX_EPOCH`, INVALID_ARGUMENT), even on a fresh sidecar;
 * - the operator ignores the epochs reported by a member that are more than MAX_EPOCH_JUMP above
 *   the highest epoch the resource's status records (`status.epoch`, `status.rollout.epoch`),
 *   and leaves that member out of the rollout (src/operator/rollout/epoch-trust.ts).
 */

/**
 * Largest accepted distance between an epoch and the highest one known: 2^20 = 1,048,576.
 * Legitimate jumps are small (one per switch attempt; a member that missed switches while away is
 * behind, not ahead; a fresh sidecar joining a resource at epoch E jumps by E, and E reaches 2^20
 * only after 2^20 switch attempts, two years at one a minute). Wild guess, with that margin.
 */
export const MAX_EPOCH_JUMP = 2 ** 20;

/** True when `epoch` is at most {@link MAX_EPOCH_JUMP} above `highestKnown`. */
export function withinEpochBound(epoch: number, highestKnown: number): boolean {
  return epoch - highestKnown <= MAX_EPOCH_JUMP;
}
