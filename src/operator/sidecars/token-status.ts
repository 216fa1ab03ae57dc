/**
 * The status of a ClusterTopology whose sidecar token (`spec.sidecar.tokenSecretRef`) cannot be
 * read: the reconciler does not call the sidecars (they would refuse every call), so nothing moves
 * until the Secret is there. Pure, like the planner.
 *
 * kstatus: Stalled=True (it needs someone to create or fix the Secret), Reconciling=False,
 * Ready=False; phase Degraded when an overlay still serves the members, else Pending. The rest of
 * the status (topology, epoch, rollout) is kept as it was, so once the token is readable the next
 * reconcile carries on where it stopped.
 */
import { CONDITION_TYPES, REASONS } from '../../api/constants.js';
import type { ClusterTopologyStatus } from '../../api/types.js';
import { isoSeconds } from '../../api/status.js';
import { setCondition } from '../rollout/conditions.js';

/**
 * Seconds between attempts to read a missing token: Secrets are not watched (sidecars/token.ts), so
 * this is how soon a Secret created later is noticed. Wild guess.
 */
export const TOKEN_RETRY_SECONDS = 30;

/** `status` with the conditions and phase that say the token named by the spec is unavailable. */
export function tokenUnavailableStatus(status: ClusterTopologyStatus, generation: number, message: string, now: Date): ClusterTopologyStatus {
  const nowIso = isoSeconds(now);
  const reason = REASONS.sidecarTokenUnavailable;
  let conditions = status.conditions ?? [];
  conditions = setCondition(conditions, { type: CONDITION_TYPES.ready, status: 'False', reason, message }, generation, nowIso);
  conditions = setCondition(conditions, { type: CONDITION_TYPES.reconciling, status: 'False', reason, message }, generation, nowIso);
  conditions = setCondition(conditions, { type: CONDITION_TYPES.stalled, status: 'True', reason, message }, generation, nowIso);
  return { ...status, observedGeneration: generation, phase: status.currentTopology !== undefined ? 'Degraded' : 'Pending', conditions };
}
