/**
 * A virtual member: the Control API of one sidecar, answered by the real epoch state machine
 * (src/member/switch-engine.ts), the real request validation (src/sidecar/control-requests.ts)
 * and the real fencing rule (src/sidecar/fencing.ts), without an overlay behind it. A load
 * generator for the operator at the seed's scale (thousands of members from a few processes),
 * like kwok's fake kubelets: what it reports about overlays is computed (synthetic-overlay.ts),
 * and a probe reaches exactly the members that run its epoch (the {@link ProbeWorld} knows them
 * across processes).
 *
 * Drains take {@link DRAIN_MS}, the real sidecar's quiet period, so the operator sees draining
 * epochs as it would.
 */
import * as grpc from '@grpc/grpc-js';
import type { ControlHandlers } from '../../../src/rpc/generated/topology/v1/Control.js';
import type { SwitchReply } from '../../../src/rpc/generated/topology/v1/SwitchReply.js';
import { SwitchEngine, type SwitchResult } from '../../../src/member/switch-engine.js';
import { Fence, fencedHandlers, reportedFencing } from '../../../src/sidecar/fencing.js';
import { checkEpoch, validateMemberInfo, validateMembers, validatePrepare, validateProbe } from '../../../src/sidecar/control-requests.js';
import { TOPOLOGY_OF_KIND } from '../../../src/rpc/overlay-params.js';
import { checkToken, grpcError, unauthenticatedError, type TokenAcceptor } from '../../../src/rpc/auth.js';
import { memberInfoDigest } from '../../../src/rpc/member-tags.js';
import type { NodeId } from '../../../src/overlays/types.js';
import { DEFAULT_ACTIVE_VIEW_SIZE, syntheticHealth, syntheticView, type SyntheticOverlay } from './synthetic-overlay.js';

/** How long a retired epoch drains (ms): the real sidecar's quiet period (DEFAULT_DRAIN_POLICY.quietMs). */
export const DRAIN_MS = 1000;
/** Reported latency of a probe that reached a member (ms): loopback-like. */
const PROBE_LATENCY_MS = 3;

/** Who runs which epoch, over every virtual member of the run (kept current across processes). */
export interface ProbeWorld {
  /** Whether the member at `address` runs `epoch` (active, staged or draining). */
  runs(address: NodeId, epoch: number): boolean;
  /** This member's live epochs changed. */
  changed(address: NodeId, live: readonly number[]): void;
}

/** Control calls answered, by method, and the bytes they carried (for the scenario's per-pass figures). */
export interface CallCounts {
  calls: Record<string, number>;
  requestBytes: number;
  responseBytes: number;
  refused: number;
}

/** One virtual member's Control state. */
export class VirtualMember {
  readonly engine = new SwitchEngine();
  readonly fence = new Fence();
  private readonly overlays = new Map<number, SyntheticOverlay>();
  private readonly views = new Map<number, NodeId[]>();
  private members: readonly NodeId[] = [];
  private infoDigest = '';
  private readonly startedAt = Date.now();
  private readonly bytesBase = Date.now();

  constructor(
    readonly address: NodeId,
    readonly pod: string,
    private readonly world: ProbeWorld,
  ) {}

  /** The Control handlers of this member, fenced as a sidecar's are. */
  handlers(): ControlHandlers {
    return fencedHandlers(this.rawHandlers(), this.fence);
  }

  private live(): number[] {
    const s = this.engine.snapshot();
    return [s.active, s.staged, ...s.draining].filter((e) => e > 0);
  }

  private view(epoch: number): NodeId[] {
    let v = this.views.get(epoch);
    const o = this.overlays.get(epoch);
    if (v === undefined && o !== undefined) {
      v = syntheticView(this.address, o);
      this.views.set(epoch, v);
    }
    return v ?? [];
  }

