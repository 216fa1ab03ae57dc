/**
 * Plumtree (Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees", SRDS 2007) as an IO-less
 * broadcast layer, built from Algorithm 1 as corrected in the 2019 revision of the technical report.
 *
 * Every neighbour starts EAGER: payloads are pushed to it. The first copy of a message is
 * delivered and its sender kept eager; a duplicate makes us PRUNE its sender to LAZY (unless that
 * link brought us a first copy lately: `pruneHoldMs`, which keeps concurrent senders from splitting
 * the tree), so the eager links converge to a spanning tree. Lazy neighbours only get IHAVE announcements (batched for
 * `lazyPushDelayMs`); an announced message that does not arrive through the tree within
 * `graftTimeoutMs` is pulled with a GRAFT, which also makes that link eager again: the tree repairs
 * itself.
 *
 * The tree is one tree for all senders, so its shape decides the hops of every broadcast. Two
 * mechanisms shape it (measured at 1,000 simulated members, random senders, stable last-delivery
 * hop: 15.6 with the paper's one-message optimisation at threshold 7, 10.8 with both below, flooding
 * 7.5; on three more seeds 11.1-11.3 with the second alone, 10.6-10.8 with both):
 * - while the first flood builds the tree, a duplicate that travelled fewer hops than our first copy
 *   makes its link our parent instead (see switchParent): the tree starts as a shortest-hop tree of
 *   the first sender rather than a fastest-path tree, which is deeper;
 * - the paper's optimisation (graft a lazy link whose announced path is shorter, prune the eager
 *   one), decided on the MEAN saving over the broadcasts that came through that eager link rather
 *   than on one message, so swaps that help one sender and hurt the others are not made (see
 *   plumtree-optimizer.ts).
 *
 * This is not an Overlay by itself: like iroh-gossip's topic.rs, it is stacked on a membership
 * layer whose neighborUp/neighborDown drive it (see pubsub.ts). Memory is bounded: received ids by
 * a SeenIds ring, payloads by a count- and age-bounded cache, missing announcements by the dedup
 * capacity.
 */
import type { AppMessage, MessageId, NodeId, OverlayCounters, OverlayOutput } from './types.js';
import { newCounters } from './types.js';
import { SeenIds } from './dedup.js';
import { SwapEvidence } from './plumtree-optimizer.js';

