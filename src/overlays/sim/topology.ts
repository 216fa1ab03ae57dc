/**
 * Shape of the overlay a simulation has built: degrees and connected components of the graph of
 * active views among live members. "One connected component" is the property every overlay must
 * keep; a broadcast cannot reach a member outside the origin's component.
 */
import type { NodeId, WireMessage } from '../types.js';
import type { Simulator } from './simulator.js';
import { components } from '../components.js';

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
  const views = new Map<NodeId, Set<NodeId>>(alive.map((id) => [id, new Set(sim.node(id)?.views().active ?? [])]));
  const degrees: number[] = [];
  let full = 0;
  let asymmetric = 0;
  for (const [id, active] of views) {
    if (active.size >= fullAt) full++;
    degrees.push(active.size);
    for (const peer of active) if (views.get(peer)?.has(id) === false) asymmetric++;
  }
  const pieces = components(alive, views);
  return { degrees, components: pieces.length, largest: pieces[0]?.length ?? 0, full, asymmetric };
}