  private applied(result: SwitchResult): void {
    if (!result.ok) return;
    for (const effect of result.effects) {
      if (effect.kind !== 'drain') continue;
      const epoch = effect.epoch;
      setTimeout(() => {
        this.engine.drained(epoch);
        this.overlays.delete(epoch);
        this.views.delete(epoch);
        this.world.changed(this.address, this.live());
      }, DRAIN_MS).unref();
    }
    this.world.changed(this.address, this.live());
  }

  private reply(method: string, result: SwitchResult, callback: grpc.sendUnaryData<SwitchReply>): void {
    this.applied(result);
    if (!result.ok) {
      callback(grpcError(result.refusal === 'invalid' ? grpc.status.INVALID_ARGUMENT : grpc.status.FAILED_PRECONDITION, `${method}: ${result.reason}`));
      return;
    }
    const s = this.engine.snapshot();
    callback(null, { activeEpoch: s.active, stagedEpoch: s.staged, routeEpoch: s.route, changed: result.changed });
  }

  private role(epoch: number): string {
    return this.engine.roleOf(epoch) ?? 'draining';
  }

  /** Each live overlay with its view and the fields GetState and GetMetrics both start with. */
  private described(): Array<{
    o: SyntheticOverlay;
    view: NodeId[];
    head: { epoch: number; topology: (typeof TOPOLOGY_OF_KIND)[keyof typeof TOPOLOGY_OF_KIND]; role: string };
  }> {
    return [...this.overlays.entries()].map(([epoch, o]) => ({
      o,
      view: this.view(epoch),
      head: { epoch, topology: TOPOLOGY_OF_KIND[o.kind], role: this.role(epoch) },
    }));
  }

