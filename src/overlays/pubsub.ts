/**
 * PubSub: Plumtree broadcast trees stacked on HyParView membership, the paper's own pairing and
 * iroh-gossip's topic.rs structure.
 *
 * HyParView's membership layer owns the links: joins, shuffles, failure repair, point-to-point
 * sends (straight to the destination, see hyparview-direct.ts). Its neighborUp/neighborDown outputs
 * are passed on to the executor AND fed to Plumtree, which keeps its eager/lazy split over exactly
 * those links. Broadcasts go through Plumtree only (the HyParView overlay stacks the flood on the
 * same membership instead: hyparview.ts). Inputs are routed by the `hyparview.` / `plumtree.`
 * prefix of the message type or timer kind.
 */
import type { AppMessage, NodeId, Overlay, OverlayCounters, OverlayInput, OverlayOutput, OverlayViews } from './types.js';
import type { Random } from './random.js';
import type { HyParViewConfig } from './hyparview-config.js';
import type { HyParViewMembershipMessage, HyParViewTimer } from './hyparview-messages.js';
import { HyParViewMembership, type HyParViewMembershipInput } from './hyparview-membership.js';
import { followNeighbors } from './neighbor-follower.js';
import { isPlumtreeMessage, isPlumtreeTimer, Plumtree, type PlumtreeConfig, type PlumtreeMessage, type PlumtreeTimer } from './plumtree.js';

/** Everything PubSub puts on the wire: membership and broadcast-tree messages. */
export type PubSubMessage = HyParViewMembershipMessage | PlumtreeMessage;

/** Either layer's timers. */
export type PubSubTimer = HyParViewTimer | PlumtreeTimer;

type PubSubOutput = OverlayOutput<PubSubMessage, PubSubTimer>;

/** One PubSub member: HyParView + Plumtree. */
export class PubSub implements Overlay<PubSubMessage, PubSubTimer> {
  readonly kind = 'PubSub' as const;
  private readonly membership: HyParViewMembership;
  private readonly tree: Plumtree;
  /** After `leave`, both layers are silent (HyParView stops by itself; Plumtree would not). */
  private left = false;

  constructor(
    readonly self: NodeId,
    random: Random,
    hyParView?: Partial<HyParViewConfig>,
    pubSub?: Partial<PlumtreeConfig>,
  ) {
    this.membership = new HyParViewMembership(self, random, hyParView);
    this.tree = new Plumtree(self, pubSub);
  }

  views(): OverlayViews {
    return this.membership.views();
  }

  members(): readonly NodeId[] {
    return this.membership.members();
  }

  /** Both layers' counters added up (neighbour counts come from HyParView alone). */
  counters(): Readonly<OverlayCounters> {
    const a = this.membership.counters();
    const b = this.tree.counters();
    return {
      messagesSent: a.messagesSent + b.messagesSent,
      messagesReceived: a.messagesReceived + b.messagesReceived,
      appDelivered: a.appDelivered + b.appDelivered,
      duplicatesDropped: a.duplicatesDropped + b.duplicatesDropped,
      neighborUps: a.neighborUps,
      neighborDowns: a.neighborDowns,
    };
  }

  /** Plumtree's current eager (tree) and lazy neighbours, for tests and diagnostics. */
  treeLinks(): { readonly eager: readonly NodeId[]; readonly lazy: readonly NodeId[] } {
    return { eager: this.tree.eagerPeers(), lazy: this.tree.lazyPeers() };
  }

  handle(input: OverlayInput<PubSubMessage, PubSubTimer>, now: number): PubSubOutput[] {
    if (this.left) return [];
    switch (input.kind) {
      case 'message': {
        const m = input.message;
        if (isPlumtreeMessage(m)) return this.tree.receive(input.from, m, now);
        return this.membershipInput({ kind: 'message', from: input.from, message: m }, now);
      }
      case 'timer': {
        const t = input.timer;
        if (isPlumtreeTimer(t)) return this.tree.timer(t, now);
        return this.membershipInput({ kind: 'timer', timer: t }, now);
      }
      case 'sendFailed': {
        const m = input.message;
        // A lost eager push is recovered by the lazy announcements and GRAFT; nothing else to do.
        if (isPlumtreeMessage(m)) return [];
        return this.membershipInput({ kind: 'sendFailed', peer: input.peer, message: m }, now);
      }
      case 'broadcast':
        return this.broadcast(input.message, now);
      case 'leave':
        this.left = true;
        return this.membershipInput(input, now);
      default:
        return this.membershipInput(input, now);
    }
  }

  private broadcast(app: AppMessage, now: number): PubSubOutput[] {
    return this.tree.broadcast(app, now);
  }

  /** Runs HyParView and feeds its neighbour changes to Plumtree, keeping the output order. */
  private membershipInput(input: HyParViewMembershipInput, now: number): PubSubOutput[] {
    return followNeighbors(this.membership.handle(input, now), this.tree, now);
  }
}
