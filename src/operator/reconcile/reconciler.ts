/**
 * The ClusterTopology reconciler: `(namespace, name) → {requeueAfter}` or throw.
 *
 * Level-based, as controller-runtime's reconcilers are: every call re-reads the world and decides
 * from it alone, so a restarted (or newly elected) operator simply carries on.
 *
 *   1. Read the resource (NotFound: forget it). Being deleted: run the finalizer
 *      (finalize.ts). Otherwise make sure the finalizer is set.
 *   2. Resolve the spec once (validate and default: `resolveSpec`); an invalid one is Stalled and
 *      not retried until it changes. Steps 3–5 are the pass of reconcile-pass.ts (shared with the
 *      loopback fleet and bench/operator.ts):
 *   3. Observe: member pods from the Pod informer's cache (members.ts), each sidecar's state
 *      (../sidecars/observe.ts), and keep every sidecar's member list current; sample metrics when
 *      the planner says an evaluation is due (../sidecars/metrics-sampling.ts); move the running
 *      verification on with what was observed (../sidecars/verify.ts).
 *   4. Plan, once: the pure `planReconcile` (rules + decideSwitch + the rollout planner), which
 *      also decides the requeue.
 *   5. Write status through the status subresource (merge patch from the object read in step 1,
 *      with its resourceVersion as precondition, so no second read); then act: the plan's member
 *      actions (../sidecars/actions.ts) and the verification it asks for, started and left
 *      running for a later pass to collect. Never a wait: the planner's requeue brings that pass.
 *   6. Emit the plan's Events, update metrics, and return the planner's requeue.
 *
 * Under leader election a pass acts only while this replica's leadership is valid: it is checked
 * before observing and before the status write, every Control call checks it again and carries
 * the fencing token (../sidecars/call-authority.ts), and a lost leadership cuts the member actions.
 *
 * What the reconciler remembers between calls, per resource and per replica: the latest
 * verification result (the planner takes it as input on the next call; a new leader simply
 * verifies again), members lost during a switch (members-tracker.ts), byte counters for rates, and
 * the metrics sampling round. Losing all of it costs at most one extra verification.
 */
import type winston from 'winston';
import { ANNOTATIONS, FINALIZER, GROUP, PLURAL, REASONS, VERSION } from '../../api/constants.js';
import type { ClusterTopology, ClusterTopologyStatus } from '../../api/types.js';
import { isNotFound } from '../controller/api-errors.js';
import type { EventRecorder } from '../controller/event-recorder.js';
import type { LeadershipGrant } from '../controller/leader-election.js';
import type { Request, Result } from '../controller/reconcile.js';
import type { CustomResource, CustomResourceRef, StatusWriter } from '../controller/status-writer.js';
import { memberPods, type PodLister } from './members.js';
import { claimMembers, type TopologyLister } from './claims.js';
import type { OperatorMetrics } from '../operator-metrics.js';
import { finalizeTopology } from './finalize.js';
import { eventAction } from './events.js';
import { ReconcilePass } from './reconcile-pass.js';
import { planInvalidSpec, resolveSpec } from '../rollout/plan-reconcile.js';
import type { PlannedEvent } from '../rollout/types.js';
import { IN_FLIGHT_STAGES } from '../../api/status.js';
import type { SidecarPool } from '../sidecars/pool.js';
import type { SidecarTokens, TokenResult } from '../sidecars/token.js';
import type { MemberCredentials } from '../sidecars/member-credentials.js';
import { tokenUnavailableStatus, TOKEN_RETRY_SECONDS } from '../sidecars/token-status.js';

/** Options of {@link TopologyReconciler}. */
export interface TopologyReconcilerOptions {
  statusWriter: StatusWriter;
  recorder: EventRecorder;
  pods: PodLister;
  /** The other ClusterTopologies (the informer's cache): a pod an earlier one selects is left to it (claims.ts). Defaults to none. */
  topologies?: TopologyLister;
  pool: SidecarPool;
  /** Resolves `spec.sidecar.tokenSecretRef` (shared-token mode). */
  tokens: SidecarTokens;
  /** The managed credentials of resources that name no token Secret (their Control token, their Secret). */
  credentials: MemberCredentials;
  metrics: OperatorMetrics;
  logger: winston.Logger;
  /** Defaults to the system time. */
  now?: () => Date;
  /**
   * Asks for a reconcile of `request` soon (the controller's `enqueue`): called when a
   * verification started by a pass has news, so the next pass need not wait out its requeue.
   */
  wake?: (request: Request) => void;
  /**
   * Under leader election, what this replica acts with (the Manager's `leadership`): without a
   * valid grant a pass writes no status and moves no sidecar, and its member actions stop when the
   * grant's signal aborts. Default: none (no leader election, always acts).
   */
  leadership?: () => LeadershipGrant | undefined;
}