/** Plumtree parameters (the ClusterTopology's `overlays.pubSub`). */
export interface PlumtreeConfig {
  /**
   * IHAVEs to a lazy neighbour are batched for this long, one message per batch. Wild guess: 50 ms
   * (Partisan's lazy tick is 1 s, iroh-gossip dispatches every 5 ms; it must stay well under
   * graftTimeoutMs).
   */
  readonly lazyPushDelayMs: number;
  /**
   * The paper's timeout: how long an announced message may take to arrive through the tree before
   * we GRAFT the first announcer. Wild guess: 250 ms, many in-cluster one-way latencies (1-10 ms)
   * plus the lazy delay (iroh-gossip uses 80 ms); too short and the tree flaps, too long and repair
   * after a failure is slow (each tree level lost costs one timeout: measured in the 1,000-member
   * simulation after 50% crashed, the first broadcast reached 96.6% within 3 s at 250 ms, 83% at 500 ms).
   */
  readonly graftTimeoutMs: number;
  /**
   * The paper's second, shorter timeout: the wait before grafting the next announcer. Half of
   * graftTimeoutMs, as iroh-gossip (and derived from it when only graftTimeoutMs is given).
   */
  readonly graftRetryTimeoutMs: number;
  /**
   * A duplicate does not prune a link that brought us a first copy within this long. Not in the
   * paper: its rule prunes on every duplicate, and with several senders at once the duplicates of
   * different broadcasts meet on different links of the same cycle, each is pruned, and the one tree
   * falls apart; every delivery then waits for a GRAFT. Measured in the simulator at 50 members, 25
   * broadcasts a second from random senders (links 1-10 ms): with the paper's rule the eager links
   * split into 9-17 components, 9,234 GRAFTs, p50 295 ms (the graft timeout); held 500 ms, 529
   * GRAFTs, p50 24 ms and p90 35 ms as at 1 broadcast a second, and fewer duplicates. Sequential
   * broadcasts (the papers' runs, bench:overlays) are unchanged. Twice graftTimeoutMs unless set;
   * 0 is the paper's rule.
   */
  readonly pruneHoldMs: number;
  /**
   * Swap a lazy link in for the eager one when its announced paths are shorter by at least this
   * many hops ON AVERAGE over the broadcasts that came through the eager link (see
   * plumtree-optimizer.ts; with a single sender that is the paper's per-message rule, for which the
   * paper uses 3 with one sender and 7 with many). Measured at 1,000 simulated members, random
   * senders, stable last-delivery hops over broadcasts 6-100 on 4 seeds (flooding 7.5-8.1): 10.6-10.8
   * at 1 (11.3 on two more seeds, flooding 7.6 and 8.0), 10.8-11.7 at 2, 10.2-12.7 at 3, 10.9-15.7
   * at 7; the paper's per-message rule at 7 gave 15.6. Default 1: averaging removes the oscillation
   * that made the paper raise the threshold for many senders.
   */
  readonly optimizationThreshold: number;
  /** Payloads kept to answer GRAFTs: at most this many. Wild guess: 1,024. */
  readonly messageCacheSize: number;
  /** ... and for at most this long. From iroh-gossip's message_cache_retention: 30 s. */
  readonly messageCacheRetentionMs: number;
  /**
   * Received ids remembered (the paper's receivedMsgs). Wild guess: 4,096, see
   * HyParViewConfig.dedupCapacity. Must be at least messageCacheSize: an id forgotten while its
   * payload is still announced by neighbours would be GRAFTed and delivered again.
   */
  readonly dedupCapacity: number;
  /**
   * A new neighbour is sent an IHAVE for every payload we received within this window, so a member
   * re-linked after its neighbours failed pulls (GRAFT) the broadcasts it missed. Not in the paper,
   * which assumes instant failure detection; wild guess: 15 s, an idle-link failure detection
   * (gRPC keepalive, 10 s) plus a repair round trip.
   */
  readonly catchUpWindowMs: number;
}

/** The defaults, sources on {@link PlumtreeConfig}. */
export const DEFAULT_PLUMTREE_CONFIG: PlumtreeConfig = Object.freeze({
  lazyPushDelayMs: 50,
  graftTimeoutMs: 250,
  graftRetryTimeoutMs: 125,
  pruneHoldMs: 500,
  optimizationThreshold: 1,
  messageCacheSize: 1_024,
  messageCacheRetentionMs: 30_000,
  dedupCapacity: 4_096,
  catchUpWindowMs: 15_000,
});

/** Fills unset fields with the defaults and rejects nonsense, naming the field to fix. */
export function plumtreeConfig(partial: Partial<PlumtreeConfig> = {}): PlumtreeConfig {
  const config: Record<string, number> = { ...DEFAULT_PLUMTREE_CONFIG };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) config[k] = v;
  // The CRD exposes only graftTimeoutMs: the retry timeout follows it unless set explicitly.
  if (partial.graftRetryTimeoutMs === undefined && partial.graftTimeoutMs !== undefined) config['graftRetryTimeoutMs'] = partial.graftTimeoutMs / 2;
  if (partial.pruneHoldMs === undefined && partial.graftTimeoutMs !== undefined) config['pruneHoldMs'] = partial.graftTimeoutMs * 2;
  for (const [k, v] of Object.entries(config)) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`Plumtree: ${k} must be a non-negative number, got ${v}`);
  }
  for (const k of ['messageCacheSize', 'dedupCapacity']) {
    const v = config[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`Plumtree: ${k} must be a positive integer, got ${v}`);
  }
  if ((config['dedupCapacity'] as number) < (config['messageCacheSize'] as number)) {
    throw new RangeError(`Plumtree: dedupCapacity (${config['dedupCapacity']}) must be at least messageCacheSize (${config['messageCacheSize']})`);
  }
  return Object.freeze(config as unknown as PlumtreeConfig);
}

