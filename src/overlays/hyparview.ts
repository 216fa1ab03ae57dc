/**
 * The HyParView overlay: HyParView membership with the paper's flood broadcast stacked on it, the
 * structure PubSub (pubsub.ts) has with Plumtree, after iroh-gossip's topic.rs.
 *
 * The membership layer (hyparview-membership.ts) owns the links: joins, shuffles, failure repair,
 * point-to-point sends. Its neighborUp/neighborDown outputs are passed on to the executor AND fed
 * to the flood (flood.ts), which forwards broadcasts over exactly those links; the flood's outputs
 * follow the neighbour change that caused them. Broadcasts and the flood's message go to the flood,
 * every other input to the membership. Both layers' messages keep the `hyparview.` prefix they had
 * on the wire before the flood became a layer of its own, so routing is by message type.
 */
import type { NodeId, Overlay, OverlayCounters, OverlayInput, OverlayOutput, OverlayViews } from './types.js';
import type { Random } from './random.js';
import type { HyParViewConfig } from './hyparview-config.js';
import type { HyParViewMessage, HyParViewTimer } from './hyparview-messages.js';
import { HyParViewMembership, type HyParViewMembershipInput } from './hyparview-membership.js';
import { followNeighbors } from './neighbor-follower.js';
import { Flood, isFloodMessage } from './flood.js';

export { DEFAULT_HYPARVIEW_CONFIG, hyParViewConfig, type HyParViewConfig } from './hyparview-config.js';
export * from './hyparview-messages.js';

/** What a HyParView handler returns. */
export type HyParViewOutput = OverlayOutput<HyParViewMessage, HyParViewTimer>;

/** What a HyParView member is fed. */
export type HyParViewInput = OverlayInput<HyParViewMessage, HyParViewTimer>;

/** One HyParView member: the membership overlay, and a flood broadcast over its active view. */
export class HyParView implements Overlay<HyParViewMessage, HyParViewTimer> {
  readonly kind = 'HyParView' as const;
  readonly config: HyParViewConfig;
  private readonly membership: HyParViewMembership;
  private readonly flood: Flood;
  /** After `leave`, both layers are silent (the membership stops by itself; the flood would not). */
  private left = false;

  constructor(
    readonly self: NodeId,
    random: Random,
    config?: Partial<HyParViewConfig>,
  ) {
    this.membership = new HyParViewMembership(self, random, config);
    this.config = this.membership.config;
    this.flood = new Flood(self, this.config);
  }

  views(): OverlayViews {
    return this.membership.views();
  }

  members(): readonly NodeId[] {
    return this.membership.members();
  }

  /** Both layers' counters added up (neighbour counts come from the membership alone). */
  counters(): Readonly<OverlayCounters> {
    const a = this.membership.counters();
    const b = this.flood.counters();
    return {
      messagesSent: a.messagesSent + b.messagesSent,
      messagesReceived: a.messagesReceived + b.messagesReceived,
      appDelivered: a.appDelivered + b.appDelivered,
      duplicatesDropped: a.duplicatesDropped + b.duplicatesDropped,
      neighborUps: a.neighborUps,
      neighborDowns: a.neighborDowns,
    };
  }

  handle(input: HyParViewInput, now: number): HyParViewOutput[] {
    if (this.left) return [];
    switch (input.kind) {
      case 'message': {
        const m = input.message;
        if (isFloodMessage(m)) return this.flood.receive(input.from, m, now);
        return this.membershipInput({ kind: 'message', from: input.from, message: m }, now);
      }
      case 'sendFailed': {
        const m = input.message;
        // A lost flood copy is covered by the other neighbours' copies and by catch-up.
        if (isFloodMessage(m)) return [];
        return this.membershipInput({ kind: 'sendFailed', peer: input.peer, message: m }, now);
      }
      case 'broadcast':
        return this.flood.broadcast(input.message, now);
      case 'leave':
        this.left = true;
        return this.membershipInput(input, now);
      default:
        return this.membershipInput(input, now);
    }
  }

  /** Runs the membership and feeds its neighbour changes to the flood, keeping the output order. */
  private membershipInput(input: HyParViewMembershipInput, now: number): HyParViewOutput[] {
    return followNeighbors(this.membership.handle(input, now), this.flood, now);
  }
}
