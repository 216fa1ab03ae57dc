/**
 * One pass of the reconciler over the sidecars, without Kubernetes: observe the member sidecars,
 * sample metrics when the planner says they are due, move the running verification on, plan once
 * (the pure `planReconcile`); then, once the caller has written the plan's status, carry out the
 * member actions; and hand back the planner's requeue.
 * It never waits: a verification that has not finished is a job that a later pass collects
 * (../sidecars/verify.ts), and the planner's requeue brings that pass.
 *
 * It is separate from reconciler.ts (which reads and writes the resource, emits Events and owns the
 * finalizer) so that the same pass drives a loopback fleet of real sidecars (src/fleet/
 * fleet-operator.ts: the integration tests and `bench:sidecars`, and `bench/operator.ts`), where
 * the "resource" is a status kept in memory.
 *
 * The memory it keeps per resource (keyed by uid) is documented in reconciler.ts.
 */
import type winston from 'winston';
import { inFlight } from '../../api/status.js';
import type { ClusterTopologyStatus, ResolvedSpec, TopologyMetrics } from '../../api/types.js';
import type { MemberPod } from './members.js';
import { MembersTracker } from './members-tracker.js';
import { untrustedMembers } from '../rollout/epoch-trust.js';
import { metricsDue, planReconcile, type ReconcilePlan } from '../rollout/plan-reconcile.js';
import type { SharedPods } from '../rollout/types.js';
import { runMemberActions, type ActionOutcome as ActOutcome } from '../sidecars/actions.js';
import { SidecarMetricsCollector } from '../sidecars/metrics-sampling.js';
import { graceRequeueSeconds, observeMembers, syncMemberLists, type MemberObservation } from '../sidecars/observe.js';
import type { SidecarPool } from '../sidecars/pool.js';
import type { SidecarState } from '../../rpc/control-client.js';
import { EpochVerifier } from '../sidecars/verify.js';

/** Past a grace's end before the pass looks again, so the pod's condition is judged after it ran out. */
const GRACE_REQUEUE_SLACK_SECONDS = 0.1;

/** Input of one pass: the spec as `resolveSpec` resolved it, the status read, and the member pods. */
export interface PassInput {
  /** Identifies the resource for the pass's memory (metadata.uid). */
  uid: string;
  spec: ResolvedSpec;
  generation: number;
  status: ClusterTopologyStatus;
  pods: readonly MemberPod[];
  /** Selected pods left to earlier ClusterTopologies (not in `pods`), for the conditions. */
  shared?: readonly SharedPods[];
  /** The control annotation's value (abort, retry, promote: src/api/control-request.ts), if any. */
  control?: string;
  now: Date;
  logger: winston.Logger;
  /** The sidecar connections for this resource (its own token); defaults to the pass's pool. */
  pool?: SidecarPool;
  /** Aborts when this replica stops leading: member actions not yet started are dropped. */
  signal?: AbortSignal;
}

/** A plan with what the pass observed, to be carried out by {@link ReconcilePass.act} once its status is written. */
export interface PlannedPass {
  input: PassInput;
  plan: ReconcilePlan;
  observations: MemberObservation[];
  /** Members lost during the switch in flight. */
  lost: string[];
  /** The states observed (address → state), for the verification. */
  states: ReadonlyMap<string, SidecarState>;
  /** When to run again (seconds): the planner's requeue, always set. */
  requeueAfterSeconds: number;
}

/** What a pass did and decided. */
export interface PassResult {
  plan: ReconcilePlan;
  observations: MemberObservation[];
  /** When to run again (seconds): the planner's requeue, always set. */
  requeueAfterSeconds: number;
  /** Member actions that changed a sidecar, and failed calls. */
  changed: number;
  failures: string[];
}

/** The observe → plan → act pass, with its per-resource memory. */
export class ReconcilePass {
  private readonly tracker = new MembersTracker();
  private readonly collector: SidecarMetricsCollector;
  private readonly rounds = new Map<string, number>();
  /** The verification jobs and their latest results, per resource. */
  readonly verifier: EpochVerifier;

  /** `wake(uid)`: a verification of `uid` has news (a probe round returned); run a pass for it soon. */
  constructor(
    private readonly pool: SidecarPool,
    wake: (uid: string) => void = () => undefined,
  ) {
    this.verifier = new EpochVerifier(wake);
    this.collector = new SidecarMetricsCollector(pool);
  }

