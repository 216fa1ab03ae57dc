/**
 * Selected pods a resource leaves out of its overlay, and how its conditions and Events say so.
 *
 * Two causes, each a condition reason (src/api/constants.ts):
 * - `SelectorOverlap`: the pod is also selected by an earlier ClusterTopology (by
 *   creationTimestamp, then name), which manages it; this one does not touch it, so the two never
 *   fight over a sidecar (src/operator/reconcile/claims.ts).
 * - `UntrustedEpoch`: the pod reports an epoch beyond the bound (epoch-trust.ts).
 *
 * The rollout goes on with the other members. Fixing either needs the user (change a selector,
 * restart a pod), so: Stalled=True with the cause as reason — or, when Stalled is already True
 * for a cause of the rollout itself, that message gains the exclusion; Ready=False with the cause
 * as reason, unless a switch or join is in flight (Reconciling=True: its Ready message stays);
 * phase Degraded where it would be Ready. A Warning Event with the same reason is emitted
 * when the exclusion's text is not yet in the previous Stalled message: level-based, from the
 * status alone, so a lasting exclusion is reported once, not on every pass.
 */
import { CONDITION_TYPES, REASONS } from '../../api/constants.js';
import type { ClusterTopologyStatus, Condition } from '../../api/types.js';
import { findCondition, setCondition } from './conditions.js';
import { untrustedMessage, type UntrustedMember } from './epoch-trust.js';
import type { PlannedEvent, SharedPods } from './types.js';

/** One reason some pods are left out, with the text that names them. */
export interface Exclusion {
  reason: typeof REASONS.selectorOverlap | typeof REASONS.untrustedEpoch;
  message: string;
}

/** Pods named in a message, at most. */
const NAMED = 3;

/** The text for pods left to earlier ClusterTopologies: each holder with up to three of its pods. */
export function sharedMessage(shared: readonly SharedPods[]): string {
  const parts = shared.map((s) => {
    const named = s.pods.slice(0, NAMED).join(', ');
    const more = s.pods.length > NAMED ? ` and ${s.pods.length - NAMED} more` : '';
    return `pod${s.pods.length === 1 ? '' : 's'} ${named}${more} ${s.pods.length === 1 ? 'is' : 'are'} also selected by ClusterTopology ${s.holder}, which was created earlier and manages ${s.pods.length === 1 ? 'it' : 'them'}`;
  });
  return `${parts.join('; ')}: this resource leaves ${shared.length === 1 && shared[0]!.pods.length === 1 ? 'it' : 'them'} alone; change spec.selector (here or there) so that no pod is selected by both`;
}

/** The exclusions of one pass, SelectorOverlap first. */
export function exclusionsOf(untrusted: readonly UntrustedMember[], shared: readonly SharedPods[]): Exclusion[] {
  const out: Exclusion[] = [];
  if (shared.length > 0) out.push({ reason: REASONS.selectorOverlap, message: sharedMessage(shared) });
  if (untrusted.length > 0) out.push({ reason: REASONS.untrustedEpoch, message: untrustedMessage(untrusted) });
  return out;
}

type Phase = NonNullable<ClusterTopologyStatus['phase']>;

/** The conditions, phase and Events of a pass once `exclusions` are reported (see the file comment). */
export function applyExclusions(
  conditions: readonly Condition[],
  phase: Phase,
  exclusions: readonly Exclusion[],
  previous: readonly Condition[] | undefined,
  generation: number,
  nowIso: string,
): { conditions: Condition[]; phase: Phase; events: PlannedEvent[] } {
  if (exclusions.length === 0) return { conditions: [...conditions], phase, events: [] };
  const reason = exclusions[0]!.reason;
  const text = exclusions.map((e) => e.message).join('; ');
  let out = [...conditions];
  const stalled = findCondition(out, CONDITION_TYPES.stalled);
  const stalledUpdate =
    stalled !== undefined && stalled.status === 'True'
      ? { type: CONDITION_TYPES.stalled, status: 'True' as const, reason: stalled.reason, message: `${stalled.message}; also: ${text}` }
      : { type: CONDITION_TYPES.stalled, status: 'True' as const, reason, message: text };
  out = setCondition(out, stalledUpdate, generation, nowIso);
  // Ready says why the resource is not ready: the exclusion, unless a switch or a join is in
  // flight (Reconciling=True), whose own message says more about what happens now.
  if (findCondition(out, CONDITION_TYPES.reconciling)?.status !== 'True')
    out = setCondition(out, { type: CONDITION_TYPES.ready, status: 'False', reason, message: text }, generation, nowIso);
  const before = findCondition(previous, CONDITION_TYPES.stalled)?.message ?? '';
  const events: PlannedEvent[] = exclusions.filter((e) => !before.includes(e.message)).map((e) => ({ type: 'Warning', reason: e.reason, message: e.message }));
  return { conditions: out, phase: phase === 'Ready' ? 'Degraded' : phase, events };
}
