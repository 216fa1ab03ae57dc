/**
 * HyParView membership (Leitão, Pereira, Rodrigues, DSN 2007) as an IO-less state machine.
 *
 * Each member keeps a small symmetric ACTIVE view (open links, the broadcast fan-out) and a larger
 * PASSIVE view (backups). A joining node asks one contact, which announces it with random walks
 * (forward-join, ARWL hops; it lands in passive views at PRWL and in an active view at the end).
 * A periodic shuffle walks the overlay and swaps samples of ids, keeping passive views fresh.
 * A broken link (`linkDown`) is the failure detector: the dead neighbour is replaced from the
 * passive view with a neighbor request, of high priority when the active view is empty.
 *
 * Changes to the paper, each to fix a problem seen in practice:
 * - Join and neighbor requests are acknowledged (`neighborReply`): a link exists only once both
 *   ends agree, so active views stay symmetric (Partisan #13).
 * - An isolated member recovers by itself: the repair tick retries through the passive view and,
 *   when that is empty or dead, re-joins through its original contacts or the `members` input.
 * - A member stuck with a free slot while every candidate rejects it eventually sends a HIGH
 *   request (see `forcePromotionAfterTicks`), so full cliques cannot form islands (Partisan #75).
 * - Failure detection stays the transport's (a write on a broken link fails), but we help it:
 *   after one neighbour fails the others are probed at once (crashes come in bursts), and each
 *   repair tick probes one random neighbour, so a member whose neighbours all died and who has
 *   nothing to send finds out within a tick rather than after the keepalive timeout.
 * - A member holding fewer than half its links sends its first request at high priority, so two
 *   crash survivors linked only to each other do not stay an island.
 * - A member short of links asks, once per repair tick, a member of the control plane's `members`
 *   list that it does not know (Partisan's random promotion): groups that formed apart, which
 *   otherwise never learn of each other, merge.
 * - When the control plane gives the whole member list at start, the first active views are
 *   planned (hyparview-plan.ts) instead of joined: a join storm of 200 members opened ~3 links for
 *   each one kept.
 * - A shuffle's reply retraces the walk over open links instead of a temporary connection.
 *
 * This is the membership layer alone: it owns the links and reports them as neighborUp/neighborDown,
 * which a broadcast layer stacked on it follows, as iroh-gossip's topic.rs stacks Plumtree on
 * HyParView. The HyParView overlay stacks the paper's flood on it (hyparview.ts, flood.ts), PubSub
 * stacks Plumtree (pubsub.ts). Point-to-point `send` goes straight to the destination, not along
 * overlay links (hyparview-direct.ts).
 *
 * Collections are arrays and insertion-ordered maps/sets, so a seed reproduces a run; all work per
 * input is bounded by the view sizes, never by the cluster size.
 */
import { newCounters, type NodeId, type OverlayCounters, type OverlayInput, type OverlayOutput, type OverlayViews } from './types.js';
import { pickOne, sample, type Random } from './random.js';
import { hyParViewConfig, type HyParViewConfig } from './hyparview-config.js';
import { plannedNeighbors } from './hyparview-plan.js';
import { DirectDelivery } from './hyparview-direct.js';
import type { HyParViewMembershipMessage, HyParViewShuffle, HyParViewShuffleReply, HyParViewTimer } from './hyparview-messages.js';

/** What the membership layer returns. */
export type HyParViewMembershipOutput = OverlayOutput<HyParViewMembershipMessage, HyParViewTimer>;

/** What the membership layer is fed: every overlay input but `broadcast`, which is the broadcast layer's. */
export type HyParViewMembershipInput = Exclude<OverlayInput<HyParViewMembershipMessage, HyParViewTimer>, { readonly kind: 'broadcast' }>;

/** How many shuffles we remember the sample of, to apply the eviction rule to their replies. */
const SHUFFLES_REMEMBERED = 4;

