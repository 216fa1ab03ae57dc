/**
 * What the member core hands the app: application messages, exactly once each, and GAP notices
 * naming what was lost and why. A GAP is the only way a message the sender was told was accepted
 * may fail to arrive (docs/delivery.md); these shapes are the `Delivery` of overlay.proto.
 */
import type { AppMessage, NodeId } from '../overlays/types.js';
import type { SessionId } from './session.js';

/** Why messages were lost; the values are overlay.proto's `GapReason` names without the prefix. */
export const GAP_REASONS = ['REPAIR_FAILED', 'ORIGIN_RESTARTED', 'ORIGIN_LEFT', 'SUBSCRIBER_LAGGED', 'SIDECAR_RESTARTED', 'REORDER_WINDOW'] as const;

/** One of {@link GAP_REASONS}. */
export type GapReason = (typeof GAP_REASONS)[number];

/**
 * Lost messages of one channel: seqs `fromSeq..toSeq` (`toSeq` 0: and everything after) of the
 * broadcasts (`direct` false) or the sends to this member (`direct` true) of `origin`'s `session`.
 * `session` '' means every session of `origin` this member never received a message from.
 */
export interface GapRange {
  readonly origin: NodeId;
  readonly session: SessionId;
  readonly direct: boolean;
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** A notice of lost messages. */
export interface GapNotice {
  readonly reason: GapReason;
  /** Messages lost when known, 0 when not (an open range). */
  readonly count: number;
  readonly ranges: readonly GapRange[];
  readonly detail: string;
}

/** An application message for the app, with where it came from. */
export interface MessageEvent {
  readonly kind: 'message';
  readonly message: AppMessage;
  readonly epoch: number;
  readonly hops: number;
  readonly deliveredAt: number;
}

/** A GAP for the app. */
export interface GapEvent {
  readonly kind: 'gap';
  readonly gap: GapNotice;
  readonly deliveredAt: number;
}

/** What the app receives. */
export type AppEvent = MessageEvent | GapEvent;

/** Number of messages in `fromSeq..toSeq`, 0 for an open range. */
export function rangeCount(r: GapRange): number {
  return r.toSeq === 0 ? 0 : r.toSeq - r.fromSeq + 1;
}

/** True when `range` covers seq `seq` of `origin`'s `session` (channel `direct`); '' sessions are the caller's to judge. */
export function rangeCovers(range: GapRange, origin: NodeId, session: SessionId, direct: boolean, seq: number): boolean {
  if (range.origin !== origin || range.direct !== direct || range.session !== session) return false;
  return seq >= range.fromSeq && (range.toSeq === 0 || seq <= range.toSeq);
}
