/**
 * Shape of the overlay a simulation has built: degrees and connected components of the graph of
 * active views among live members. "One connected component" is the property every overlay must
 * keep; a broadcast cannot reach a member outside the origin's component.
 */
import type { NodeId, WireMessage } from '../types.js';
import type { Simulator } from './simulator.js';

/** Degrees and components of the live active-view graph (links to dead members ignored). */
export interface TopologySnapshot {
  /** Active-view size of each live member, in {@link Simulator.aliveNodes} order. */
  readonly degrees: number[];
  /** Number of connected components (links taken as undirected). */
  readonly components: number;
  /** Members in the largest component. */
  readonly largest: number;
  /** Members whose active view has at least `fullAt` entries. */
  readonly full: number;
  /** Directed links whose other end does not list this member back. */
  readonly asymmetric: number;
}

/** Takes a snapshot; `fullAt` is the active-view size that counts as full (HyParView: 5). */
export function topology<M extends WireMessage, T>(sim: Simulator<M, T>, fullAt = 5): TopologySnapshot {
  const alive = sim.aliveNodes();
  const index = new Map<NodeId, number>(alive.map((id, i) => [id, i]));
  const parent = alive.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  const views = alive.map((id) => new Set(sim.node(id)?.views().active ?? []));
  const degrees: number[] = [];
  let full = 0;
  let asymmetric = 0;
  alive.forEach((id, i) => {
    const active = views[i] as Set<NodeId>;
    if (active.size >= fullAt) full++;
    degrees.push(active.size);
    for (const peer of active) {
      const j = index.get(peer);
      if (j === undefined) continue;
      if (!(views[j] as Set<NodeId>).has(id)) asymmetric++;
      parent[find(i)] = find(j);
    }
  });
  const sizes = new Map<number, number>();
  alive.forEach((_, i) => {
    const r = find(i);
    sizes.set(r, (sizes.get(r) ?? 0) + 1);
  });
  return { degrees, components: sizes.size, largest: Math.max(0, ...sizes.values()), full, asymmetric };
}
