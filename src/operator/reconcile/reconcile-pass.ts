/**
 * One pass of the reconciler over the sidecars, without Kubernetes: observe the member sidecars,
 * sample metrics when an evaluation is due, plan (the pure `planReconcile`), carry out the member
 * actions and run the verification the plan asks for, and say when to look again.
 *
 * It is separate from reconciler.ts (which reads and writes the resource, emits Events and owns the
 * finalizer) so that the same pass drives a loopback fleet in `bench/operator.ts`, where the
 * "resource" is a status kept in memory.
 *
 * The memory it keeps per resource (keyed by uid) is documented in reconciler.ts.
 */
import type winston from 'winston';
import { applyDefaults } from '../../api/apply-defaults.js';
import type { ClusterTopologySpec, ClusterTopologyStatus, TopologyMetrics } from '../../api/types.js';
import type { MemberPod } from './members.js';
import { MembersTracker } from './members-tracker.js';
import { isEvaluationDue, planReconcile, type ReconcilePlan } from '../rollout/plan-reconcile.js';
import type { VerificationResult } from '../rollout/types.js';
import { verificationWindowSeconds } from '../rollout/plan-rollout.js';
import { IN_FLIGHT_STAGES } from '../../api/status.js';
import { runMemberActions } from '../sidecars/actions.js';
import { SidecarMetricsCollector } from '../sidecars/metrics-sampling.js';
import { applySwitchReplies, observeMembers, syncMemberLists, type MemberObservation } from '../sidecars/observe.js';
import type { SidecarPool } from '../sidecars/pool.js';
import { verifyEpoch } from '../sidecars/verify.js';

/**
 * After member actions changed sidecar state, look again this soon (s): the Control calls
 * return once applied, so waiting the planner's 2 s acknowledgement poll would only slow a switch.
 */
export const FAST_REQUEUE_SECONDS = 0.2;
/** Look again this soon (s) after a verification the planner can act on at once. */
export const VERIFIED_REQUEUE_SECONDS = 0.05;
/** Poll this often (s) while a Ready pod's sidecar does not answer. */
export const UNREACHABLE_REQUEUE_SECONDS = 2;
/** Resync period (s) when nothing else is pending: drift (a sidecar that lost its state) is repaired within it. */
export const RESYNC_SECONDS = 60;

/** Input of one pass: a valid spec (as stored), the status read, and the member pods. */
export interface PassInput {
  /** Identifies the resource for the pass's memory (metadata.uid). */
  uid: string;
  spec: ClusterTopologySpec;
  generation: number;
  status: ClusterTopologyStatus;
  pods: readonly MemberPod[];
  now: Date;
  logger: winston.Logger;
  /** The sidecar connections for this resource (its own token); defaults to the pass's pool. */
  pool?: SidecarPool;
}

/** What a pass did and decided. */
export interface PassResult {
  plan: ReconcilePlan;
  observations: MemberObservation[];
  /** When to run again (seconds), always set. */
  requeueAfterSeconds: number;
  /** Member actions that changed a sidecar, and failed calls. */
  changed: number;
  failures: string[];
}

function inFlight(s: ClusterTopologyStatus): boolean {
  return s.rollout !== undefined && IN_FLIGHT_STAGES.has(s.rollout.stage);
}

/** The observe → plan → act pass, with its per-resource memory. */
export class ReconcilePass {
  private readonly verifications = new Map<string, VerificationResult>();
  private readonly tracker = new MembersTracker();
  private readonly collector: SidecarMetricsCollector;
  private readonly rounds = new Map<string, number>();

  constructor(
    private readonly pool: SidecarPool,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collector = new SidecarMetricsCollector(pool);
  }

