/**
 * The operator's own switch engine over a loopback fleet of real sidecars: the reconcile pass
 * production runs (observe every sidecar, plan with the rollout planner, act, verify; see
 * src/operator/reconcile/reconcile-pass.ts), with the resource kept in memory instead of the API
 * server and the work queue's requeue replaced by a loop that waits the pass's `requeueAfter`.
 *
 * It is what the integration tests, the TLS and token tests and `bench:sidecars` switch with, so
 * what they prove is about the planner and pass that run in the operator, not about a second
 * orchestrator. A verification's news (a probe round returned) wakes the loop early, as it
 * enqueues the resource in the operator's controller. Pods are named `member-0000`, … in the order of the addresses given, so rollout
 * steps route them in that order, as the operator routes pods by name.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type winston from 'winston';
import { inFlight } from '../api/status.js';
import type { ClusterTopologySpec, ClusterTopologyStatus, OverlayKind, ResolvedSpec, RolloutSettings, SwitchResult } from '../api/types.js';
import { silentLogger } from '../operator/controller/log.js';
import type { MemberPod } from '../operator/reconcile/members.js';
import { ReconcilePass, type PassResult } from '../operator/reconcile/reconcile-pass.js';
import { resolveSpec } from '../operator/rollout/plan-reconcile.js';
import { SidecarPool } from '../operator/sidecars/pool.js';
import type { SidecarTransport } from '../operator/sidecars/tls.js';
import { FLEET_PEER_PORT } from './loopback-fleet.js';

/**
 * The rollout a fleet switches with unless told otherwise: one step of 100 %, the shortest health
 * window the CRD allows (1 s), and the operator's own rollback. Tests that mean to exercise steps
 * and windows pass their own.
 */
export const FLEET_ROLLOUT: Partial<RolloutSettings> = { steps: [100], stepVerificationSeconds: 1, progressDeadlineSeconds: 120, autoRollback: true };

/** Deadline of each Control call of the fleet's pool (ms): generous, the fleet may share a loaded machine. */
export const FLEET_CALL_TIMEOUT_MS = 15_000;

/** Options of {@link FleetOperator}. */
export interface FleetOperatorOptions {
  /** Cluster token sent on Control calls (undefined: none). */
  token: string | undefined;
  /** TLS for the Control clients; default plaintext. */
  transport?: SidecarTransport;
  /** `spec.rollout`; default {@link FLEET_ROLLOUT}. */
  rollout?: Partial<RolloutSettings>;
  /** `spec.overlays` (HyParView sizes, Plumtree timers, ClientServer servers). */
  overlays?: ClusterTopologySpec['overlays'];
  /** Deadline of each Control call (ms); default {@link FLEET_CALL_TIMEOUT_MS}. */
  callTimeoutMs?: number;
  /** Control calls in flight at once per fan-out; default 32, as the operator's. */
  concurrency?: number;
  logger?: winston.Logger;
  /** Carry on from another fleet operator's resource (say, one whose transport had other credentials). */
  resume?: { status: ClusterTopologyStatus; generation: number };
  /** `spec.memberTags`: pod label keys the members carry as tags (App API v2). */
  memberTags?: string[];
  /** Extra labels of member `i`'s pod (beside `app: fleet`), for `memberTags`. */
  podLabels?: (i: number) => Record<string, string>;
}

/** Wall time of one rollout stage as the passes saw it. */
export interface StageTiming {
  stage: string;
  percent: number;
  ms: number;
}

/** What one switch did. */
export interface FleetSwitchReport {
  /** True when the switch Succeeded. */
  ok: boolean;
  kind: OverlayKind;
  epoch: number;
  /** The history entry's result, or `Timeout` when it had not ended within the time given. */
  result: SwitchResult | 'Timeout';
  reason: string;
  passes: number;
  /** How long each pass took (ms), observation to last action. */
  passMs: number[];
  totalMs: number;
  /** Each stage in order (Preparing, Routing per step, Committing, RollingBack). */
  stages: StageTiming[];
}

/** Options of {@link FleetOperator.switchTo}. */
export interface SwitchOptions {
  /** Give up after this long (ms); default the progress deadline × (steps + 2). */
  timeoutMs?: number;
  /** Called after every pass (tests use it to inject a fault at a given stage). */
  onPass?: (result: PassResult) => void | Promise<void>;
}

/** The reconcile pass of the operator driving one in-memory ClusterTopology over fleet members. */
export class FleetOperator {
  readonly pool: SidecarPool;
  readonly pass: ReconcilePass;
  /** The resource: spec (Manual mode), generation and status as the API server would keep them. */
  readonly spec: ClusterTopologySpec;
  generation = 1;
  status: ClusterTopologyStatus = {};
  private readonly pods: MemberPod[];
  private readonly logger: winston.Logger;
  /** Resolves the current wait between passes early (a verification has news). */
  private woken: (() => void) | undefined;
  /** The pool the passes call through: {@link pool}, or a view of it with another token. */
  private calls: SidecarPool;

