/**
 * The Control service (operator → sidecar): thin translation between the proto and the
 * {@link SidecarNode}. Requests are validated first (control-requests.ts: addresses, lists,
 * enums, numbers), a refusal answered with INVALID_ARGUMENT or RESOURCE_EXHAUSTED naming the
 * field and the limit and counted (`bad-request`). Switch calls map a refusal of the epoch state
 * machine to FAILED_PRECONDITION (or INVALID_ARGUMENT for an epoch no sidecar accepts) with its
 * reason; every call is authenticated by the service wrapper in `grpc-servers.ts`.
 */
import * as grpc from '@grpc/grpc-js';
import type { ControlHandlers } from '../rpc/generated/topology/v1/Control.js';
import type { SwitchReply } from '../rpc/generated/topology/v1/SwitchReply.js';
import type { OverlayMetrics } from '../rpc/generated/topology/v1/OverlayMetrics.js';
import type { SidecarNode } from './sidecar-node.js';
import type { SwitchResult } from '../member/switch-engine.js';
import { TOPOLOGY_OF_KIND } from '../rpc/overlay-params.js';
import { grpcError } from '../rpc/auth.js';
import { reportedFencing } from './fencing.js';
import { checkEpoch, validateMemberInfo, validateMembers, validatePrepare, validateProbe, type RequestRefusal } from './control-requests.js';
import { uncaughtErrors } from './last-resort.js';
import { BUFFER_KINDS } from '../member/buffer-budget.js';

export { MAX_PROBE_TIMEOUT_MS, DEFAULT_PROBE_TIMEOUT_MS, MAX_PROBES, MAX_MEMBERS } from './control-requests.js';

function reply(node: SidecarNode, method: string, result: SwitchResult, callback: grpc.sendUnaryData<SwitchReply>): void {
  if (!result.ok) {
    if (result.refusal === 'invalid') node.countMalformed('bad-request');
    callback(grpcError(result.refusal === 'invalid' ? grpc.status.INVALID_ARGUMENT : grpc.status.FAILED_PRECONDITION, `${method}: ${result.reason}`));
    return;
  }
  const s = node.snapshot();
  callback(null, { activeEpoch: s.active, stagedEpoch: s.staged, routeEpoch: s.route, changed: result.changed });
}

/** Answers a refused request (counted). */
function refuse(node: SidecarNode, refusal: RequestRefusal, callback: (err: grpc.ServiceError) => void): void {
  node.countMalformed('bad-request');
  callback(grpcError(refusal.code, refusal.reason));
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
        tags: { ...node.ownTags },
        memberInfoDigest: node.memberInfoDigest,
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
        malformedByReason: Object.fromEntries(node.malformed),
        uncaughtErrorsTotal: uncaughtErrors.count,
        refusedDialsTotal: node.refusedDials,
        bufferedBytes: Object.fromEntries(BUFFER_KINDS.map((k) => [k, node.budget.bytes(k)])),
        bufferRefusals: Object.fromEntries(BUFFER_KINDS.map((k) => [k, node.budget.refusals(k)])),
        appDeliveredTotal: node.appDelivered,
        appDuplicatesTotal: node.appDuplicates,
        cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        fencingRefusedTotal: node.fence.refusedTotal(),
      });
    },
    Prepare(call, callback) {
      const args = validatePrepare(call.request);
      if (!args.ok) {
        refuse(node, args, callback);
        return;
      }
      reply(node, 'Prepare', node.prepare(args.value), callback);
    },
    Route(call, callback) {
      const bad = checkEpoch('Route.epoch', call.request.epoch);
      if (bad !== undefined) refuse(node, bad, callback);
      else reply(node, 'Route', node.route(call.request.epoch), callback);
    },
    Commit(call, callback) {
      const bad = checkEpoch('Commit.epoch', call.request.epoch);
      if (bad !== undefined) refuse(node, bad, callback);
      else reply(node, 'Commit', node.commit(call.request.epoch), callback);
    },
    Abort(call, callback) {
      const bad = checkEpoch('Abort.epoch', call.request.epoch);
      if (bad !== undefined) refuse(node, bad, callback);
      else reply(node, 'Abort', node.abort(call.request.epoch), callback);
    },
    Probe(call, callback) {
      const args = validateProbe(call.request);
      if (!args.ok) {
        refuse(node, args, callback);
        return;
      }
      const { epoch, count, timeoutMs, expect } = args.value;
      node.probe(epoch, count, timeoutMs, expect).then(
        (outcome) => {
          if ('error' in outcome) callback(grpcError(grpc.status.FAILED_PRECONDITION, `Probe: ${outcome.error}`));
          else callback(null, { epoch: outcome.epoch, probes: outcome.probes, complete: outcome.complete });
        },
        (err: Error) => callback(grpcError(grpc.status.INTERNAL, err.message)),
      );
    },
    SetMembers(call, callback) {
      const members = validateMembers(call.request.members);
      if (!members.ok) {
        refuse(node, members, callback);
        return;
      }
      const info = validateMemberInfo(members.value, call.request.memberInfo);
      if (!info.ok) {
        refuse(node, info, callback);
        return;
      }
      node.setMembers(members.value, info.value);
      callback(null, { count: node.members().length });
    },
  };
}