  /**
   * Observes and plans; changes no sidecar (the member lists aside, which only repeat what the
   * pods say). The caller writes the plan's status, then calls {@link act}: the intent is recorded
   * before any sidecar moves towards it (docs/architecture.md, "The reconcile pass").
   */
  async plan(input: PassInput): Promise<PlannedPass> {
    const { uid, spec, generation, status, now, logger: log } = input;
    const pool = input.pool ?? this.pool;

    // Observe.
    const observations = await observeMembers(pool, input.pods);
    // A member reporting a nonsense epoch is not listed to the others (nor told the list): the planner leaves it out too.
    const distrusted = new Set(
      untrustedMembers(
        observations.map((o) => o.observed),
        status,
      ).map((u) => u.name),
    );
    const pushed = await syncMemberLists(pool, distrusted.size === 0 ? observations : observations.filter((o) => !distrusted.has(o.pod.name)), spec.memberTags);
    if (pushed > 0) log.info('pushed the member list', { sidecars: pushed, members: observations.filter((o) => o.observed.ready).length });
    const r = status.rollout;
    const lost = this.tracker.observe(uid, r !== undefined && (r.stage === 'Preparing' || r.stage === 'Routing') ? r.epoch : undefined, observations);
    let sample: TopologyMetrics | undefined;
    if (metricsDue(spec, status, generation, now)) {
      const round = (this.rounds.get(uid) ?? 0) + 1;
      this.rounds.set(uid, round);
      sample = await this.collector.collect(observations, spec.autoSwitch.sampleSize, round, now, pool);
    }
    const states = new Map(observations.filter((o) => o.state !== undefined && o.pod.address !== undefined).map((o) => [o.pod.address!, o.state!]));
    // A probe round that returned since the last pass, or an overlay that converged, is a result this plan sees.
    const before = this.verifier.result(uid);
    this.verifier.resume(uid, { spec, lost, states, now, pool });
    const verification = this.verifier.result(uid);
    if (verification !== undefined && verification !== before) {
      const failed = !verification.connected || verification.probesDelivered < verification.probesSent;
      log.info(failed ? 'verification failed' : 'verification passed', {
        verifiedEpoch: verification.epoch,
        probesSent: verification.probesSent,
        probesDelivered: verification.probesDelivered,
        detail: verification.detail,
      });
    }

    // Plan, once.
    const plan = planReconcile({
      spec,
      generation,
      status,
      members: observations.map((o) => o.observed),
      now,
      ...(sample !== undefined ? { metrics: sample } : {}),
      ...(verification !== undefined ? { verification } : {}),
      ...(input.shared !== undefined ? { shared: input.shared } : {}),
      ...(input.control !== undefined ? { control: input.control } : {}),
    });
    // A member kept by its NotReady grace is looked at again when the grace runs out (level-based: no timer of ours).
    const graced = observations.filter((o) => o.graced === true).map((o) => o.pod.name);
    const grace = graceRequeueSeconds(observations, now.getTime());
    if (graced.length > 0)
      log.info('members NotReady but serving: kept in the overlay within spec.memberReadiness.notReadyGraceSeconds', {
        members: graced.slice(0, 10),
        count: graced.length,
        graceSeconds: spec.memberReadiness.notReadyGraceSeconds,
      });
    const requeue = plan.requeueAfterSeconds ?? 0;
    return {
      input,
      plan,
      observations,
      lost,
      states,
      requeueAfterSeconds: grace === undefined ? requeue : Math.min(requeue, grace + GRACE_REQUEUE_SLACK_SECONDS),
    };
  }

  /** Carries out a plan whose status is written: the member actions, and the verification it asks for. */
  async act(planned: PlannedPass): Promise<ActOutcome> {
    const { input, plan, observations, lost, states } = planned;
    const { uid, spec, now, logger: log } = input;
    const pool = input.pool ?? this.pool;
    const addressOf = new Map(observations.filter((o) => o.pod.address !== undefined).map((o) => [o.pod.name, o.pod.address!]));
    const outcome = await runMemberActions(pool, spec, plan.actions, addressOf, log, input.signal);
    const check = plan.actions.find((a) => a.kind === 'verify');
    if (check !== undefined) {
      const addresses = check.members.map((m) => addressOf.get(m)).filter((a): a is string => a !== undefined);
      this.verifier.advance(uid, { spec, epoch: check.epoch, addresses, lost, states, now, pool });
    } else {
      this.verifier.cancel(uid);
    }
    if (inFlight(plan.status) === undefined) this.verifier.forget(uid);
    return outcome;
  }

  /** Plans and acts at once, for a resource kept in memory (a loopback fleet, a benchmark), where no status write can fail in between. */
  async run(input: PassInput): Promise<PassResult> {
    const planned = await this.plan(input);
    const outcome = await this.act(planned);
    return {
      plan: planned.plan,
      observations: planned.observations,
      requeueAfterSeconds: planned.requeueAfterSeconds,
      changed: outcome.changed,
      failures: outcome.failures,
    };
  }

  /** Drops the memory of a deleted resource. */
  forget(uid: string): void {
    this.verifier.forget(uid);
    this.tracker.forget(uid);
    this.rounds.delete(uid);
  }
}