/**
 * Thrown when a pass is cut because this replica holds no valid leadership. The controller
 * retries with backoff, which ends when the replica stops; the next leader reconciles from status.
 */
export class LeadershipLostError extends Error {
  constructor(step: string) {
    super(`leadership lost or expired: the pass is cut before ${step}`);
    this.name = 'LeadershipLostError';
  }
}

/** The ClusterTopology reconciler; pass {@link TopologyReconciler.reconcile} to a Controller. */
export class TopologyReconciler {
  private readonly pass: ReconcilePass;
  private readonly now: () => Date;
  /** The request of each resource the pass keeps memory for (uid → namespace/name), for {@link TopologyReconcilerOptions.wake}. */
  private readonly requests = new Map<string, Request>();

  constructor(private readonly options: TopologyReconcilerOptions) {
    this.now = options.now ?? (() => new Date());
    this.pass = new ReconcilePass(options.pool, (uid) => {
      const request = this.requests.get(uid);
      if (request !== undefined) this.options.wake?.(request);
    });
  }

  /** The reconcile function (bound, so it can be handed to a Controller as is). */
  readonly reconcile = (request: Request): Promise<Result> => this.run(request);

  private async run(request: Request): Promise<Result> {
    const { namespace, name } = request;
    const { statusWriter, metrics } = this.options;
    const ref: CustomResourceRef = { group: GROUP, version: VERSION, plural: PLURAL, namespace, name };
    const signal = this.mayAct('reconciling');
    let object: ClusterTopology;
    try {
      object = (await statusWriter.get<ClusterTopologyStatus>(ref)) as unknown as ClusterTopology;
    } catch (err) {
      if (isNotFound(err)) {
        metrics.forget(namespace, name);
        return {};
      }
      throw err;
    }
    const uid = object.metadata.uid ?? `${namespace}/${name}`;
    this.requests.set(uid, { namespace, name });
    const status = object.status ?? {};
    const log = this.options.logger.child({ namespace, name, epoch: status.epoch ?? 0, generation: object.metadata.generation ?? 0 });

    // The token this resource's sidecars accept on Control: its managed credentials (the Secret is
    // created or brought up to date here), or the shared token it names.
    const deleting = object.metadata.deletionTimestamp !== undefined && object.metadata.deletionTimestamp !== null;
    const token = await this.controlToken(object, uid, !deleting);
    const pool = this.options.pool.withCredential(token.ok ? token.credential : undefined);

    if (deleting) {
      this.forget(uid);
      this.options.credentials.forget(uid);
      metrics.forget(namespace, name);
      // Without the resource's token the clean-up is tried without one (and refused); it never blocks deletion.
      return finalizeTopology({ ...this.options, pool, logger: log, now: this.now }, object, ref);
    }
    if (!(object.metadata.finalizers ?? []).includes(FINALIZER)) {
      // Continue from the object as written, so the status write below need not read it again.
      object = (await statusWriter.addFinalizer(ref, FINALIZER, object as unknown as CustomResource)) as unknown as ClusterTopology;
      log.info('added the finalizer', { finalizer: FINALIZER });
    }

    const generation = object.metadata.generation ?? 0;
    const now = this.now();
    // Validated and defaulted once; everything below takes the resolved spec.
    const resolved = resolveSpec(object.spec);
    if (!resolved.ok) {
      // Stalled/InvalidSpec; nothing is retried until the spec changes.
      const plan = planInvalidSpec(status, generation, resolved.message, now);
      await this.write(ref, object, status, plan.status, log);
      await this.emit(object, plan.events);
      return {};
    }
    if (!token.ok) {
      // Nothing can be asked of the sidecars: say why, and look again (a Secret is not watched).
      const next = tokenUnavailableStatus(status, generation, token.message, now);
      const written = await this.write(ref, object, status, next, log);
      await this.emit(written, [{ type: 'Warning', reason: REASONS.sidecarTokenUnavailable, message: token.message }]);
      log.warn(token.message, { event: REASONS.sidecarTokenUnavailable });
      return { requeueAfter: TOKEN_RETRY_SECONDS * 1000 };
    }
    const spec = resolved.spec;
    // Pods an earlier ClusterTopology also selects are its own: not observed, configured or counted here.
    const control = object.metadata.annotations?.[ANNOTATIONS.control];
    const claim = claimMembers(object, memberPods(spec, this.options.pods.list(namespace), now), this.options.topologies?.list(namespace) ?? []);
    const planned = await this.pass.plan({
      uid,
      spec,
      generation,
      status,
      pods: claim.own,
      shared: claim.shared,
      ...(control !== undefined ? { control } : {}),
      now,
      logger: log,
      pool,
      ...(signal !== undefined ? { signal } : {}),
    });
    const { plan, requeueAfterSeconds } = planned;

    // Record the intent, then act on it: a failed write (another replica's status) moves no sidecar.
    this.mayAct('writing the status');
    const written = await this.write(ref, object, status, plan.status, log);
    await this.pass.act(planned);
    // A pass cut by a lost leadership tells no story: the next leader's Events do.
    this.mayAct('emitting the Events');
    await this.emit(written, plan.events);
    metrics.countSwitches(status.history, plan.status.history);
    metrics.observeStatus(namespace, name, plan.status, plan.status.rollout !== undefined && IN_FLIGHT_STAGES.has(plan.status.rollout.stage));
    for (const e of plan.events) log.info(e.message, { event: e.reason, type: e.type });

    return { requeueAfter: Math.max(50, Math.round(requeueAfterSeconds * 1000)) };
  }