/**
 * After a neighbour fails, the others are probed at most once per this interval, so that a burst
 * of failures costs at most one probe round. Wild guess: 1 s.
 */
const PROBE_HOLDOFF_MS = 1_000;

/** How many random picks a re-join tries from a contact list before giving up until the next tick. */
const REJOIN_PICKS = 8;

/**
 * The membership of one HyParView member: its two views, the links they open, and point-to-point
 * sends. Not an Overlay by itself (it carries no broadcast): see hyparview.ts and pubsub.ts.
 */
export class HyParViewMembership {
  readonly config: HyParViewConfig;

  private readonly active: NodeId[] = [];
  private readonly passive: NodeId[] = [];
  /** Outstanding join/neighbor requests, and planned links awaited: peer → time sent (or started). */
  private readonly pending = new Map<NodeId, number>();
  /** Planned neighbours expected to ask us first (see startPlanned); also held in `pending`. */
  private readonly awaiting = new Set<NodeId>();
  /** Peers that rejected us (or failed) since the last repair tick. */
  private readonly tried = new Set<NodeId>();
  private contacts: readonly NodeId[] = [];
  private knownMembers: readonly NodeId[] = [];
  private readonly shuffles = new Map<number, readonly NodeId[]>();
  private shuffleSeq = 0;
  private belowTicks = 0;
  private lastProbeAt = -Infinity;
  private started = false;
  private left = false;
  private readonly stats: OverlayCounters = newCounters();
  private readonly direct: DirectDelivery;

  constructor(
    readonly self: NodeId,
    private readonly random: Random,
    config?: Partial<HyParViewConfig>,
  ) {
    this.config = hyParViewConfig(config);
    this.direct = new DirectDelivery(self, this.config.dedupCapacity, this.stats);
  }

  views(): OverlayViews {
    return { active: this.active.slice(), passive: this.passive.slice() };
  }

  /** Only what this member knows: itself and its two views (HyParView is a partial view by design). */
  members(): readonly NodeId[] {
    return [this.self, ...this.active, ...this.passive];
  }

  /** Counters of this layer alone (the stacking overlay adds its broadcast layer's). */
  counters(): Readonly<OverlayCounters> {
    return this.stats;
  }