/** The payload, eagerly pushed; `hops` travelled before this transmission (the paper's round). */
export interface PlumtreeGossip {
  readonly type: 'plumtree.gossip';
  readonly app: AppMessage;
  readonly hops: number;
}

/** Announcement of payloads we have, batched; `round` is our hop distance from their origin. */
export interface PlumtreeIHave {
  readonly type: 'plumtree.ihave';
  readonly ids: readonly MessageId[];
  readonly round: number;
}

/** "Make our link eager" and, with `id`, "send me that payload". */
export interface PlumtreeGraft {
  readonly type: 'plumtree.graft';
  readonly id?: MessageId;
  readonly round: number;
}

/** "Your copies reach me another way: make our link lazy". */
export interface PlumtreePrune {
  readonly type: 'plumtree.prune';
}

/** Every Plumtree wire message. Types are protocol: ONLY ADD new ones. */
export type PlumtreeMessage = PlumtreeGossip | PlumtreeIHave | PlumtreeGraft | PlumtreePrune;

/**
 * Plumtree's timers: the IHAVE batch flush, and the missing-message timer of one announced id
 * (`gen` identifies the live timer of that id; any other is stale).
 */
export type PlumtreeTimer = { readonly kind: 'plumtree.flush' } | { readonly kind: 'plumtree.graft'; readonly id: MessageId; readonly gen: number };

/** What Plumtree asks its executor to do. */
export type PlumtreeOutput = OverlayOutput<PlumtreeMessage, PlumtreeTimer>;

/** True for Plumtree's messages (PubSub routes by prefix). */
export function isPlumtreeMessage(message: { readonly type: string }): message is PlumtreeMessage {
  return message.type.startsWith('plumtree.');
}

/** True for Plumtree's timers. */
export function isPlumtreeTimer(timer: { readonly kind: string }): timer is PlumtreeTimer {
  return timer.kind.startsWith('plumtree.');
}

interface Announcement {
  readonly peer: NodeId;
  readonly round: number;
}

interface Missing {
  readonly announcements: Announcement[];
  gen: number;
}

interface Cached {
  readonly app: AppMessage;
  /** Our distance from the origin (the round of our IHAVEs). */
  hops: number;
  readonly at: number;
  /** The neighbour the first copy came from (undefined at the origin), or the one with a shorter path (see switchParent). */
  parent: NodeId | undefined;
}

/** The Plumtree broadcast layer of one member, driven by a membership layer's neighbour events. */
export class Plumtree {
  readonly config: PlumtreeConfig;
  private readonly eager = new Set<NodeId>();
  private readonly lazy = new Set<NodeId>();
  private readonly received: SeenIds;
  private readonly cache = new Map<MessageId, Cached>();
  private readonly missing = new Map<MessageId, Missing>();
  /** IHAVEs waiting for the flush: peer → round → ids. */
  private readonly lazyQueue = new Map<NodeId, Map<number, MessageId[]>>();
  private flushScheduled = false;
  private timerGen = 0;
  private readonly stats: OverlayCounters = newCounters();
  private readonly evidence: SwapEvidence;
  private swaps = 0;
  /** When each neighbour last brought us a first copy (see PlumtreeConfig.pruneHoldMs). */
  private readonly lastFirstCopy = new Map<NodeId, number>();
  /** Peers we switched to as the shorter path, and when: their crossing PRUNE is answered with a GRAFT. */
  private readonly keep = new Map<NodeId, number>();
  /** The first message we received: its flood builds the tree (see switchParent). */
  private firstId: MessageId | undefined;

  constructor(
    readonly self: NodeId,
    config?: Partial<PlumtreeConfig>,
  ) {
    this.config = plumtreeConfig(config);
    this.received = new SeenIds(this.config.dedupCapacity);
    this.evidence = new SwapEvidence(this.config.optimizationThreshold);
  }