  private rawHandlers(): ControlHandlers {
    return {
      GetState: (call, callback) => {
        const s = this.engine.snapshot();
        const viewsOnly = call.request.viewsOnly === true;
        callback(null, {
          pod: this.pod,
          self: this.address,
          activeEpoch: s.active,
          stagedEpoch: s.staged,
          routeEpoch: s.route,
          members: viewsOnly ? [] : [...this.members],
          startedAtMs: this.startedAt,
          tags: {},
          memberInfoDigest: this.infoDigest,
          ...reportedFencing(this.fence),
          overlays: this.described().map(({ o, view, head }) => {
            return {
              ...head,
              activeView: view,
              passiveView: [],
              members: viewsOnly ? [] : [...o.members],
              connections: view.length,
            };
          }),
        });
      },
      GetMetrics: (_call, callback) => {
        const h = syntheticHealth(this.address);
        const seconds = (Date.now() - this.bytesBase) / 1000;
        callback(null, {
          pod: this.pod,
          self: this.address,
          overlays: this.described().map(({ view, head }) => {
            return {
              ...head,
              activeViewSize: view.length,
              passiveViewSize: 0,
              connections: view.length,
              neighbors: [],
              bytesIn: Math.round(h.bytesPerSecond * seconds),
              bytesOut: Math.round(h.bytesPerSecond * seconds),
              messagesIn: 0,
              messagesOut: 0,
              queueLength: 0,
              maxQueueLength: h.maxQueueLength,
              duplicatesDropped: 0,
              delivered: 0,
              deliveryLatencyP50Ms: h.deliveryLatencyP50Ms,
              deliveryLatencyP99Ms: h.deliveryLatencyP99Ms,
              neighborLossEvents: 0,
              sendFailures: 0,
            };
          }),
          unauthenticatedTotal: 0,
          malformedTotal: 0,
          malformedByReason: {},
          uncaughtErrorsTotal: 0,
          refusedDialsTotal: 0,
          bufferedBytes: {},
          bufferRefusals: {},
          appDeliveredTotal: 0,
          appDuplicatesTotal: 0,
          cpuSeconds: 0,
          rssBytes: 0,
          heapUsedBytes: 0,
          fencingRefusedTotal: this.fence.refusedTotal(),
        });
      },
      Prepare: (call, callback) => {
        const args = validatePrepare(call.request);
        if (!args.ok) {
          callback(grpcError(args.code, args.reason));
          return;
        }
        const p = args.value;
        const result = this.engine.prepare(p.epoch);
        if (result.ok && result.changed) {
          const cs = p.params.clientServer;
          this.overlays.set(p.epoch, {
            kind: p.kind,
            members: p.members,
            activeViewSize: p.params.hyParView?.activeViewSize ?? DEFAULT_ACTIVE_VIEW_SIZE,
            servers: cs?.servers ?? [],
            serverCount: cs?.defaultServerCount ?? 1,
          });
        }
        this.reply('Prepare', result, callback);
      },
      Route: (call, callback) => {
        const bad = checkEpoch('Route.epoch', call.request.epoch);
        if (bad !== undefined) callback(grpcError(bad.code, bad.reason));
        else this.reply('Route', this.engine.routeTo(call.request.epoch), callback);
      },
      Commit: (call, callback) => {
        const bad = checkEpoch('Commit.epoch', call.request.epoch);
        if (bad !== undefined) callback(grpcError(bad.code, bad.reason));
        else this.reply('Commit', this.engine.commit(call.request.epoch), callback);
      },
      Abort: (call, callback) => {
        const bad = checkEpoch('Abort.epoch', call.request.epoch);
        if (bad !== undefined) callback(grpcError(bad.code, bad.reason));
        else this.reply('Abort', this.engine.abort(call.request.epoch), callback);
      },
      Probe: (call, callback) => {
        const args = validateProbe(call.request);
        if (!args.ok) {
          callback(grpcError(args.code, args.reason));
          return;
        }
        const { epoch, count, expect } = args.value;
        if (!this.live().includes(epoch)) {
          callback(grpcError(grpc.status.FAILED_PRECONDITION, `Probe: epoch ${epoch} is not live on ${this.address}`));
          return;
        }
        const others = expect.filter((m) => m !== this.address);
        const acked = others.filter((m) => this.world.runs(m, epoch));
        const missing = others.filter((m) => !this.world.runs(m, epoch));
        const probes = Array.from({ length: count }, (_, i) => ({
          id: `${this.address}/probe-${epoch}-${Date.now()}-${i}`,
          ackedBy: acked,
          missing,
          maxLatencyMs: acked.length > 0 ? PROBE_LATENCY_MS : 0,
        }));
        callback(null, { epoch, probes, complete: missing.length === 0 });
      },
      SetMembers: (call, callback) => {
        const members = validateMembers(call.request.members);
        if (!members.ok) {
          callback(grpcError(members.code, members.reason));
          return;
        }
        const info = validateMemberInfo(members.value, call.request.memberInfo);
        if (!info.ok) {
          callback(grpcError(info.code, info.reason));
          return;
        }
        this.members = [...members.value];
        this.infoDigest = info.value === undefined ? '' : memberInfoDigest(info.value);
        callback(null, { count: this.members.length });
      },
    };
  }
}

/**
 * `handlers` behind the bearer-token check of a sidecar's Control service, with every call and
 * its bytes counted into `counts`.
 */
export function authenticatedCounted(handlers: ControlHandlers, token: TokenAcceptor, counts: CallCounts): ControlHandlers {
  const out: Record<string, grpc.handleUnaryCall<unknown, unknown>> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    out[name] = (call, callback) => {
      counts.calls[name] = (counts.calls[name] ?? 0) + 1;
      const auth = checkToken(call.metadata, token);
      if (!auth.ok) {
        counts.refused++;
        callback(unauthenticatedError(auth.reason));
        return;
      }
      (handler as grpc.handleUnaryCall<unknown, unknown>)(call, (err, value, trailer, flags) => {
        if (err !== null && err !== undefined) counts.refused++;
        callback(err, value, trailer, flags);
      });
    };
  }
  return out as unknown as ControlHandlers;
}
