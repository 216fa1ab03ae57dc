/**
 * The pure rollout engine: the phased switch of DESIGN.md and the composed per-reconcile planner.
 */
export { planRollout, ACK_POLL_SECONDS } from './plan-rollout.js';
export { planReconcile, isEvaluationDue, type ReconcileInput, type ReconcilePlan } from './plan-reconcile.js';
export { readyMembers, routedMembers, designateServers, isSynced, syncActions, byName, type MemberTarget } from './member-sync.js';
export { setCondition, findCondition, type ConditionUpdate } from './conditions.js';
export type { ObservedMember, VerificationResult, MemberAction, PlannedEvent, RolloutInput, RolloutPlan } from './types.js';