  /** Optimisation swaps made so far (diagnostics). */
  treeSwaps(): number {
    return this.swaps;
  }

  /** Neighbours we push payloads to (the tree's links). */
  eagerPeers(): readonly NodeId[] {
    return [...this.eager];
  }

  /** Neighbours we only announce to. */
  lazyPeers(): readonly NodeId[] {
    return [...this.lazy];
  }

  /** Counters of this layer alone (PubSub adds the membership layer's). */
  counters(): Readonly<OverlayCounters> {
    return this.stats;
  }

  /**
   * A new neighbour starts eager (the paper's NeighborUp): the tree repairs through it. It is also
   * told what we received lately (see `catchUpWindowMs`).
   */
  neighborUp(peer: NodeId, now: number): PlumtreeOutput[] {
    const out: PlumtreeOutput[] = [];
    this.lazy.delete(peer);
    this.eager.add(peer);
    for (const [id, c] of this.cache) {
      if (now - c.at <= this.config.catchUpWindowMs) this.queueIHave(peer, id, c.hops, out);
    }
    return out;
  }

  /** A lost neighbour is forgotten, with its pending announcements (the paper's NeighborDown). */
  neighborDown(peer: NodeId): PlumtreeOutput[] {
    this.evidence.forget(peer);
    this.keep.delete(peer);
    this.eager.delete(peer);
    this.lazy.delete(peer);
    this.lastFirstCopy.delete(peer);
    this.lazyQueue.delete(peer);
    for (const entry of this.missing.values()) {
      for (let i = entry.announcements.length - 1; i >= 0; i--) {
        if (entry.announcements[i]?.peer === peer) entry.announcements.splice(i, 1);
      }
    }
    return [];
  }

  /** The paper's Broadcast, minus the self-delivery: the origin does not deliver its own message. */
  broadcast(app: AppMessage, now: number): PlumtreeOutput[] {
    const out: PlumtreeOutput[] = [];
    if (this.received.checkAndAdd(app.id)) return out;
    this.store(app, 0, undefined, now);
    this.eagerPush(app, 0, undefined, out);
    this.lazyPush(app.id, 0, undefined, out);
    return out;
  }

  /** One Plumtree message from `from`. */
  receive(from: NodeId, message: PlumtreeMessage, now: number): PlumtreeOutput[] {
    const out: PlumtreeOutput[] = [];
    this.stats.messagesReceived++;
    switch (message.type) {
      case 'plumtree.gossip':
        this.onGossip(from, message.app, message.hops, now, out);
        break;
      case 'plumtree.ihave':
        this.onIHave(from, message.ids, message.round, out);
        break;
      case 'plumtree.graft':
        this.onGraft(from, message.id, out);
        break;
      case 'plumtree.prune':
        this.onPrune(from, now, out);
        break;
    }
    return out;
  }

  /** One of our timers fired. */
  timer(timer: PlumtreeTimer, now: number): PlumtreeOutput[] {
    const out: PlumtreeOutput[] = [];
    if (timer.kind === 'plumtree.flush') this.flush(out);
    else this.onGraftTimer(timer.id, timer.gen, now, out);
    return out;
  }

  private onGossip(from: NodeId, app: AppMessage, hops: number, now: number, out: PlumtreeOutput[]): void {
    if (this.received.checkAndAdd(app.id)) {
      this.stats.duplicatesDropped++;
      if (!this.eager.has(from)) return;
      if (this.switchParent(app.id, from, hops, now, out)) return;
      // A link that brought a first copy lately is on some sender's path: keep it (pruneHoldMs).
      if (now - (this.lastFirstCopy.get(from) ?? -Infinity) < this.config.pruneHoldMs) return;
      this.makeLazy(from);
      this.send(out, from, { type: 'plumtree.prune' });
      return;
    }
    const round = hops + 1;
    this.lastFirstCopy.set(from, now);
    this.firstId ??= app.id;
    this.stats.appDelivered++;
    out.push({ kind: 'deliver', message: app, from, hops: round });
    this.store(app, round, from, now);
    this.eagerPush(app, round, from, out);
    this.lazyPush(app.id, round, from, out);
    const viaTree = this.eager.has(from);
    if (this.isNeighbor(from)) this.makeEager(from);
    const entry = this.missing.get(app.id);
    this.missing.delete(app.id);
    if (viaTree && entry !== undefined) for (const a of entry.announcements) this.sample(from, a.peer, round, a.round, out);
  }

