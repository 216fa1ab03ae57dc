/**
 * Point-to-point sends of the HyParView-based overlays (HyParView and PubSub): a `send` goes
 * straight to its destination, not along overlay links, and the destination delivers it once.
 *
 * Member pods can all reach each other in Kubernetes, so the executor opens a transient link when
 * the destination is not a neighbour. That costs one extra connection and takes one hop, where
 * multi-hop routing over the overlay loses messages under churn (Partisan PR #137). Nothing here
 * touches the views; the membership layer (hyparview-membership.ts) owns it only because both
 * overlays stack on that layer.
 */
import type { AppMessage, NodeId, OverlayCounters, OverlayOutput } from './types.js';
import { SeenIds } from './dedup.js';
import type { HyParViewDirect } from './hyparview-messages.js';

/** What a point-to-point send or receipt asks the executor to do. */
export type DirectOutput = OverlayOutput<HyParViewDirect, never>;

/** Sends and de-duplicated deliveries of point-to-point messages, counted in the owner's counters. */
export class DirectDelivery {
  /** Ids delivered here; allocated on first use, as most members never get a direct message. */
  private seen: SeenIds | undefined;

  constructor(
    private readonly self: NodeId,
    private readonly dedupCapacity: number,
    private readonly stats: OverlayCounters,
  ) {}

  /** The application's `send`: on the wire to `app.to`, or delivered at once when that is us. */
  send(app: AppMessage): DirectOutput[] {
    const to = app.to;
    if (to === undefined) return [];
    if (to !== this.self) {
      this.stats.messagesSent++;
      return [{ kind: 'send', to, message: { type: 'hyparview.direct', app, hops: 0 } }];
    }
    if (this.seenIds().checkAndAdd(app.id)) return [];
    this.stats.appDelivered++;
    return [{ kind: 'deliver', message: app, from: this.self, hops: 0 }];
  }

  /** A direct message from `from`: delivered once if it is addressed to us, dropped otherwise. */
  receive(from: NodeId, app: AppMessage, hops: number): DirectOutput[] {
    if (app.to !== this.self) return [];
    if (this.seenIds().checkAndAdd(app.id)) {
      this.stats.duplicatesDropped++;
      return [];
    }
    this.stats.appDelivered++;
    return [{ kind: 'deliver', message: app, from, hops: hops + 1 }];
  }

  private seenIds(): SeenIds {
    if (this.seen === undefined) this.seen = new SeenIds(this.dedupCapacity);
    return this.seen;
  }
}
