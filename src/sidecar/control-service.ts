/**
 * The Control service (operator → sidecar): thin translation between the proto and the
 * {@link SidecarNode}. Switch calls map a refusal of the epoch state machine to
 * FAILED_PRECONDITION with its reason; every call is authenticated by the service wrapper in
 * `grpc-servers.ts`.
 */
import * as grpc from '@grpc/grpc-js';
import type { ControlHandlers } from '../rpc/generated/topology/v1/Control.js';
import type { SwitchReply } from '../rpc/generated/topology/v1/SwitchReply.js';
import type { OverlayMetrics } from '../rpc/generated/topology/v1/OverlayMetrics.js';
import type { SidecarNode } from './sidecar-node.js';
import type { SwitchResult } from './switch-engine.js';
import { kindOfTopology, overlayParamOptions, TOPOLOGY_OF_KIND } from '../rpc/overlay-params.js';
import { grpcError } from '../rpc/auth.js';
import { reportedFencing } from './fencing.js';

/** Longest a Probe call may wait (ms): keeps a handler from being held open indefinitely. */
export const MAX_PROBE_TIMEOUT_MS = 60_000;
/** Default Probe wait (ms). */
export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
/** Most probes per call. */
export const MAX_PROBES = 100;
/** Most members in one SetMembers/Prepare call. */
export const MAX_MEMBERS = 100_000;

function reply(node: SidecarNode, result: SwitchResult, callback: grpc.sendUnaryData<SwitchReply>): void {
  if (!result.ok) {
    callback(grpcError(grpc.status.FAILED_PRECONDITION, result.reason));
    return;
  }
  const s = node.snapshot();
  callback(null, { activeEpoch: s.active, stagedEpoch: s.staged, routeEpoch: s.route, changed: result.changed });
}

function validMembers(list: readonly string[]): boolean {
  return list.length <= MAX_MEMBERS && list.every((m) => m.length > 0 && m.length <= 1024);
}

/** Handlers of topology.v1.Control for `node`. */
export function controlHandlers(node: SidecarNode): ControlHandlers {
  return {
    GetState(call, callback) {
      const s = node.snapshot();
      const viewsOnly = call.request.viewsOnly === true;
      callback(null, {
        pod: node.pod,
        self: node.self,
        activeEpoch: s.active,
        stagedEpoch: s.staged,
        routeEpoch: s.route,
        members: viewsOnly ? [] : [...node.members()],
        startedAtMs: node.startedAt,
        ...reportedFencing(node.fence),
        overlays: node.overlays().map((o) => {
          const views = o.overlay.views();
          return {
            epoch: o.epoch,
            topology: TOPOLOGY_OF_KIND[o.kind],
            role: o.role,
            activeView: node.connectedView(o.epoch, views.active),
            passiveView: viewsOnly ? [] : [...views.passive],
            members: viewsOnly ? [] : [...o.overlay.members()],
            connections: o.connections,
          };
        }),
      });
    },
    GetMetrics(_call, callback) {
      const usage = process.resourceUsage();
      const mem = process.memoryUsage();
      const overlays: OverlayMetrics[] = node.epochs().map((v) => ({
        epoch: v.epoch,
        topology: TOPOLOGY_OF_KIND[v.kind],
        role: v.role,
        activeViewSize: v.activeViewSize,
        passiveViewSize: v.passiveViewSize,
        connections: v.connections,
        neighbors: v.links.map((l) => ({ peer: l.peer, rttEwmaMs: l.rttEwmaMs, rttP99Ms: l.rttP99Ms, queueLength: l.queueLength })),
        bytesIn: v.stats.bytesIn,
        bytesOut: v.stats.bytesOut,
        messagesIn: v.stats.messagesIn,
        messagesOut: v.stats.messagesOut,
        queueLength: v.links.reduce((n, l) => n + l.queueLength, 0),
        maxQueueLength: v.links.reduce((n, l) => Math.max(n, l.queueLength), 0),
        duplicatesDropped: v.stats.duplicatesDropped + v.overlayDuplicates,
        delivered: v.stats.delivered,
        deliveryLatencyP50Ms: v.stats.deliveryLatency.quantile(0.5),
        deliveryLatencyP99Ms: v.stats.deliveryLatency.quantile(0.99),
        neighborLossEvents: v.stats.neighborLoss,
        sendFailures: v.stats.sendFailures,
      }));
      callback(null, {
        pod: node.pod,
        self: node.self,
        overlays,
        unauthenticatedTotal: node.unauthenticated,
        malformedTotal: [...node.malformed.values()].reduce((a, b) => a + b, 0),
        appDeliveredTotal: node.appDelivered,
        appDuplicatesTotal: node.appDuplicates,
        cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        fencingRefusedTotal: node.fence.refusedTotal(),
      });
    },
    Prepare(call, callback) {
      const r = call.request;
      const kind = kindOfTopology(r.topology);
      if (kind === undefined) {
        callback(
          grpcError(grpc.status.INVALID_ARGUMENT, `Prepare needs a topology (FULL_MESH, HYPAR_VIEW, CLIENT_SERVER or PUB_SUB), got ${String(r.topology)}`),
        );
        return;
      }
      if (!validMembers(r.members) || !validMembers(r.contacts)) {
        callback(grpcError(grpc.status.INVALID_ARGUMENT, 'Prepare members/contacts must be non-empty peer addresses'));
        return;
      }
      reply(
        node,
        node.prepare({ epoch: r.epoch, kind, params: overlayParamOptions(r.params), members: r.members, contacts: r.contacts, seed: r.seed }),
        callback,
      );
    },
    Route(call, callback) {
      reply(node, node.route(call.request.epoch), callback);
    },
    Commit(call, callback) {
      reply(node, node.commit(call.request.epoch), callback);
    },
    Abort(call, callback) {
      reply(node, node.abort(call.request.epoch), callback);
    },
    Probe(call, callback) {
      const r = call.request;
      const timeout = Math.min(MAX_PROBE_TIMEOUT_MS, r.timeoutMs || DEFAULT_PROBE_TIMEOUT_MS);
      const count = Math.min(MAX_PROBES, Math.max(1, r.count));
      node.probe(r.epoch, count, timeout, r.expect).then(
        (outcome) => {
          if ('error' in outcome) callback(grpcError(grpc.status.FAILED_PRECONDITION, outcome.error));
          else callback(null, { epoch: outcome.epoch, probes: outcome.probes, complete: outcome.complete });
        },
        (err: Error) => callback(grpcError(grpc.status.INTERNAL, err.message)),
      );
    },
    SetMembers(call, callback) {
      if (!validMembers(call.request.members)) {
        callback(grpcError(grpc.status.INVALID_ARGUMENT, 'SetMembers members must be non-empty peer addresses'));
        return;
      }
      node.setMembers(call.request.members);
      callback(null, { count: node.members().length });
    },
  };
}