  private controlToken(object: ClusterTopology, uid: string, ensure: boolean): Promise<TokenResult> {
    const ref = object.spec?.sidecar?.tokenSecretRef;
    const namespace = object.metadata.namespace ?? '';
    if (ref !== undefined) return this.options.tokens.resolve(namespace, ref);
    return this.options.credentials.resolve({ namespace, name: object.metadata.name ?? '', uid }, ensure);
  }

  /**
   * Writes `next` as the status. If someone else changed the status since it was read (another
   * replica during a hand-over), the plan is stale: throw, and the retry plans again from theirs.
   */
  private async write(
    ref: CustomResourceRef,
    object: ClusterTopology,
    read: ClusterTopologyStatus,
    next: ClusterTopologyStatus,
    log: winston.Logger,
  ): Promise<CustomResource> {
    const readJson = JSON.stringify(read);
    // The object read for planning is the first attempt's base; a conflict re-reads (and then throws here).
    const written = await this.options.statusWriter.updateStatus<ClusterTopologyStatus>(
      ref,
      (fresh) => {
        if (JSON.stringify(fresh.status ?? {}) !== readJson) throw new Error('status changed while reconciling; planning again');
        return next;
      },
      object as unknown as CustomResource<ClusterTopologyStatus>,
    );
    if (written.status !== undefined && next.phase !== read.phase)
      log.info('phase changed', { from: read.phase ?? 'none', to: next.phase, topology: next.currentTopology, target: next.targetTopology });
    return (written.apiVersion !== undefined ? written : object) as unknown as CustomResource;
  }

  /**
   * The signal of this replica's leadership (undefined without leader election); throws
   * {@link LeadershipLostError} when leader-elected without a valid grant.
   */
  private mayAct(step: string): AbortSignal | undefined {
    if (this.options.leadership === undefined) return undefined;
    const grant = this.options.leadership();
    if (grant === undefined) throw new LeadershipLostError(step);
    return grant.signal;
  }

  private async emit(object: CustomResource | ClusterTopology, events: readonly PlannedEvent[]): Promise<void> {
    for (const e of events) {
      await this.options.recorder.record(object as CustomResource, { type: e.type, reason: e.reason, action: eventAction(e.reason), note: e.message });
    }
  }

  private forget(uid: string): void {
    this.requests.delete(uid);
    this.pass.forget(uid);
  }
}
