/**
 * Whom a sidecar may dial. Every Peer dial carries the cluster credential (`authorization`
 * metadata), so a dial to an address an outsider chose would hand that credential over: an app's
 * `Send{to: "attacker:9999"}`, relayed or not, must never make the sidecar connect there. A sidecar
 * dials only addresses learned from its own membership:
 * - the operator's: the member lists of Prepare and SetMembers, and Prepare's contacts and
 *   ClientServer server ids (Control calls carry the operator's credential);
 * - the overlay protocol of authenticated members: addresses the live overlays hold in their
 *   state (views and member lists), and addresses that arrived in frames over authenticated Peer
 *   streams (the dialer's `x-topology-from`, and every address inside its overlay messages), kept
 *   in a bounded {@link LearnedPeers} set: a shuffle's origin is answered over a transient link,
 *   a probe is acknowledged to its origin, a ClientServer server relays to `app.to`.
 * Everything else is refused and counted (`topology_sidecar_refused_dials_total`), and the
 * overlay sees a send failure. Pure bookkeeping: the sidecar node asks {@link mayDialPeer}.
 */
import type { NodeId } from '../overlays/types.js';
import type { AnyOverlay } from '../overlays/index.js';

/**
 * Addresses remembered from authenticated Peer frames, oldest forgotten first. Far above the
 * addresses live traffic needs at once (views of 5 + 30, shuffle samples of 7, the members of a
 * 1,000-member ClientServer), small in memory (~300 KiB). Wild guess.
 */
export const MAX_LEARNED_PEERS = 4096;

/** A bounded set of addresses learned from authenticated peers; re-learning refreshes an entry. */
export class LearnedPeers {
  private readonly peers = new Set<NodeId>();

  constructor(private readonly capacity: number = MAX_LEARNED_PEERS) {}

  /** Remembers `peer` (already checked to be a peer address), forgetting the oldest beyond capacity. */
  learn(peer: NodeId): void {
    if (this.peers.has(peer)) this.peers.delete(peer);
    this.peers.add(peer);
    if (this.peers.size > this.capacity) this.peers.delete(this.peers.values().next().value as NodeId);
  }

  has(peer: NodeId): boolean {
    return this.peers.has(peer);
  }

  get size(): number {
    return this.peers.size;
  }
}

/** What a sidecar learned its membership from. */
export interface MembershipSources {
  /** Addresses the operator named (member lists, contacts, server ids). */
  readonly operator: ReadonlySet<NodeId>;
  /** The live overlays (their views and member lists). */
  readonly overlays: Iterable<AnyOverlay>;
  readonly learned: LearnedPeers;
}

/** True when `peer` is an address this sidecar learned from its own membership (see the file comment). */
export function mayDialPeer(peer: NodeId, sources: MembershipSources): boolean {
  if (sources.operator.has(peer) || sources.learned.has(peer)) return true;
  for (const overlay of sources.overlays) {
    const views = overlay.views();
    if (views.active.includes(peer) || views.passive.includes(peer) || overlay.members().includes(peer)) return true;
  }
  return false;
}

/** Every address a peer's overlay message names (the ones wire-codec.ts checked): its sender learned them from its own membership. */
export function addressesIn(message: {
  readonly peer?: NodeId;
  readonly peers?: readonly NodeId[];
  readonly route?: readonly NodeId[];
  readonly app?: { readonly origin: NodeId; readonly to?: NodeId };
}): NodeId[] {
  const out: NodeId[] = [];
  if (message.peer !== undefined) out.push(message.peer);
  if (message.peers !== undefined) out.push(...message.peers);
  if (message.route !== undefined) out.push(...message.route);
  if (message.app !== undefined) {
    out.push(message.app.origin);
    if (message.app.to !== undefined) out.push(message.app.to);
  }
  return out;
}