  /** Feeds one input at time `now` and returns the actions to carry out. */
  handle(input: HyParViewMembershipInput, now: number): HyParViewMembershipOutput[] {
    const out: HyParViewMembershipOutput[] = [];
    if (this.left) return out;
    switch (input.kind) {
      case 'join':
        this.onStart(input.contacts, input.members, now, out);
        break;
      case 'members':
        this.knownMembers = input.members;
        if (this.active.length === 0 && this.pending.size === 0) this.fill(now, out, false);
        break;
      case 'message':
        this.stats.messagesReceived++;
        this.onMessage(input.from, input.message, now, out);
        break;
      case 'linkDown':
        this.onLinkDown(input.peer, now, out);
        break;
      case 'sendFailed':
        this.onSendFailed(input.peer, input.message, now, out);
        break;
      case 'timer':
        if (input.timer.kind === 'hyparview.shuffle') this.onShuffleTick(now, out);
        else this.onRepairTick(now, out);
        break;
      case 'send':
        out.push(...this.direct.send(input.message));
        break;
      case 'leave':
        this.onLeave(out);
        break;
    }
    return out;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  private onStart(contacts: readonly NodeId[], members: readonly NodeId[] | undefined, now: number, out: HyParViewMembershipOutput[]): void {
    if (this.started) return;
    this.started = true;
    this.contacts = contacts.filter((c) => c !== this.self);
    // Random first offsets de-synchronise the members' periodic work.
    out.push({ kind: 'timer', afterMs: 1 + this.random.int(this.config.shuffleIntervalMs), timer: { kind: 'hyparview.shuffle' } });
    out.push({ kind: 'timer', afterMs: 1 + this.random.int(this.config.repairIntervalMs), timer: { kind: 'hyparview.repair' } });
    if (members !== undefined && this.startPlanned(members, now, out)) return;
    const contact = pickOne(this.random, this.contacts);
    if (contact === undefined) return;
    this.pending.set(contact, now);
    this.send(out, contact, { type: 'hyparview.join' });
  }

  /**
   * Opens the planned links (hyparview-plan.ts): the smaller address of each planned pair asks,
   * at high priority like a join; the larger waits for it, its slot held in `pending`, and asks
   * itself if nothing came within `neighborRequestTimeoutMs` (a member started late, or with a
   * different list). The passive view starts as a random sample of the other members. False when
   * nothing is planned (the list lacks us): join through a contact instead.
   */
  private startPlanned(members: readonly NodeId[], now: number, out: HyParViewMembershipOutput[]): boolean {
    const planned = plannedNeighbors(this.self, members, this.config.activeViewSize);
    if (planned.length === 0) return false;
    this.knownMembers = members;
    for (const peer of planned) {
      this.pending.set(peer, now);
      if (this.self < peer) this.send(out, peer, { type: 'hyparview.neighbor', high: true });
      else this.awaiting.add(peer);
    }
    const plannedSet = new Set(planned);
    const others = members.filter((m) => m !== this.self && !plannedSet.has(m));
    for (const peer of sample(this.random, others, this.config.passiveViewSize)) this.addPassive(peer);
    return true;
  }

  private onLeave(out: HyParViewMembershipOutput[]): void {
    for (const peer of this.active) {
      this.send(out, peer, { type: 'hyparview.leave' });
      out.push({ kind: 'disconnect', peer });
    }
    this.active.length = 0;
    this.left = true;
  }

  // ---- messages --------------------------------------------------------------------------------

  private onMessage(from: NodeId, m: HyParViewMembershipMessage, now: number, out: HyParViewMembershipOutput[]): void {
    if (from === this.self) return;
    switch (m.type) {
      case 'hyparview.join':
        return this.onJoin(from, out);
      case 'hyparview.forwardJoin':
        return this.onForwardJoin(from, m.peer, m.ttl, now, out);
      case 'hyparview.neighbor':
        return this.onNeighbor(from, m.high, out);
      case 'hyparview.neighborReply':
        return this.onNeighborReply(from, m.accepted, now, out);
      case 'hyparview.disconnect':
        return this.onDisconnect(from, now, out);
      case 'hyparview.leave':
        return this.onPeerLeft(from, now, out);
      case 'hyparview.shuffle':
        return this.onShuffle(from, m, out);
      case 'hyparview.shuffleReply':
        return this.onShuffleReply(m, out);
      case 'hyparview.direct':
        out.push(...this.direct.receive(from, m.app, m.hops));
        return;
      case 'hyparview.probe':
        return;
    }
  }

  /** The paper's JOIN at the contact: always accept (evicting if full), then announce by random walks. */
  private onJoin(peer: NodeId, out: HyParViewMembershipOutput[]): void {
    if (this.active.includes(peer)) {
      this.send(out, peer, { type: 'hyparview.neighborReply', accepted: true });
      return;
    }
    this.addActive(peer, out);
    this.send(out, peer, { type: 'hyparview.neighborReply', accepted: true });
    for (const n of this.active) {
      if (n !== peer) this.send(out, n, { type: 'hyparview.forwardJoin', peer, ttl: this.config.activeRandomWalkLength });
    }
  }

  /** The paper's FORWARDJOIN: end of walk (ttl 0 or no one to forward to) → ask `peer` with high priority. */
  private onForwardJoin(from: NodeId, peer: NodeId, ttl: number, now: number, out: HyParViewMembershipOutput[]): void {
    if (peer === this.self) return;
    const next = ttl > 0 && this.active.length > 1 ? this.pickActive([from, peer]) : undefined;
    if (next === undefined) {
      if (this.active.includes(peer) || this.pending.has(peer)) return;
      this.pending.set(peer, now);
      this.send(out, peer, { type: 'hyparview.neighbor', high: true });
      return;
    }
    if (ttl === this.config.passiveRandomWalkLength) this.addPassive(peer);
    this.send(out, next, { type: 'hyparview.forwardJoin', peer, ttl: ttl - 1 });
  }

  /** Accept when the request is high priority or there is room; reject otherwise but remember the peer. */
  private onNeighbor(peer: NodeId, high: boolean, out: HyParViewMembershipOutput[]): void {
    if (this.active.includes(peer)) {
      this.send(out, peer, { type: 'hyparview.neighborReply', accepted: true });
      return;
    }
    if (!high && this.active.length >= this.config.activeViewSize) {
      this.send(out, peer, { type: 'hyparview.neighborReply', accepted: false });
      this.addPassive(peer);
      return;
    }
    this.addActive(peer, out);
    this.send(out, peer, { type: 'hyparview.neighborReply', accepted: true });
  }

  /**
   * The peer has already added us when it accepts. If we no longer want it (the request timed out,
   * or the link was made and dropped again while the reply travelled), we say so with a disconnect
   * rather than ignore it: either way both views end up agreeing.
   */
  private onNeighborReply(peer: NodeId, accepted: boolean, now: number, out: HyParViewMembershipOutput[]): void {
    const wasPending = this.pending.delete(peer);
    if (accepted && wasPending) {
      this.addActive(peer, out);
      return;
    }
    if (accepted) {
      if (this.active.includes(peer)) return;
      this.send(out, peer, { type: 'hyparview.disconnect' });
      this.addPassive(peer);
      return;
    }
    this.tried.add(peer);
    this.addPassive(peer);
    // As the paper: try another passive member at once (each at most once per repair tick).
    if (wasPending) this.fill(now, out, false);
  }

  private onDisconnect(peer: NodeId, now: number, out: HyParViewMembershipOutput[]): void {
    if (!this.removeActive(peer, out)) return;
    this.addPassive(peer);
    this.tried.add(peer);
    this.fill(now, out, false);
  }

  private onPeerLeft(peer: NodeId, now: number, out: HyParViewMembershipOutput[]): void {
    this.pending.delete(peer);
    this.awaiting.delete(peer);
    this.removePassive(peer);
    if (this.removeActive(peer, out)) this.fill(now, out, false);
  }

  // ---- failures --------------------------------------------------------------------------------

  /**
   * A broken active link means a failed neighbour: drop it (not to the passive view) and replace it.
   * A failed request means a dead candidate: forget it and try another. Other links (transient
   * ones for shuffle replies and direct sends, or the tail of a link we were told to disconnect)
   * closing means nothing.
   */
  private onLinkDown(peer: NodeId, now: number, out: HyParViewMembershipOutput[]): void {
    if (this.removeActive(peer, out)) {
      this.probeActive(now, out);
      this.fill(now, out, false);
      return;
    }
    this.awaiting.delete(peer);
    if (!this.pending.delete(peer)) return;
    this.removePassive(peer);
    this.tried.add(peer);
    this.fill(now, out, false);
  }

  /**
   * A direct payload or a probe lost to a full queue is only lost (the flood's payloads are the
   * broadcast layer's, see hyparview.ts). A lost control message breaks the protocol's agreement
   * with that peer, so we give the link up explicitly (`disconnect` makes the other end see
   * `linkDown`) and treat the peer as failed.
   */
  private onSendFailed(peer: NodeId, m: HyParViewMembershipMessage, now: number, out: HyParViewMembershipOutput[]): void {
    if (m.type === 'hyparview.direct' || m.type === 'hyparview.probe') return;
    if (m.type === 'hyparview.shuffle' || m.type === 'hyparview.shuffleReply') return;
    if (this.active.includes(peer)) out.push({ kind: 'disconnect', peer });
    this.onLinkDown(peer, now, out);
  }

  /** Probes the remaining neighbours (see HyParViewProbe), at most once per PROBE_HOLDOFF_MS. */
  private probeActive(now: number, out: HyParViewMembershipOutput[]): void {
    if (now - this.lastProbeAt < PROBE_HOLDOFF_MS) return;
    this.lastProbeAt = now;
    for (const peer of this.active) this.send(out, peer, { type: 'hyparview.probe' });
  }

  // ---- repair ----------------------------------------------------------------------------------

  private onRepairTick(now: number, out: HyParViewMembershipOutput[]): void {
    out.push({ kind: 'timer', afterMs: this.config.repairIntervalMs, timer: { kind: 'hyparview.repair' } });
    const expired = [...this.pending].filter(([, sentAt]) => now - sentAt >= this.config.neighborRequestTimeoutMs).map(([peer]) => peer);
    for (const peer of expired) {
      this.pending.delete(peer);
      // A planned neighbour that never asked: ask it ourselves (see startPlanned).
      if (this.awaiting.delete(peer) && !this.active.includes(peer)) {
        this.pending.set(peer, now);
        this.send(out, peer, { type: 'hyparview.neighbor', high: true });
      }
    }
    this.tried.clear();
    // A member whose neighbours all died hears nothing and sends nothing; one probe per tick to a
    // random neighbour finds that out within a tick (and its linkDown probes the rest).
    const probe = pickOne(this.random, this.active);
    if (probe !== undefined) this.send(out, probe, { type: 'hyparview.probe' });
    if (this.active.length >= this.config.activeViewSize) {
      this.belowTicks = 0;
      return;
    }
    this.belowTicks++;
    const force = this.belowTicks > this.config.forcePromotionAfterTicks;
    if (force) this.belowTicks = 0;
    this.fill(now, out, force);
    this.promoteKnownMember(now, out, force);
  }

  /**
   * Partisan's random promotion over the authoritative member list: a member below its target
   * size that still has links asks one member of the `members` input it does not know yet. Views
   * only ever learn of members through links, so two groups that joined apart (or a subtree cut
   * off when its contact died) never hear of each other and stay islands, each member short of
   * links but never isolated (so `rejoin` never fires). One request per repair tick, drawn with at
   * most REJOIN_PICKS random picks: bounded by the view size, not by the cluster size. An isolated
   * member re-joins instead (see `fill`).
   */
  private promoteKnownMember(now: number, out: HyParViewMembershipOutput[], force: boolean): void {
    // Outstanding requests (planned links still forming, say) may fill the view: wait for them.
    if (this.active.length === 0 || this.active.length + this.pending.size >= this.config.activeViewSize) return;
    const list = this.knownMembers;
    for (let i = 0; i < REJOIN_PICKS && list.length > 0; i++) {
      const peer = pickOne(this.random, list);
      if (
        peer === undefined ||
        peer === this.self ||
        this.active.includes(peer) ||
        this.passive.includes(peer) ||
        this.pending.has(peer) ||
        this.tried.has(peer)
      )
        continue;
      this.pending.set(peer, now);
      this.send(out, peer, { type: 'hyparview.neighbor', high: force || this.active.length * 2 < this.config.activeViewSize });
      return;
    }
  }

  /**
   * Sends neighbor requests to random passive members for every free active slot not already
   * covered by an outstanding request. All are high priority when isolated (the paper). The first
   * one is also high when `force`d, or when we hold fewer than half our links: such a member may
   * sit in a tiny island (two survivors of a crash linked only to each other, measured at 10,000
   * members) that low-priority requests never leave, since every member outside is full. A high
   * request moves the free slot to a well-connected member, which refills it at low priority.
   * With nothing to ask and no link at all, re-joins through a contact.
   */
  private fill(now: number, out: HyParViewMembershipOutput[], force: boolean): void {
    let free = this.config.activeViewSize - this.active.length - this.pending.size;
    let urgent = force || this.active.length * 2 < this.config.activeViewSize;
    while (free > 0) {
      const candidate = this.pickCandidate();
      if (candidate === undefined) break;
      const high = this.active.length === 0 || urgent;
      urgent = false;
      this.pending.set(candidate, now);
      this.send(out, candidate, { type: 'hyparview.neighbor', high });
      free--;
    }
    if (this.active.length === 0 && this.pending.size === 0) this.rejoin(now, out);
  }

  private pickCandidate(): NodeId | undefined {
    const candidates = this.passive.filter((p) => !this.pending.has(p) && !this.tried.has(p));
    return pickOne(this.random, candidates);
  }

  /** Last resort of an isolated member: join again through an original contact or a known member. */
  private rejoin(now: number, out: HyParViewMembershipOutput[]): void {
    for (const list of [this.contacts, this.knownMembers]) {
      for (let i = 0; i < REJOIN_PICKS && list.length > 0; i++) {
        const contact = pickOne(this.random, list);
        if (contact === undefined || contact === this.self || this.tried.has(contact)) continue;
        this.pending.set(contact, now);
        this.send(out, contact, { type: 'hyparview.join' });
        return;
      }
    }
  }

  // ---- shuffle ---------------------------------------------------------------------------------

  private onShuffleTick(_now: number, out: HyParViewMembershipOutput[]): void {
    out.push({ kind: 'timer', afterMs: this.config.shuffleIntervalMs, timer: { kind: 'hyparview.shuffle' } });
    const target = pickOne(this.random, this.active);
    if (target === undefined) return;
    const others = this.active.filter((p) => p !== target);
    const ids = [...sample(this.random, others, this.config.shuffleActive), ...sample(this.random, this.passive, this.config.shufflePassive)];
    const round = ++this.shuffleSeq;
    this.shuffles.set(round, ids);
    for (const old of this.shuffles.keys()) {
      if (this.shuffles.size <= SHUFFLES_REMEMBERED) break;
      this.shuffles.delete(old);
    }
    this.send(out, target, {
      type: 'hyparview.shuffle',
      peer: this.self,
      peers: [this.self, ...ids],
      ttl: this.config.shuffleRandomWalkLength,
      round,
      route: [],
    });
  }

  /**
   * Walk on while ttl lasts; the node where it stops replies with a passive sample and merges.
   * The paper sends the reply over a temporary connection to the origin; on gRPC that costs a TCP
   * and HTTP/2 handshake at both ends, and at 200 members the 20 shuffles a second kept ~0.2 of
   * this machine's two cores busy on links used once. The reply retraces the walk instead, over
   * links that are already open (a walk of `shuffleRandomWalkLength` hops at most).
   */
  private onShuffle(from: NodeId, m: HyParViewShuffle, out: HyParViewMembershipOutput[]): void {
    const origin = m.peer;
    if (origin === this.self) return;
    const next = m.ttl - 1 > 0 && this.active.length > 1 ? this.pickActive([from, origin]) : undefined;
    if (next !== undefined) {
      const route = m.route === undefined ? {} : { route: [...m.route, this.self] };
      this.send(out, next, { type: 'hyparview.shuffle', peer: origin, peers: m.peers, ttl: m.ttl - 1, round: m.round, ...route });
      return;
    }
    const offered = new Set(m.peers);
    const reply = sample(
      this.random,
      this.passive.filter((p) => !offered.has(p) && p !== origin),
      m.peers.length,
    );
    this.relayShuffleReply({ type: 'hyparview.shuffleReply', peers: reply, round: m.round, peer: origin, route: m.route ?? [] }, out);
    this.mergePassive(m.peers, reply);
  }

  /** Our own shuffle's answer is merged; one on its way back to another origin goes one hop on. */
  private onShuffleReply(m: HyParViewShuffleReply, out: HyParViewMembershipOutput[]): void {
    if (m.peer !== undefined && m.peer !== this.self) {
      this.relayShuffleReply(m, out);
      return;
    }
    const sent = this.shuffles.get(m.round) ?? [];
    this.shuffles.delete(m.round);
    this.mergePassive(m.peers, sent);
  }

  /**
   * Sends a reply to the last hop of its route, or to its origin when none is left. A route longer
   * than any walk we start is not ours to carry: dropped, like any lost shuffle.
   */
  private relayShuffleReply(m: HyParViewShuffleReply, out: HyParViewMembershipOutput[]): void {
    const route = m.route ?? [];
    if (m.peer === undefined || route.length > this.config.shuffleRandomWalkLength) return;
    const next = route[route.length - 1];
    if (next === this.self) return;
    if (next === undefined) this.send(out, m.peer, { type: 'hyparview.shuffleReply', peers: m.peers, round: m.round });
    else this.send(out, next, { type: 'hyparview.shuffleReply', peers: m.peers, round: m.round, peer: m.peer, route: route.slice(0, -1) });
  }

  /**
   * The paper's merge rule: skip ourselves and ids already known; when the passive view is full,
   * evict first the ids we sent to the other side (it has them now), then random ones.
   */
  private mergePassive(ids: readonly NodeId[], sent: readonly NodeId[]): void {
    const evictFirst = sent.slice();
    for (const id of ids) {
      if (id === this.self || this.active.includes(id) || this.passive.includes(id)) continue;
      if (this.passive.length >= this.config.passiveViewSize) {
        let evicted = false;
        while (evictFirst.length > 0 && !evicted) evicted = this.removePassive(evictFirst.shift() as NodeId);
        if (!evicted) this.passive.splice(this.random.int(this.passive.length), 1);
      }
      this.passive.push(id);
    }
  }

  // ---- views -----------------------------------------------------------------------------------

  /** Adds a link, evicting a random neighbour when full (the paper's AddNodeActiveView). */
  private addActive(peer: NodeId, out: HyParViewMembershipOutput[]): void {
    if (peer === this.self || this.active.includes(peer)) return;
    this.removePassive(peer);
    this.pending.delete(peer);
    this.awaiting.delete(peer);
    if (this.active.length >= this.config.activeViewSize) this.evictRandom(out);
    this.active.push(peer);
    this.stats.neighborUps++;
    out.push({ kind: 'neighborUp', peer });
  }

  private evictRandom(out: HyParViewMembershipOutput[]): void {
    const victim = pickOne(this.random, this.active);
    if (victim === undefined) return;
    this.send(out, victim, { type: 'hyparview.disconnect' });
    out.push({ kind: 'disconnect', peer: victim });
    this.removeActive(victim, out);
    this.addPassive(victim);
  }

  /** Removes `peer` from the active view; true (and a neighborDown) if it was there. */
  private removeActive(peer: NodeId, out: HyParViewMembershipOutput[]): boolean {
    const i = this.active.indexOf(peer);
    if (i < 0) return false;
    this.active.splice(i, 1);
    this.stats.neighborDowns++;
    out.push({ kind: 'neighborDown', peer });
    return true;
  }

  private addPassive(peer: NodeId): void {
    if (peer === this.self || this.active.includes(peer) || this.passive.includes(peer)) return;
    if (this.passive.length >= this.config.passiveViewSize) this.passive.splice(this.random.int(this.passive.length), 1);
    this.passive.push(peer);
  }

  private removePassive(peer: NodeId): boolean {
    const i = this.passive.indexOf(peer);
    if (i < 0) return false;
    this.passive.splice(i, 1);
    return true;
  }

  /** A random active member other than those in `except`. */
  private pickActive(except: readonly NodeId[]): NodeId | undefined {
    return pickOne(
      this.random,
      this.active.filter((p) => !except.includes(p)),
    );
  }

  private send(out: HyParViewMembershipOutput[], to: NodeId, message: HyParViewMembershipMessage): void {
    this.stats.messagesSent++;
    out.push({ kind: 'send', to, message });
  }
}
