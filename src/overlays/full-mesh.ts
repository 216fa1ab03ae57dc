/**
 * FullMesh: every member keeps a link to every other member.
 *
 * The simplest overlay and the best one for small clusters: a broadcast goes straight from its
 * origin to every member (last delivery hop 1, no redundant payload: RMR 0) and a send goes
 * directly to its destination. The price is N − 1 links per member, N(N − 1)/2 in all, which is why
 * the auto-switch policy leaves it above a few dozen members.
 *
 * Membership has two sources:
 * - the `members` input, the control plane's authoritative list of ready pods: the view becomes
 *   exactly that list (minus self);
 * - bootstrap through contacts, for executors without a control plane: the joiner sends
 *   `fullmesh.join` to its first contact (the next one if that link fails), the contact answers with
 *   `fullmesh.members` (its whole view) and the joiner sends `fullmesh.hello` to every member it did
 *   not know. Two members joining at once through different contacts must still meet, so a contact
 *   remembers whom it introduced within the last `recentJoinWindowMs`: it answers a hello with
 *   them, and passes members it learns from a later list on to them.
 *
 * Any message from a member not in the view adds it back (it is evidently alive); `linkDown` drops
 * it until a `members` update or a message says otherwise; `fullmesh.leave` drops it at once.
 * Application messages are de-duplicated by id with a bounded {@link SeenIds}; the origin never
 * delivers its own broadcast. FullMesh schedules no timers.
 */
import type { AppMessage, NodeId, Overlay, OverlayCounters, OverlayInput, OverlayOutput, OverlayViews } from './types.js';
import { newCounters } from './types.js';
import { DEFAULT_DEDUP_CAPACITY, SeenIds } from './dedup.js';
import { NeighborSet } from './neighbor-set.js';

/** FullMesh parameters. */
export interface FullMeshConfig {
  /** Message ids remembered for de-duplication. Default {@link DEFAULT_DEDUP_CAPACITY}. */
  readonly dedupCapacity: number;
  /** How long a contact keeps telling later joiners about a member it introduced. Default 10 s (wild guess: many round trips). */
  readonly recentJoinWindowMs: number;
}

/** Defaults of {@link FullMeshConfig}, with their sources in the field docs. */
export const DEFAULT_FULL_MESH_CONFIG: FullMeshConfig = {
  dedupCapacity: DEFAULT_DEDUP_CAPACITY,
  recentJoinWindowMs: 10_000,
};

/** FullMesh wire messages (a subset of the shared `WireMessage` vocabulary). */
export type FullMeshMessage =
  /** Joiner → contact: "send me the member list". */
  | { readonly type: 'fullmesh.join' }
  /** Contact → joiner: members to link to (the sender's view, or the members it recently introduced). */
  | { readonly type: 'fullmesh.members'; readonly peers: readonly NodeId[] }
  /** Joiner → member: "I am a member now; keep me in your view". */
  | { readonly type: 'fullmesh.hello' }
  /** Member → all: "I am leaving". */
  | { readonly type: 'fullmesh.leave' }
  /** An application message, sent straight from its origin; `hops` is 0 on the wire. */
  | { readonly type: 'fullmesh.app'; readonly app: AppMessage; readonly hops: number };

/** FullMesh schedules no timers. */
export type FullMeshTimer = never;

type Input = OverlayInput<FullMeshMessage, FullMeshTimer>;
type Output = OverlayOutput<FullMeshMessage, FullMeshTimer>;

/** The FullMesh state machine of one member. */
export class FullMesh implements Overlay<FullMeshMessage, FullMeshTimer> {
  readonly kind = 'FullMesh' as const;
  private readonly config: FullMeshConfig;
  private readonly view: NeighborSet;
  private readonly seen: SeenIds;
  private readonly stats: OverlayCounters = newCounters();
  /** Contacts not yet tried, in order; the head is the one asked. */
  private contacts: NodeId[] = [];
  /** Members this node introduced as a contact, oldest first, with the time. */
  private introduced: { readonly peer: NodeId; readonly at: number }[] = [];
  private left = false;

  constructor(
    readonly self: NodeId,
    config: Partial<FullMeshConfig> = {},
  ) {
    this.config = { ...DEFAULT_FULL_MESH_CONFIG, ...config };
    this.seen = new SeenIds(this.config.dedupCapacity);
    this.view = new NeighborSet(self, this.stats);
  }

  handle(input: Input, now: number): Output[] {
    if (this.left) return [];
    const out: Output[] = [];
    switch (input.kind) {
      case 'join':
        this.onJoin(input.contacts, out);
        break;
      case 'members':
        this.onMembers(input.members, out);
        break;
      case 'message':
        this.stats.messagesReceived++;
        this.onMessage(input.from, input.message, now, out);
        break;
      case 'linkDown':
        this.onLinkDown(input.peer, out);
        break;
      case 'broadcast':
        this.onBroadcast(input.message, out);
        break;
      case 'send':
        this.onSend(input.message, out);
        break;
      case 'leave':
        this.onLeave(out);
        break;
      case 'sendFailed':
      case 'timer':
        // A full queue loses the message; FullMesh has no retransmission and no timers.
        break;
    }
    return out;
  }

