/**
 * One reconcile's decisions, end to end and still pure: evaluate the rules when due, decide
 * whether to switch, plan the rollout, and say when to look again. The reconciler resolves the
 * spec once ({@link resolveSpec}), gathers the inputs (pods, sidecar states, metrics when
 * {@link metricsDue}, the latest verification), calls this, and carries out the plan.
 *
 * Evaluation cadence: the rules run when `spec.autoSwitch.evaluationIntervalSeconds` have passed
 * since `status.lastEvaluationTime`, or at once when the spec changed (a new `spec.workload` must
 * act without waiting), or when no topology runs yet. Between evaluations the stored
 * `status.recommendation` stands, so a switch held by the cooldown starts as soon as it ends.
 *
 * The requeue is decided here alone, from the plan: the rollout's own (acknowledgement polls,
 * health windows, deadlines: plan-rollout.ts), the evaluation interval, and the constants below.
 */
import { CONDITION_TYPES, REASONS } from '../../api/constants.js';
import { applyDefaults } from '../../api/apply-defaults.js';
import { inFlight, isoSeconds, secondsSince } from '../../api/status.js';
import type { ClusterTopologySpec, ClusterTopologyStatus, ResolvedSpec, TopologyMetrics } from '../../api/types.js';
import { formatFieldErrors, validateSpec } from '../../api/validate-spec.js';
import { decideSwitch, type SwitchDecision } from '../rules/decide-switch.js';
import { recommendTopology } from '../rules/recommend-topology.js';
import type { Recommendation } from '../rules/recommendation.js';
import { setCondition } from './conditions.js';
import { readyMembers } from './member-sync.js';
import { acceptControl } from './control.js';
import { planRollout } from './plan-rollout.js';
import { untrustedMembers } from './epoch-trust.js';
import type { ObservedMember, RolloutPlan, SharedPods, VerificationResult } from './types.js';

/**
 * While a verification runs (its overlay converging, its probe round in flight), look again this
 * often (s) to collect it: a probe round on loopback returns in tens of milliseconds.
 */
export const VERIFY_POLL_SECONDS = 0.25;
/** Look again this soon (s) after a switch ended: a rolled-back target now awaits a spec change, a superseded one starts. */
export const SWITCH_ENDED_REQUEUE_SECONDS = 0.2;
/** Poll this often (s) while a Ready pod's sidecar does not answer. */
export const UNREACHABLE_REQUEUE_SECONDS = 2;
/** Resync period (s) when nothing else is pending: drift (a sidecar that lost its state) is repaired within it. */
export const RESYNC_SECONDS = 60;

/** The spec validated and defaulted, or why it cannot be used. */
export type SpecResolution = { readonly ok: true; readonly spec: ResolvedSpec } | { readonly ok: false; readonly message: string };

/** Validates and defaults `spec`, once per reconcile; everything downstream takes the result. */
export function resolveSpec(spec: ClusterTopologySpec): SpecResolution {
  const errors = validateSpec(spec);
  if (errors.length > 0) return { ok: false, message: `invalid spec: ${formatFieldErrors(errors).replace(/\n/g, '; ')}` };
  return { ok: true, spec: applyDefaults(spec) };
}

/**
 * The plan for a spec that {@link resolveSpec} refused: nothing is done, Stalled says what to fix,
 * and it is not retried until the spec changes (no requeue).
 */
export function planInvalidSpec(status: ClusterTopologyStatus, generation: number, message: string, now: Date): ReconcilePlan {
  const nowIso = isoSeconds(now);
  let conditions = status.conditions ?? [];
  conditions = setCondition(conditions, { type: CONDITION_TYPES.stalled, status: 'True', reason: REASONS.invalidSpec, message }, generation, nowIso);
  conditions = setCondition(conditions, { type: CONDITION_TYPES.reconciling, status: 'False', reason: REASONS.invalidSpec, message }, generation, nowIso);
  conditions = setCondition(conditions, { type: CONDITION_TYPES.ready, status: 'False', reason: REASONS.invalidSpec, message }, generation, nowIso);
  const next: ClusterTopologyStatus = { ...status, observedGeneration: generation, phase: 'Failed', conditions };
  return {
    actions: [],
    status: next,
    events: [{ type: 'Warning', reason: REASONS.invalidSpec, message }],
    decision: { kind: 'none', reason: 'NoRecommendation', message },
  };
}

/** Everything one reconcile looks at. */
export interface ReconcileInput {
  /** The spec as {@link resolveSpec} resolved it. */
  spec: ResolvedSpec;
  generation: number;
  status: ClusterTopologyStatus;
  members: readonly ObservedMember[];
  /** A fresh metrics sample, when the reconciler took one (see {@link isEvaluationDue}). */
  metrics?: TopologyMetrics;
  verification?: VerificationResult;
  /** Selected pods left to earlier ClusterTopologies that select them too (src/operator/reconcile/claims.ts). */
  shared?: readonly SharedPods[];
  /** The control annotation's value (src/api/control-request.ts), when the resource has one. */
  control?: string;
  now: Date;
}

