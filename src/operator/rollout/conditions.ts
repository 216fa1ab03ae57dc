/**
 * metav1.Condition bookkeeping, as apimachinery's `meta.SetStatusCondition` does it: conditions
 * are keyed by type, and `lastTransitionTime` changes only when `status` does (so an unchanged
 * condition re-written every reconcile does not look like a flap).
 */
import type { Condition } from '../../api/types.js';

/** A condition to set: everything but the bookkeeping fields. */
export interface ConditionUpdate {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Returns `conditions` with `update` applied, keeping order by first appearance. */
export function setCondition(conditions: readonly Condition[], update: ConditionUpdate, generation: number, now: string): Condition[] {
  const prev = conditions.find((c) => c.type === update.type);
  const next: Condition = {
    type: update.type,
    status: update.status,
    observedGeneration: generation,
    lastTransitionTime: prev !== undefined && prev.status === update.status ? prev.lastTransitionTime : now,
    reason: update.reason,
    message: update.message.slice(0, 32768),
  };
  return prev === undefined ? [...conditions, next] : conditions.map((c) => (c.type === update.type ? next : c));
}

/** The condition of `type`, if set. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
