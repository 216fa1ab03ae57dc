/**
 * One reconcile's decisions, end to end and still pure: validate and default the spec, evaluate the
 * rules when due, decide whether to switch, and plan the rollout. The reconciler gathers the inputs
 * (pods, sidecar states, metrics, verification), calls this, and carries out the plan.
 *
 * Evaluation cadence: the rules run when `spec.autoSwitch.evaluationIntervalSeconds` have passed
 * since `status.lastEvaluationTime`, or at once when the spec changed (a new `spec.workload` must
 * act without waiting), or when no topology runs yet. Between evaluations the stored
 * `status.recommendation` stands, so a switch held by the cooldown starts as soon as it ends.
 */
import { CONDITION_TYPES, REASONS } from '../../api/constants.js';
import { applyDefaults } from '../../api/apply-defaults.js';
import type { ClusterTopologySpec, ClusterTopologyStatus, ResolvedSpec, TopologyMetrics } from '../../api/types.js';
import { formatFieldErrors, validateSpec } from '../../api/validate-spec.js';
import { decideSwitch, type SwitchDecision } from '../rules/decide-switch.js';
import { isoSeconds, secondsSince } from '../../api/status.js';
import { recommendTopology } from '../rules/recommend-topology.js';
import type { Recommendation } from '../rules/recommendation.js';
import { setCondition } from './conditions.js';
import { readyMembers } from './member-sync.js';
import { planRollout } from './plan-rollout.js';
import type { ObservedMember, RolloutPlan, VerificationResult } from './types.js';

/** Everything one reconcile looks at. */
export interface ReconcileInput {
  /** The spec as stored (the API server has defaulted it; it is defaulted again here as a defence). */
  spec: ClusterTopologySpec;
  generation: number;
  status: ClusterTopologyStatus;
  members: readonly ObservedMember[];
  /** A fresh metrics sample, when the reconciler took one (see {@link isEvaluationDue}). */
  metrics?: TopologyMetrics;
  verification?: VerificationResult;
  now: Date;
}

/** The plan, plus the decision that shaped it (for logs and the CLI's `simulate`). */
export interface ReconcilePlan extends RolloutPlan {
  decision: SwitchDecision;
  /** The recommendation computed in this reconcile, if the rules ran. */
  recommendation?: Recommendation;
}

/** True when the rules should run now; the reconciler samples metrics only then. */
export function isEvaluationDue(spec: ResolvedSpec, status: ClusterTopologyStatus, generation: number, now: Date): boolean {
  if (status.lastEvaluationTime === undefined || status.currentTopology === undefined) return true;
  if (status.observedGeneration !== generation) return true;
  return secondsSince(status.lastEvaluationTime, now) >= spec.autoSwitch.evaluationIntervalSeconds;
}

/** Plans one reconcile. */
export function planReconcile(input: ReconcileInput): ReconcilePlan {
  const { generation, now } = input;
  const errors = validateSpec(input.spec);
  if (errors.length > 0) {
    // Not retried until the spec changes: nothing is done, Stalled says what to fix.
    const msg = `invalid spec: ${formatFieldErrors(errors).replace(/\n/g, '; ')}`;
    const nowIso = isoSeconds(now);
    let conditions = input.status.conditions ?? [];
    conditions = setCondition(conditions, { type: CONDITION_TYPES.stalled, status: 'True', reason: REASONS.invalidSpec, message: msg }, generation, nowIso);
    conditions = setCondition(conditions, { type: CONDITION_TYPES.reconciling, status: 'False', reason: REASONS.invalidSpec, message: msg }, generation, nowIso);
    conditions = setCondition(conditions, { type: CONDITION_TYPES.ready, status: 'False', reason: REASONS.invalidSpec, message: msg }, generation, nowIso);
    const status: ClusterTopologyStatus = { ...input.status, observedGeneration: generation, phase: 'Failed', conditions };
    return { actions: [], status, events: [{ type: 'Warning', reason: REASONS.invalidSpec, message: msg }], decision: { kind: 'none', reason: 'NoRecommendation', message: msg } };
  }
  const spec = applyDefaults(input.spec);
  let status = input.status;
  let recommendation: Recommendation | undefined;
  if (isEvaluationDue(spec, status, generation, now)) {
    const nodeCount = readyMembers(input.members).length;
    const metrics: TopologyMetrics = input.metrics ?? { nodeCount };
    recommendation = recommendTopology(spec, status.currentTopology, metrics, status.recommendation?.workload);
    status = {
      ...status,
      lastEvaluationTime: isoSeconds(now),
      recommendation: { topology: recommendation.topology, trigger: recommendation.trigger, workload: spec.workload, reasons: recommendation.reasons.slice(0, 16) },
    };
    if (input.metrics !== undefined) status.metrics = { ...input.metrics, sampledAt: input.metrics.sampledAt ?? isoSeconds(now) };
  }
  const stored = status.recommendation;
  const rec: Recommendation | undefined =
    recommendation ?? (stored === undefined ? undefined : { topology: stored.topology, trigger: stored.trigger === 'Workload' ? 'Workload' : 'Auto', reasons: stored.reasons });
  const decision = decideSwitch(spec, status, rec, now, generation);
  const rolloutInput = { spec, generation, status, members: input.members, decision, now, ...(input.metrics !== undefined ? { metrics: input.metrics } : {}), ...(input.verification !== undefined ? { verification: input.verification } : {}) };
  const plan = planRollout(rolloutInput);
  const events = [...plan.events];
  let requeue = plan.requeueAfterSeconds;
  const soonest = (s: number): void => {
    requeue = requeue === undefined ? s : Math.min(requeue, s);
  };
  if (decision.kind === 'hold') {
    soonest(decision.remainingSeconds);
    if (recommendation !== undefined) {
      events.push({ type: 'Normal', reason: REASONS.cooldownActive, message: `switch to ${decision.to} held back by the cooldown until ${decision.until}: ${decision.reasons.join('; ')}` });
    }
  }
  if (spec.mode === 'Auto' && !spec.paused) {
    const last = plan.status.lastEvaluationTime;
    soonest(last === undefined ? 0 : Math.max(0, spec.autoSwitch.evaluationIntervalSeconds - secondsSince(last, now)));
  }
  const out: ReconcilePlan = { ...plan, events, decision };
  if (requeue !== undefined) out.requeueAfterSeconds = requeue;
  if (recommendation !== undefined) out.recommendation = recommendation;
  return out;
}
