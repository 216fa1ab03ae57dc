/**
 * The HyParView paper's broadcast, flooding over the active view, as an IO-less layer stacked on
 * the membership (hyparview-membership.ts) the way Plumtree is (plumtree.ts, stacked in pubsub.ts).
 *
 * The origin sends a broadcast to every neighbour and does not deliver it itself; a member that
 * receives it for the first time delivers it and forwards it to every neighbour but the sender; a
 * duplicate is dropped. Every link carries every broadcast, so on the 5-regular active-view graph
 * each member receives about 4 copies (RMR about 3), the first by the fastest path: the redundancy
 * and the last-delivery hop that Plumtree's tree is measured against (bench:overlays).
 *
 * Not in the paper: a new neighbour is sent the broadcasts this member received within
 * `catchUpWindowMs` (at most `catchUpCapacity` of them), so a member re-linked by repair after a
 * failure still receives the flood it missed; the paper assumes instant failure detection.
 *
 * This is not an Overlay by itself: its neighbours are exactly the membership's, learnt from its
 * neighborUp/neighborDown outputs in the order they came, so the fan-out follows the active view's
 * order and a seed reproduces a run (see hyparview.ts). Memory is bounded by the dedup capacity and
 * the catch-up capacity.
 */
import type { AppMessage, NodeId, OverlayCounters, OverlayOutput } from './types.js';
import { newCounters } from './types.js';
import { SeenIds } from './dedup.js';
import type { HyParViewConfig } from './hyparview-config.js';
import type { HyParViewGossip } from './hyparview-messages.js';

/** The flood's parameters: HyParView's own (the ClusterTopology's `overlays.hyParView`), documented there. */
export type FloodConfig = Pick<HyParViewConfig, 'dedupCapacity' | 'catchUpWindowMs' | 'catchUpCapacity'>;

/** The flood's one wire message, `hyparview.gossip` (the name predates this layer; types are protocol). */
export type FloodMessage = HyParViewGossip;

/** What the flood asks its executor to do; it has no timers. */
export type FloodOutput = OverlayOutput<FloodMessage, never>;

/** True for the flood's message: HyParView routes it here and every other message to the membership. */
export function isFloodMessage(message: { readonly type: string }): message is FloodMessage {
  return message.type === 'hyparview.gossip';
}

/** A broadcast kept for catch-up: `hops` is our distance from its origin. */
interface Recent {
  readonly app: AppMessage;
  readonly hops: number;
  readonly at: number;
}

/** The flood broadcast layer of one member, driven by a membership layer's neighbour events. */
export class Flood {
  /** The membership's active view, in the order its links came up. */
  private readonly neighbors = new Set<NodeId>();
  private readonly seen: SeenIds;
  private readonly recent: Recent[] = [];
  private readonly stats: OverlayCounters = newCounters();

  constructor(
    readonly self: NodeId,
    readonly config: FloodConfig,
  ) {
    this.seen = new SeenIds(config.dedupCapacity);
  }

  /** Counters of this layer alone (HyParView adds the membership layer's). */
  counters(): Readonly<OverlayCounters> {
    return this.stats;
  }

  /** A new neighbour joins the fan-out and is sent what we received lately (see `catchUpWindowMs`). */
  neighborUp(peer: NodeId, now: number): FloodOutput[] {
    const out: FloodOutput[] = [];
    this.neighbors.add(peer);
    for (const r of this.recent) {
      if (now - r.at <= this.config.catchUpWindowMs) this.send(out, peer, { type: 'hyparview.gossip', app: r.app, hops: r.hops });
    }
    return out;
  }

  /** A lost neighbour leaves the fan-out. */
  neighborDown(peer: NodeId): FloodOutput[] {
    this.neighbors.delete(peer);
    return [];
  }

  /** Floods `app` to every neighbour. The origin does not deliver its own broadcast. */
  broadcast(app: AppMessage, now: number): FloodOutput[] {
    const out: FloodOutput[] = [];
    if (this.seen.checkAndAdd(app.id)) return out;
    this.remember(app, 0, now);
    this.forward(app, 0, undefined, out);
    return out;
  }

  /** One flood message from `from`: delivered and forwarded the first time, dropped after. */
  receive(from: NodeId, message: FloodMessage, now: number): FloodOutput[] {
    const out: FloodOutput[] = [];
    this.stats.messagesReceived++;
    if (from === this.self) return out;
    const { app } = message;
    if (this.seen.checkAndAdd(app.id)) {
      this.stats.duplicatesDropped++;
      return out;
    }
    const travelled = message.hops + 1;
    this.stats.appDelivered++;
    out.push({ kind: 'deliver', message: app, from, hops: travelled });
    this.remember(app, travelled, now);
    this.forward(app, travelled, from, out);
    return out;
  }

  private forward(app: AppMessage, hops: number, except: NodeId | undefined, out: FloodOutput[]): void {
    // One message object per fan-out: the sidecar encodes it once (PeerTransport.send).
    const message: FloodMessage = { type: 'hyparview.gossip', app, hops };
    for (const peer of this.neighbors) if (peer !== except) this.send(out, peer, message);
  }

  private remember(app: AppMessage, hops: number, now: number): void {
    if (this.config.catchUpCapacity === 0) return;
    this.recent.push({ app, hops, at: now });
    if (this.recent.length > this.config.catchUpCapacity) this.recent.shift();
  }

  private send(out: FloodOutput[], to: NodeId, message: FloodMessage): void {
    this.stats.messagesSent++;
    out.push({ kind: 'send', to, message });
  }
}