  /**
   * A duplicate through an eager link that travelled fewer hops than our first copy: keep that link
   * and prune the first copy's instead (the tree converges to shortest paths from the sender while a
   * flood builds it). Its sender got our own copy too and will PRUNE us: {@link keep} answers that
   * PRUNE with a GRAFT.
   */
  private switchParent(id: MessageId, from: NodeId, hops: number, now: number, out: PlumtreeOutput[]): boolean {
    const cached = this.cache.get(id);
    if (id !== this.firstId || cached === undefined || cached.parent === undefined || cached.parent === from || !this.eager.has(cached.parent)) return false;
    if (hops + 1 >= cached.hops) return false;
    const old = cached.parent;
    cached.parent = from;
    cached.hops = hops + 1;
    this.keep.set(from, now);
    this.swaps++;
    this.makeLazy(old);
    this.send(out, old, { type: 'plumtree.prune' });
    return true;
  }

  /** A PRUNE from `from`: the link becomes lazy, unless we just chose it as the better path (see switchParent). */
  private onPrune(from: NodeId, now: number, out: PlumtreeOutput[]): void {
    if (!this.isNeighbor(from)) return;
    const at = this.keep.get(from);
    if (at !== undefined) {
      this.keep.delete(from);
      if (now - at <= this.config.graftTimeoutMs && this.eager.has(from)) {
        this.send(out, from, { type: 'plumtree.graft', round: 0 });
        return;
      }
    }
    this.makeLazy(from);
  }

  /**
   * The paper's Optimize, over many broadcasts: each announcement by a lazy neighbour of a message
   * that came through an eager one is a sample of the hops the swap would save (see
   * plumtree-optimizer.ts). When the mean saving reaches the threshold, graft the lazy link and
   * prune the eager one: the tree stays one tree (the pruned link is on the cycle the graft closes).
   */
  private sample(eager: NodeId | undefined, lazy: NodeId, hops: number, round: number, out: PlumtreeOutput[]): void {
    if (eager === undefined || eager === lazy || !this.eager.has(eager) || !this.lazy.has(lazy)) return;
    if (!this.evidence.record(eager, lazy, hops - (round + 1))) return;
    this.swaps++;
    this.makeEager(lazy);
    this.send(out, lazy, { type: 'plumtree.graft', round });
    this.makeLazy(eager);
    this.send(out, eager, { type: 'plumtree.prune' });
    this.evidence.clear();
  }

  /**
   * Remember an announcement of a message we lack; the first one arms the missing-message timer.
   * An announcement of one we have is a sample for the optimisation (see sample).
   */
  private onIHave(from: NodeId, ids: readonly MessageId[], round: number, out: PlumtreeOutput[]): void {
    if (!this.isNeighbor(from)) return;
    for (const id of ids) {
      if (this.received.has(id)) {
        const cached = this.cache.get(id);
        if (cached !== undefined) this.sample(cached.parent, from, cached.hops, round, out);
        continue;
      }
      let entry = this.missing.get(id);
      if (entry === undefined) {
        if (this.missing.size >= this.config.dedupCapacity) continue;
        entry = { announcements: [], gen: ++this.timerGen };
        this.missing.set(id, entry);
        out.push({ kind: 'timer', afterMs: this.config.graftTimeoutMs, timer: { kind: 'plumtree.graft', id, gen: entry.gen } });
      }
      entry.announcements.push({ peer: from, round });
    }
  }