  /** Runs one pass. Never writes anything but the sidecars. */
  async run(input: PassInput): Promise<PassResult> {
    const { uid, generation, status, now, logger: log } = input;
    const spec = applyDefaults(input.spec);
    const pool = input.pool ?? this.pool;

    // Observe.
    const observations = await observeMembers(pool, input.pods);
    const pushed = await syncMemberLists(pool, observations);
    if (pushed > 0) log.info('pushed the member list', { sidecars: pushed, members: observations.filter((o) => o.observed.ready).length });
    const r = status.rollout;
    const lost = this.tracker.observe(uid, r !== undefined && (r.stage === 'Preparing' || r.stage === 'Routing') ? r.epoch : undefined, observations);
    let sample: TopologyMetrics | undefined;
    // A Manual switch does not depend on metrics: do not make the pass that starts it (the spec
    // changed) wait for a GetMetrics round over every member; the next evaluation samples.
    const manualSpecChange = spec.mode === 'Manual' && status.currentTopology !== undefined && status.observedGeneration !== generation;
    if (isEvaluationDue(spec, status, generation, now) && !manualSpecChange) {
      const round = (this.rounds.get(uid) ?? 0) + 1;
      this.rounds.set(uid, round);
      sample = await this.collector.collect(observations, spec.autoSwitch.sampleSize, round, now, pool);
    }

    // Plan.
    const verification = this.verifications.get(uid);
    let plan = planReconcile({
      spec: input.spec,
      generation,
      status,
      members: observations.map((o) => o.observed),
      now,
      ...(sample !== undefined ? { metrics: sample } : {}),
      ...(verification !== undefined ? { verification } : {}),
    });

    // Act.
    const addressOf = new Map(observations.filter((o) => o.pod.address !== undefined).map((o) => [o.pod.name, o.pod.address!]));
    const outcome = await runMemberActions(pool, spec, plan.actions, addressOf, log);
    // The switch replies say which epochs each member holds now. A stage all its members just
    // acknowledged moves on in this pass (its verification starts, or the next step is routed)
    // instead of waiting for the next pass to observe it: one round of GetState less per stage.
    // Once, so a pass stays bounded; the states read before the actions are then stale, and the
    // verification reads its own.
    let statesFresh = true;
    if (outcome.acknowledged.size > 0 && inFlight(plan.status)) {
      applySwitchReplies(observations, outcome.acknowledged);
      const next = planReconcile({ spec: input.spec, generation, status: plan.status, members: observations.map((o) => o.observed), now: this.now(), ...(verification !== undefined ? { verification } : {}) });
      plan = { ...next, events: [...plan.events, ...next.events], ...(plan.recommendation !== undefined ? { recommendation: plan.recommendation } : {}) };
      const more = await runMemberActions(pool, spec, next.actions, addressOf, log);
      outcome.changed += more.changed;
      outcome.failures.push(...more.failures);
      statesFresh = false;
    }
    let actOnVerification = false;
    let windowEndMs: number | undefined;
    for (const action of plan.actions) {
      if (action.kind !== 'verify') continue;
      const addresses = action.members.map((m) => addressOf.get(m)).filter((a): a is string => a !== undefined);
      const observed = statesFresh ? new Map(observations.filter((o) => o.state !== undefined && o.pod.address !== undefined).map((o) => [o.pod.address!, o.state!])) : undefined;
      const v = await verifyEpoch(pool, spec, action.epoch, addresses, lost, this.now, observed);
      this.verifications.set(uid, v);
      const failed = !v.connected || v.probesDelivered < v.probesSent;
      const started = plan.status.rollout?.verificationStartedAt;
      const stage = plan.status.rollout?.stage;
      const windowEnd = started === undefined || stage === undefined ? Infinity : Date.parse(started) + verificationWindowSeconds(spec.rollout.stepVerificationSeconds, stage) * 1000;
      actOnVerification = failed || Date.parse(v.checkedAt) >= windowEnd;
      if (!actOnVerification && Number.isFinite(windowEnd)) windowEndMs = windowEnd;
      log.info(failed ? 'verification failed' : 'verification passed', { verifiedEpoch: action.epoch, members: addresses.length, probesSent: v.probesSent, probesDelivered: v.probesDelivered, detail: v.detail });
    }
    if (!inFlight(plan.status)) this.verifications.delete(uid);

    // When to look again.
    let requeue = plan.requeueAfterSeconds ?? RESYNC_SECONDS;
    if (outcome.changed > 0) requeue = Math.min(requeue, FAST_REQUEUE_SECONDS);
    if (actOnVerification) requeue = Math.min(requeue, VERIFIED_REQUEUE_SECONDS);
    // The plan's wait for the window's end was counted from planning; the verification since took
    // time, so look again when the window ends rather than that much later.
    if (windowEndMs !== undefined) requeue = Math.min(requeue, Math.max(VERIFIED_REQUEUE_SECONDS, (windowEndMs - this.now().getTime()) / 1000));
    // A switch that just ended is decided on again at once (e.g. a rolled-back target now awaits a spec change).
    if (inFlight(status) && !inFlight(plan.status)) requeue = Math.min(requeue, FAST_REQUEUE_SECONDS);
    if (observations.some((o) => o.pod.podReady && !o.observed.ready)) requeue = Math.min(requeue, UNREACHABLE_REQUEUE_SECONDS);
    requeue = Math.min(requeue, RESYNC_SECONDS);
    return { plan, observations, requeueAfterSeconds: requeue, changed: outcome.changed, failures: outcome.failures };
  }

  /** Drops the memory of a deleted resource. */
  forget(uid: string): void {
    this.verifications.delete(uid);
    this.tracker.forget(uid);
    this.rounds.delete(uid);
  }
}