  views(): OverlayViews {
    return { active: [...this.view], passive: [] };
  }

  members(): readonly NodeId[] {
    return [this.self, ...this.view];
  }

  counters(): Readonly<OverlayCounters> {
    return { ...this.stats };
  }

  private onJoin(contacts: readonly NodeId[], out: Output[]): void {
    this.contacts = contacts.filter((c) => c !== this.self);
    this.askContact(out);
  }

  private askContact(out: Output[]): void {
    const contact = this.contacts[0];
    if (contact === undefined) return;
    this.sendTo(contact, { type: 'fullmesh.join' }, out);
  }

  private onMembers(members: readonly NodeId[], out: Output[]): void {
    const wanted = new Set(members);
    for (const peer of [...this.view]) if (!wanted.has(peer)) this.view.remove(peer, out);
    for (const peer of members) this.view.add(peer, out);
  }

  private onMessage(from: NodeId, message: FullMeshMessage, now: number, out: Output[]): void {
    if (message.type === 'fullmesh.leave') {
      this.view.remove(from, out);
      return;
    }
    const knew = this.view.has(from);
    this.view.add(from, out);
    switch (message.type) {
      case 'fullmesh.join':
        this.introduced.push({ peer: from, at: now });
        this.sendTo(from, { type: 'fullmesh.members', peers: [this.self, ...[...this.view].filter((p) => p !== from)] }, out);
        return;
      case 'fullmesh.members': {
        if (this.contacts[0] === from) this.contacts = [];
        const fresh: NodeId[] = knew ? [] : [from];
        for (const peer of message.peers) {
          if (peer === this.self || this.view.has(peer)) continue;
          this.view.add(peer, out);
          fresh.push(peer);
          this.sendTo(peer, { type: 'fullmesh.hello' }, out);
        }
        if (fresh.length === 0) return;
        // Members we introduced before we knew these have not heard of them from us: pass them on.
        for (const joiner of this.recentlyIntroduced(now)) {
          if (joiner !== from && !fresh.includes(joiner)) this.sendTo(joiner, { type: 'fullmesh.members', peers: fresh }, out);
        }
        return;
      }
      case 'fullmesh.hello': {
        const recent = this.recentlyIntroduced(now).filter((p) => p !== from);
        if (recent.length > 0) this.sendTo(from, { type: 'fullmesh.members', peers: recent }, out);
        return;
      }
      case 'fullmesh.app':
        this.receiveApp(from, message.app, message.hops, out);
        return;
    }
  }

  private recentlyIntroduced(now: number): NodeId[] {
    const cutoff = now - this.config.recentJoinWindowMs;
    let drop = 0;
    while (drop < this.introduced.length && (this.introduced[drop] as { at: number }).at < cutoff) drop++;
    if (drop > 0) this.introduced = this.introduced.slice(drop);
    return this.introduced.map((e) => e.peer);
  }

  private receiveApp(from: NodeId, app: AppMessage, hops: number, out: Output[]): void {
    if (this.seen.checkAndAdd(app.id)) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (app.to !== undefined && app.to !== this.self) return;
    this.stats.appDelivered++;
    out.push({ kind: 'deliver', message: app, from, hops: hops + 1 });
  }

  private onLinkDown(peer: NodeId, out: Output[]): void {
    if (this.contacts[0] === peer) {
      this.contacts.shift();
      this.askContact(out);
    }
    this.view.remove(peer, out);
  }

  private onBroadcast(app: AppMessage, out: Output[]): void {
    this.seen.checkAndAdd(app.id);
    // One message object for the whole fan-out: the sidecar encodes it once (PeerTransport.send).
    const message: FullMeshMessage = { type: 'fullmesh.app', app, hops: 0 };
    for (const peer of this.view) this.sendTo(peer, message, out);
  }

  private onSend(app: AppMessage, out: Output[]): void {
    const to = app.to;
    if (to === undefined) return;
    if (to === this.self) {
      if (this.seen.checkAndAdd(app.id)) return;
      this.stats.appDelivered++;
      out.push({ kind: 'deliver', message: app, from: this.self, hops: 0 });
      return;
    }
    this.seen.checkAndAdd(app.id);
    this.sendTo(to, { type: 'fullmesh.app', app, hops: 0 }, out);
  }

  private onLeave(out: Output[]): void {
    for (const peer of [...this.view]) {
      this.sendTo(peer, { type: 'fullmesh.leave' }, out);
      this.view.remove(peer, out);
    }
    this.left = true;
  }

  private sendTo(to: NodeId, message: FullMeshMessage, out: Output[]): void {
    this.stats.messagesSent++;
    out.push({ kind: 'send', to, message });
  }
}