  /** The paper's Timer(mID): graft the first announcer, arm the shorter retry timer for the next. */
  private onGraftTimer(id: MessageId, gen: number, _now: number, out: PlumtreeOutput[]): void {
    const entry = this.missing.get(id);
    if (entry === undefined || entry.gen !== gen) return;
    if (this.received.has(id)) {
      this.missing.delete(id);
      return;
    }
    const next = entry.announcements.shift();
    if (next === undefined) {
      this.missing.delete(id);
      return;
    }
    entry.gen = ++this.timerGen;
    out.push({ kind: 'timer', afterMs: this.config.graftRetryTimeoutMs, timer: { kind: 'plumtree.graft', id, gen: entry.gen } });
    this.makeEager(next.peer);
    this.send(out, next.peer, { type: 'plumtree.graft', id, round: next.round });
  }

  /** The paper's GRAFT: the link becomes eager, and the payload is re-sent if we still have it. */
  private onGraft(from: NodeId, id: MessageId | undefined, out: PlumtreeOutput[]): void {
    if (this.isNeighbor(from)) this.makeEager(from);
    if (id === undefined) return;
    const cached = this.cache.get(id);
    if (cached === undefined) return;
    this.send(out, from, { type: 'plumtree.gossip', app: cached.app, hops: cached.hops });
  }

  private eagerPush(app: AppMessage, hops: number, except: NodeId | undefined, out: PlumtreeOutput[]): void {
    // One message object per fan-out: the sidecar encodes it once (PeerTransport.send).
    const message: PlumtreeMessage = { type: 'plumtree.gossip', app, hops };
    for (const peer of this.eager) if (peer !== except) this.send(out, peer, message);
  }

  private lazyPush(id: MessageId, round: number, except: NodeId | undefined, out: PlumtreeOutput[]): void {
    for (const peer of this.lazy) if (peer !== except) this.queueIHave(peer, id, round, out);
  }

  /** Queues one announcement for the next flush, arming the flush timer if it is not armed. */
  private queueIHave(peer: NodeId, id: MessageId, round: number, out: PlumtreeOutput[]): void {
    let byRound = this.lazyQueue.get(peer);
    if (byRound === undefined) {
      byRound = new Map();
      this.lazyQueue.set(peer, byRound);
    }
    const ids = byRound.get(round);
    if (ids === undefined) byRound.set(round, [id]);
    else ids.push(id);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    out.push({ kind: 'timer', afterMs: this.config.lazyPushDelayMs, timer: { kind: 'plumtree.flush' } });
  }

  /** Sends each lazy neighbour one IHAVE per distinct round queued for it. */
  private flush(out: PlumtreeOutput[]): void {
    this.flushScheduled = false;
    for (const [peer, byRound] of this.lazyQueue) {
      if (!this.isNeighbor(peer)) continue;
      for (const [round, ids] of byRound) this.send(out, peer, { type: 'plumtree.ihave', ids, round });
    }
    this.lazyQueue.clear();
  }

  /** Caches a payload for GRAFTs, evicting the oldest beyond the size or age bound. */
  private store(app: AppMessage, hops: number, parent: NodeId | undefined, now: number): void {
    this.cache.set(app.id, { app, hops, at: now, parent });
    for (const [id, c] of this.cache) {
      if (this.cache.size <= this.config.messageCacheSize && now - c.at <= this.config.messageCacheRetentionMs) break;
      this.cache.delete(id);
    }
  }

  private isNeighbor(peer: NodeId): boolean {
    return this.eager.has(peer) || this.lazy.has(peer);
  }

  private makeEager(peer: NodeId): void {
    if (this.lazy.delete(peer)) this.evidence.forget(peer);
    this.eager.add(peer);
  }

  private makeLazy(peer: NodeId): void {
    if (this.eager.delete(peer)) this.evidence.forget(peer);
    this.lazy.add(peer);
  }

  private send(out: PlumtreeOutput[], to: NodeId, message: PlumtreeMessage): void {
    this.stats.messagesSent++;
    out.push({ kind: 'send', to, message });
  }
}
