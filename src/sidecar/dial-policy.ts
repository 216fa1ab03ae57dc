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
 * overlay sees a send failure. Bookkeeping only: the sidecar node tells {@link MemberBook} what its
 * membership named and asks it; {@link RefusedDials} counts and logs the refusals.
 */
import type { NodeId } from '../overlays/types.js';
import type { AnyOverlay } from '../overlays/index.js';
import { quoteValue } from '../rpc/peer-address.js';
import type { Logger } from './logger.js';

/**
 * Addresses remembered from authenticated Peer frames, oldest forgotten first. Far above the
 * addresses live traffic needs at once (views of 5 + 30, shuffle samples of 7, the members of a
 * 1,000-member ClientServer), small in memory (~300 KiB). Wild guess.
 */
export const MAX_LEARNED_PEERS = 4096;

/**
 * A bounded set of addresses learned from authenticated peers, the least recently learned
 * forgotten first. Re-learning refreshes an entry only once it is in the older half (insertions
 * since > capacity / 2): every frame names a few addresses, and moving each on every frame cost
 * more than the check it guards (by the sidecars' CPU profile), while an address in use is still
 * refreshed long before it could be forgotten.
 */
export class LearnedPeers {
  /** Address → the insertion count when it was (re)learned; Map order is that order. */
  private readonly peers = new Map<NodeId, number>();
  private inserted = 0;

  constructor(private readonly capacity: number = MAX_LEARNED_PEERS) {}

  /** Remembers `peer` (already checked to be a peer address), forgetting the least recently learned beyond capacity. */
  learn(peer: NodeId): void {
    const at = this.peers.get(peer);
    if (at !== undefined) {
      if (this.inserted - at <= this.capacity / 2) return;
      this.peers.delete(peer);
    }
    this.peers.set(peer, this.inserted++);
    if (this.peers.size > this.capacity) this.peers.delete(this.peers.keys().next().value as NodeId);
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

/**
 * Calls `visit` with every address a peer's overlay message names (the ones wire-codec.ts
 * checked): its sender learned them from its own membership. A visitor, not a list: it runs for
 * every frame, and the list's allocation showed in the sidecars' CPU profile.
 */
export function forEachAddressIn(
  message: {
    readonly peer?: NodeId;
    readonly peers?: readonly NodeId[];
    readonly route?: readonly NodeId[];
    readonly app?: { readonly origin: NodeId; readonly to?: NodeId };
  },
  visit: (address: NodeId) => void,
): void {
  if (message.peer !== undefined) visit(message.peer);
  if (message.peers !== undefined) for (const a of message.peers) visit(a);
  if (message.route !== undefined) for (const a of message.route) visit(a);
  if (message.app !== undefined) {
    visit(message.app.origin);
    if (message.app.to !== undefined) visit(message.app.to);
  }
}

/**
 * One sidecar's record of whom its membership named: the operator's member list, each live epoch's
 * operator-named contacts and servers, and the addresses learned from authenticated Peer frames.
 * It answers the two trust questions — may this address be dialed, and is it a member the app may
 * send to — so the node only tells it what happened.
 */
export class MemberBook {
  private list: NodeId[] = [];
  private readonly learned = new LearnedPeers();
  /** The member list plus every live epoch's contacts and servers. */
  private readonly operator = new Set<NodeId>();
  /** The operator-named contacts and servers of each live epoch's Prepare. */
  private readonly prepared = new Map<number, readonly NodeId[]>();

  /** The operator's member list, last pushed (SetMembers or Prepare). */
  get members(): readonly NodeId[] {
    return this.list;
  }

  /** The operator pushed a member list; `live` says which prepared epochs still matter. */
  setMembers(members: readonly NodeId[], live: (epoch: number) => boolean): void {
    this.list = [...new Set(members)];
    this.refresh(live);
  }

  /** A Prepare of `epoch`: its member list, and the contacts and servers it named. */
  prepare(epoch: number, members: readonly NodeId[], named: readonly NodeId[], live: (epoch: number) => boolean): void {
    this.prepared.set(epoch, [...named]);
    this.setMembers(members, live);
  }

  /** Forgets what epochs no longer live named (after one closed). */
  refresh(live: (epoch: number) => boolean): void {
    this.operator.clear();
    for (const m of this.list) this.operator.add(m);
    for (const [epoch, peers] of this.prepared) {
      if (!live(epoch)) this.prepared.delete(epoch);
      else for (const p of peers) this.operator.add(p);
    }
  }

  /** A frame arrived over an authenticated stream from `from`: its dialer and every address it names become dialable. */
  learnFrame(from: NodeId, message: Parameters<typeof forEachAddressIn>[0], self: NodeId): void {
    this.learned.learn(from);
    forEachAddressIn(message, (a) => {
      if (a !== self) this.learned.learn(a);
    });
  }

  /** Whether `peer` may be dialed (see {@link mayDialPeer}). */
  mayDial(peer: NodeId, overlays: Iterable<AnyOverlay>): boolean {
    return mayDialPeer(peer, { operator: this.operator, overlays, learned: this.learned });
  }

  /** Whether `peer` is a member the app may send to: named by the operator, or a member of a live overlay. */
  isMember(peer: NodeId, overlays: Iterable<AnyOverlay>): boolean {
    if (this.operator.has(peer)) return true;
    for (const overlay of overlays) if (overlay.members().includes(peer)) return true;
    return false;
  }
}

/** Shortest interval between two warnings about refused dials (ms): a flood of them logs once per interval, the counter counts all. */
export const REFUSED_DIAL_LOG_INTERVAL_MS = 10_000;

/** Refused dials: all counted, logged as a warning at most once per {@link REFUSED_DIAL_LOG_INTERVAL_MS}, at debug otherwise. */
export class RefusedDials {
  /** Dials refused so far. */
  count = 0;
  private lastWarnAt = -Infinity;

  constructor(
    private readonly logger: Pick<Logger, 'warn' | 'debug'>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Counts and logs one refusal of `peer`, for `reason`. */
  record(peer: NodeId, reason: string): void {
    this.count++;
    const now = this.now();
    if (now - this.lastWarnAt >= REFUSED_DIAL_LOG_INTERVAL_MS) {
      this.lastWarnAt = now;
      this.logger.warn('refused to dial a peer (counted; further refusals are logged at debug for a while)', {
        peer: quoteValue(peer),
        reason,
        refusedDials: this.count,
      });
    } else this.logger.debug('refused to dial a peer', { peer: quoteValue(peer), reason });
  }
}
