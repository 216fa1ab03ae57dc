/**
 * Plumtree (Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees", SRDS 2007) as an IO-less
 * broadcast layer, built from Algorithm 1 as corrected in the 2019 revision of the technical report.
 *
 * Every neighbour starts EAGER: payloads are pushed to it. The first copy of a message is
 * delivered and its sender kept eager; a duplicate makes us PRUNE its sender to LAZY, so the eager
 * links converge to a spanning tree. Lazy neighbours only get IHAVE announcements (batched for
 * `lazyPushDelayMs`); an announced message that does not arrive through the tree within
 * `graftTimeoutMs` is pulled with a GRAFT, which also makes that link eager again: the tree repairs
 * itself. The optimisation swaps a lazy link for the eager one when the lazy path is at least
 * `optimizationThreshold` hops shorter.
 *
 * This is not an Overlay by itself: like iroh-gossip's topic.rs, it is stacked on a membership
 * layer whose neighborUp/neighborDown drive it (see pubsub.ts). Memory is bounded: received ids by
 * a SeenIds ring, payloads by a count- and age-bounded cache, missing announcements by the dedup
 * capacity.
 */
import type { AppMessage, MessageId, NodeId, OverlayCounters, OverlayOutput } from './types.js';
import { newCounters } from './types.js';
import { SeenIds } from './dedup.js';

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
   * Swap a lazy link in for the eager one when its announced path is shorter by at least this many
   * hops. From the paper: 3 for a single sender, 7 with many senders (our default: a pub/sub
   * cluster has many senders, and a low threshold makes trees of different senders fight).
   * Measured at 1,000 simulated members, one sender: LDH 10 at 7, 5 at 3 (flooding: 6-11), RMR the
   * same; a single-sender deployment should set 3.
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
  optimizationThreshold: 7,
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
  readonly hops: number;
  readonly at: number;
  /** The neighbour the first copy came from (undefined at the origin), until an optimisation swaps it. */
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

  constructor(
    readonly self: NodeId,
    config?: Partial<PlumtreeConfig>,
  ) {
    this.config = plumtreeConfig(config);
    this.received = new SeenIds(this.config.dedupCapacity);
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
    this.eager.delete(peer);
    this.lazy.delete(peer);
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
        if (this.isNeighbor(from)) this.makeLazy(from);
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
      this.makeLazy(from);
      this.send(out, from, { type: 'plumtree.prune' });
      return;
    }
    const round = hops + 1;
    this.stats.appDelivered++;
    out.push({ kind: 'deliver', message: app, from, hops: round });
    this.store(app, round, from, now);
    this.eagerPush(app, round, from, out);
    this.lazyPush(app.id, round, from, out);
    if (this.isNeighbor(from)) this.makeEager(from);
    this.optimize(app.id, round, from, out);
    this.missing.delete(app.id);
  }

  /**
   * The paper's Optimize: if a lazy neighbour announced this message at a distance shorter by at
   * least the threshold, graft that link and prune the one the payload came through.
   */
  private optimize(id: MessageId, round: number, from: NodeId, out: PlumtreeOutput[]): void {
    const entry = this.missing.get(id);
    if (entry === undefined) return;
    let best: Announcement | undefined;
    for (const a of entry.announcements) if (best === undefined || a.round < best.round) best = a;
    if (best === undefined || round - (best.round + 1) < this.config.optimizationThreshold) return;
    this.makeEager(best.peer);
    this.send(out, best.peer, { type: 'plumtree.graft', round: best.round });
    if (!this.eager.has(from)) return;
    this.makeLazy(from);
    this.send(out, from, { type: 'plumtree.prune' });
  }

  /**
   * The optimisation for announcements arriving after the payload, which is the common case: IHAVEs
   * are batched for lazyPushDelayMs, so they trail the tree. Same rule as {@link optimize}, once per
   * message: the lazy announcer becomes our parent if its path is shorter by the threshold.
   */
  private optimizeLate(id: MessageId, from: NodeId, round: number, out: PlumtreeOutput[]): void {
    const cached = this.cache.get(id);
    if (cached === undefined || cached.parent === undefined || cached.parent === from) return;
    if (!this.lazy.has(from) || cached.hops - (round + 1) < this.config.optimizationThreshold) return;
    const parent = cached.parent;
    cached.parent = from;
    this.makeEager(from);
    this.send(out, from, { type: 'plumtree.graft', round });
    if (!this.eager.has(parent)) return;
    this.makeLazy(parent);
    this.send(out, parent, { type: 'plumtree.prune' });
  }

  /**
   * Remember an announcement of a message we lack; the first one arms the missing-message timer.
   * An announcement of one we have is a chance to optimise the tree (see optimizeLate).
   */
  private onIHave(from: NodeId, ids: readonly MessageId[], round: number, out: PlumtreeOutput[]): void {
    if (!this.isNeighbor(from)) return;
    for (const id of ids) {
      if (this.received.has(id)) {
        this.optimizeLate(id, from, round, out);
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
    for (const peer of this.eager) if (peer !== except) this.send(out, peer, { type: 'plumtree.gossip', app, hops });
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
    this.lazy.delete(peer);
    this.eager.add(peer);
  }

  private makeLazy(peer: NodeId): void {
    this.eager.delete(peer);
    this.lazy.add(peer);
  }

  private send(out: PlumtreeOutput[], to: NodeId, message: PlumtreeMessage): void {
    this.stats.messagesSent++;
    out.push({ kind: 'send', to, message });
  }
}