/** The plan, plus the decision that shaped it (for logs and the CLI's `simulate`). */
export interface ReconcilePlan extends RolloutPlan {
  decision: SwitchDecision;
  /** The recommendation computed in this reconcile, if the rules ran. */
  recommendation?: Recommendation;
}

/** True when the rules should run now. */
export function isEvaluationDue(spec: ResolvedSpec, status: ClusterTopologyStatus, generation: number, now: Date): boolean {
  if (status.lastEvaluationTime === undefined || status.currentTopology === undefined) return true;
  if (status.observedGeneration !== generation) return true;
  return secondsSince(status.lastEvaluationTime, now) >= spec.autoSwitch.evaluationIntervalSeconds;
}

/**
 * True when the reconciler should sample the sidecars' metrics before planning: an evaluation is
 * due, unless it is a Manual switch's spec change, which does not depend on metrics (the pass that
 * starts it need not wait for a GetMetrics round over every member; the next evaluation samples).
 */
export function metricsDue(spec: ResolvedSpec, status: ClusterTopologyStatus, generation: number, now: Date): boolean {
  const manualSpecChange = spec.mode === 'Manual' && status.currentTopology !== undefined && status.observedGeneration !== generation;
  return isEvaluationDue(spec, status, generation, now) && !manualSpecChange;
}

/** Plans one reconcile. */
export function planReconcile(input: ReconcileInput): ReconcilePlan {
  const { generation, now, spec } = input;
  let status = input.status;
  let recommendation: Recommendation | undefined;
  if (isEvaluationDue(spec, status, generation, now)) {
    // Members left out for their epochs (epoch-trust.ts) do not count towards the size rules either.
    const distrusted = new Set(untrustedMembers(input.members, status).map((u) => u.name));
    const nodeCount = readyMembers(input.members.filter((m) => !distrusted.has(m.name))).length;
    const metrics: TopologyMetrics = input.metrics ?? { nodeCount };
    recommendation = recommendTopology(spec, status.currentTopology, metrics, status.recommendation?.workload);
    status = {
      ...status,
      lastEvaluationTime: isoSeconds(now),
      recommendation: {
        topology: recommendation.topology,
        trigger: recommendation.trigger,
        workload: spec.workload,
        reasons: recommendation.reasons.slice(0, 16),
      },
    };
    if (input.metrics !== undefined) status.metrics = { ...input.metrics, sampledAt: input.metrics.sampledAt ?? isoSeconds(now) };
  }
  // Abort, retry and promote requests first: the decision and the rollout plan from what they leave (control.ts).
  const control = acceptControl({ value: input.control, spec, generation, status, now });
  status = control.status;
  const stored = status.recommendation;
  const rec: Recommendation | undefined =
    recommendation ??
    (stored === undefined ? undefined : { topology: stored.topology, trigger: stored.trigger === 'Workload' ? 'Workload' : 'Auto', reasons: stored.reasons });
  const decision = decideSwitch(spec, status, rec, now, generation);
  const rolloutInput = {
    spec,
    generation,
    status,
    members: input.members,
    decision,
    now,
    ...(input.metrics !== undefined ? { metrics: input.metrics } : {}),
    ...(input.verification !== undefined ? { verification: input.verification } : {}),
    ...(input.shared !== undefined ? { shared: input.shared } : {}),
    ...(control.promote ? { promote: true } : {}),
  };
  const plan = planRollout(rolloutInput);
  const events = [...control.events, ...plan.events];
  let requeue = plan.requeueAfterSeconds;
  const soonest = (s: number): void => {
    requeue = requeue === undefined ? s : Math.min(requeue, s);
  };
  if (decision.kind === 'hold') {
    soonest(decision.remainingSeconds);
    if (recommendation !== undefined) {
      const by =
        decision.cause === 'Cooldown'
          ? 'the cooldown'
          : `the back-off after ${decision.rolledBack} automatic switch${decision.rolledBack === 1 ? '' : 'es'} rolled back in a row`;
      events.push({
        type: 'Normal',
        reason: decision.cause === 'Cooldown' ? REASONS.cooldownActive : REASONS.rollbackBackoff,
        message: `switch to ${decision.to} held back by ${by} until ${decision.until}: ${decision.reasons.join('; ')}`,
      });
    }
  }
  if (spec.mode === 'Auto' && !spec.paused) {
    const last = plan.status.lastEvaluationTime;
    soonest(last === undefined ? 0 : Math.max(0, spec.autoSwitch.evaluationIntervalSeconds - secondsSince(last, now)));
  }
  if (plan.actions.some((a) => a.kind === 'verify')) soonest(VERIFY_POLL_SECONDS);
  if (inFlight(input.status) !== undefined && inFlight(plan.status) === undefined) soonest(SWITCH_ENDED_REQUEUE_SECONDS);
  if (input.members.some((m) => m.unreachable === true)) soonest(UNREACHABLE_REQUEUE_SECONDS);
  soonest(RESYNC_SECONDS);
  const out: ReconcilePlan = { ...plan, events, decision, requeueAfterSeconds: requeue ?? RESYNC_SECONDS };
  if (recommendation !== undefined) out.recommendation = recommendation;
  return out;
}