  constructor(addresses: readonly string[], options: FleetOperatorOptions) {
    this.pool = new SidecarPool({
      token: options.token,
      concurrency: options.concurrency ?? 32,
      timeoutMs: options.callTimeoutMs ?? FLEET_CALL_TIMEOUT_MS,
      ...(options.transport !== undefined ? { transport: options.transport } : {}),
    });
    // A probe round that returned wakes the loop, as it enqueues the resource in the operator.
    this.pass = new ReconcilePass(this.pool, () => this.woken?.());
    this.calls = this.pool;
    if (options.resume !== undefined) {
      this.status = JSON.parse(JSON.stringify(options.resume.status)) as ClusterTopologyStatus;
      this.generation = options.resume.generation;
    }
    this.logger = options.logger ?? silentLogger();
    this.spec = {
      selector: { matchLabels: { app: 'fleet' } },
      mode: 'Manual',
      sidecar: { port: FLEET_PEER_PORT },
      // Evaluations sample metrics; a Manual fleet needs none between switches.
      autoSwitch: { evaluationIntervalSeconds: 3600 },
      rollout: options.rollout ?? FLEET_ROLLOUT,
      ...(options.overlays !== undefined ? { overlays: options.overlays } : {}),
      ...(options.memberTags !== undefined ? { memberTags: options.memberTags } : {}),
    };
    this.pods = addresses.map((address, i) => ({
      name: `member-${String(i).padStart(4, '0')}`,
      uid: `uid-${i}`,
      labels: { ...(options.podLabels?.(i) ?? {}), app: 'fleet' },
      address,
      podReady: true,
      pod: {} as V1Pod,
    }));
  }

  /** The spec as the reconciler resolves it (validated and defaulted); throws on a spec the API server would refuse. */
  get resolved(): ResolvedSpec {
    const r = resolveSpec(this.spec);
    if (!r.ok) throw new Error(r.message);
    return r.spec;
  }

  /** Sends `token` on later Control calls, as the operator does once its token file was rotated. */
  useToken(token: string | undefined): void {
    this.calls = this.pool.withToken(token);
  }

  /** Marks the pod of `address` Ready or not, as the kubelet would (a killed or frozen member). */
  setPodReady(address: string, ready: boolean): void {
    const pod = this.pods.find((p) => p.address === address);
    if (pod === undefined) throw new Error(`${address} is no member of this fleet`);
    pod.podReady = ready;
  }

  /** One reconcile pass, its status kept as the API server would keep it. */
  async reconcile(): Promise<PassResult> {
    const result = await this.pass.run({
      uid: 'fleet',
      spec: this.resolved,
      generation: this.generation,
      status: this.status,
      pods: this.pods,
      now: new Date(),
      logger: this.logger,
      pool: this.calls,
    });
    this.status = result.plan.status;
    return result;
  }

  /**
   * Switches to `kind` (spec.topology, a new generation) and reconciles until the switch ends,
   * waiting each pass's requeue. Never throws for a failed switch: the report says how it ended.
   */
  async switchTo(kind: OverlayKind, options: SwitchOptions = {}): Promise<FleetSwitchReport> {
    this.setTopology(kind);
    const rollout = this.resolved.rollout;
    const timeoutMs = options.timeoutMs ?? rollout.progressDeadlineSeconds * 1000 * (rollout.steps.length + 2);
    const startedEpoch = Math.max(this.status.epoch ?? 0, this.status.rollout?.epoch ?? 0);
    const t0 = Date.now();
    const stages: StageTiming[] = [];
    const passMs: number[] = [];
    let stageKey = '';
    let stageStart = t0;
    for (;;) {
      const started = Date.now();
      const r = await this.reconcile();
      passMs.push(Date.now() - started);
      await options.onPass?.(r);
      const ro = this.status.rollout;
      const key = ro === undefined || ro.epoch <= startedEpoch ? '' : `${ro.stage} ${ro.stepPercent}`;
      if (key !== stageKey) {
        const now = Date.now();
        if (stageKey !== '') stages.push({ stage: stageKey.split(' ')[0]!, percent: Number(stageKey.split(' ')[1]), ms: now - stageStart });
        stageKey = key;
        stageStart = now;
      }
      const ended = ro !== undefined && ro.epoch > startedEpoch && inFlight(this.status) === undefined && ro.to === kind;
      if (ended) {
        const last = this.status.history?.at(-1);
        const result = last?.result ?? 'Succeeded';
        return {
          ok: result === 'Succeeded',
          kind,
          epoch: ro.epoch,
          result,
          reason: last?.reason ?? '',
          passes: passMs.length,
          passMs,
          totalMs: Date.now() - t0,
          stages,
        };
      }
      if (Date.now() - t0 > timeoutMs) {
        return {
          ok: false,
          kind,
          epoch: ro?.epoch ?? startedEpoch,
          result: 'Timeout',
          reason: `not ended within ${timeoutMs} ms (phase ${this.status.phase}, ${ro?.stage ?? 'no rollout'}: ${ro?.message ?? ''})`,
          passes: passMs.length,
          passMs,
          totalMs: Date.now() - t0,
          stages,
        };
      }
      await this.waitRequeue(r.requeueAfterSeconds);
    }
  }

  /** Edits spec.topology, as `kubectl apply` would (a new generation); the next pass acts on it. */
  setTopology(kind: OverlayKind): void {
    this.spec.topology = kind;
    this.generation++;
  }

  /** Closes the Control clients. */
  close(): void {
    this.pool.close();
  }

  /** Waits the pass's requeue, or less when a verification has news: what the operator's work queue does. */
  private async waitRequeue(seconds: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.woken = resolve;
      timer = setTimeout(resolve, Math.max(10, seconds * 1000));
    });
    clearTimeout(timer);
    this.woken = undefined;
  }
}
