/**
 * The neighbour view of the overlays whose view is a plain set kept in step with the member list
 * (FullMesh, ClientServer): every change is counted and announced (`neighborUp` /
 * `neighborDown`, which the sidecar turns into eager links and metrics) in one place, so the
 * overlays cannot forget either.
 */
import type { NodeId, OverlayCounters, OverlayOutput } from './types.js';

/** A set of neighbours that reports its changes as overlay outputs. */
export class NeighborSet implements Iterable<NodeId> {
  private readonly peers = new Set<NodeId>();

  constructor(
    private readonly self: NodeId,
    private readonly stats: OverlayCounters,
  ) {}

  has(peer: NodeId): boolean {
    return this.peers.has(peer);
  }

  [Symbol.iterator](): Iterator<NodeId> {
    return this.peers[Symbol.iterator]();
  }

  /** Adds `peer` (never self); a new neighbour is counted and announced with `neighborUp`. */
  add<M, T>(peer: NodeId, out: OverlayOutput<M, T>[]): void {
    if (peer === this.self || this.peers.has(peer)) return;
    this.peers.add(peer);
    this.stats.neighborUps++;
    out.push({ kind: 'neighborUp', peer });
  }

  /** Removes `peer`; a former neighbour is counted and announced with `neighborDown`. */
  remove<M, T>(peer: NodeId, out: OverlayOutput<M, T>[]): void {
    if (!this.peers.delete(peer)) return;
    this.stats.neighborDowns++;
    out.push({ kind: 'neighborDown', peer });
  }
}
