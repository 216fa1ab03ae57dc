/**
 * What a virtual member reports about an overlay it does not run (bench/support/virtual-members):
 * its active view and its health figures, computed instead of measured, so one process can answer
 * for hundreds of members.
 *
 * Views are the real overlays' own plans where they have one: HyParView and PubSub take
 * `plannedNeighbors` (src/overlays/hyparview-plan.ts, the neighbours a real member dials first),
 * ClientServer takes the rendezvous home of each client, FullMesh every other member. So the
 * operator's connectivity and view-bound checks see the graphs real members would converge to.
 *
 * Health figures are seeded per member (address hash), so a run is reproducible and a full
 * collection over every member can be computed here and compared with the operator's sample
 * (the sampling error the scenario reports).
 */
import type { NodeId, OverlayKind } from '../../../src/overlays/types.js';
import { plannedNeighbors } from '../../../src/overlays/hyparview-plan.js';
import { rendezvousHome } from '../../../src/overlays/client-server.js';
import { hash32, SeededRandom } from '../../../src/overlays/random.js';

/** HyParView's default active view size (src/overlays/hyparview-config.ts). */
export const DEFAULT_ACTIVE_VIEW_SIZE = 5;

/** An overlay as Prepare described it to one member. */
export interface SyntheticOverlay {
  readonly kind: OverlayKind;
  readonly members: readonly NodeId[];
  readonly activeViewSize: number;
  /** ClientServer's servers; empty: the first `serverCount` members in address order. */
  readonly servers: readonly NodeId[];
  readonly serverCount: number;
}

/** The active view `self` reports for `o`. */
export function syntheticView(self: NodeId, o: SyntheticOverlay): NodeId[] {
  const others = o.members.filter((m) => m !== self);
  switch (o.kind) {
    case 'FullMesh':
      return others;
    case 'HyParView':
    case 'PubSub':
      return plannedNeighbors(self, o.members, o.activeViewSize);
    case 'ClientServer': {
      const servers = o.servers.length > 0 ? [...o.servers] : [...o.members].sort().slice(0, Math.max(1, o.serverCount));
      if (servers.includes(self)) return others.filter((m) => servers.includes(m) || rendezvousHome(m, servers) === self);
      const home = rendezvousHome(self, servers);
      return home === undefined ? [] : [home];
    }
  }
}

/** Health figures of one member's committed overlay, as GetMetrics reports them. */
export interface SyntheticHealth {
  readonly deliveryLatencyP50Ms: number;
  readonly deliveryLatencyP99Ms: number;
  readonly maxQueueLength: number;
  /** Bytes sent per second (the counter grows at this rate). */
  readonly bytesPerSecond: number;
}

/**
 * Seeded figures for `address`: a p50 of 2-12 ms with a heavy tail (a p99 of 2-8× the p50, one
 * member in fifty a straggler at 10-30×), queues of 0-20, 1-50 KiB/s. Invented, but spread the
 * way a loaded fleet's are, so a sample of a hundred can miss the worst member.
 */
export function syntheticHealth(address: NodeId): SyntheticHealth {
  const r = new SeededRandom(hash32(address));
  const p50 = 2 + 10 * r.float();
  const straggler = r.float() < 0.02;
  const tail = straggler ? 10 + 20 * r.float() : 2 + 6 * r.float();
  return {
    deliveryLatencyP50Ms: Math.round(p50 * 1000) / 1000,
    deliveryLatencyP99Ms: Math.round(p50 * tail * 1000) / 1000,
    maxQueueLength: Math.floor(21 * r.float()),
    bytesPerSecond: Math.round(1024 + 50 * 1024 * r.float()),
  };
}

/**
 * The figures the operator's collection would report if it asked every member (the formulas of
 * src/operator/sidecars/metrics-sampling.ts over the whole population): the reference the sampled
 * status.metrics are compared with.
 */
export function fullCollection(
  addresses: readonly NodeId[],
  viewSize: (address: NodeId) => number,
): {
  latencyP50Ms: number;
  latencyP99Ms: number;
  connectionsPerNode: number;
  maxQueueLength: number;
} {
  const h = addresses.map((a) => syntheticHealth(a));
  const p50s = h.map((x) => x.deliveryLatencyP50Ms).sort((a, b) => a - b);
  const mid = Math.floor(p50s.length / 2);
  const median = p50s.length === 0 ? 0 : p50s.length % 2 === 1 ? (p50s[mid] as number) : ((p50s[mid - 1] as number) + (p50s[mid] as number)) / 2;
  const links = addresses.map(viewSize);
  return {
    latencyP50Ms: median,
    latencyP99Ms: Math.max(0, ...h.map((x) => x.deliveryLatencyP99Ms)),
    connectionsPerNode: links.length === 0 ? 0 : links.reduce((a, b) => a + b, 0) / links.length,
    maxQueueLength: Math.max(0, ...h.map((x) => x.maxQueueLength)),
  };
}
