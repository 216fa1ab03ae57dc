/**
 * HyParView's wire messages and timers. Each message is assignable to `WireMessage` (types.ts), so
 * the sidecar encodes it with the shared protobuf vocabulary and no schema change.
 *
 * Types are part of the protocol: ONLY ADD new ones, never rename (peers of different versions
 * talk to each other during a rollout).
 */
import type { AppMessage, NodeId } from './types.js';

/** Joining node → its contact: "add me to your active view and announce me". */
export interface HyParViewJoin {
  readonly type: 'hyparview.join';
}

/** A random walk announcing `peer` (the joining node); `ttl` is the remaining walk length. */
export interface HyParViewForwardJoin {
  readonly type: 'hyparview.forwardJoin';
  readonly peer: NodeId;
  readonly ttl: number;
}

/** "Make me your active neighbour"; `high` (sender's active view is empty, or forced) must be accepted. */
export interface HyParViewNeighbor {
  readonly type: 'hyparview.neighbor';
  readonly high: boolean;
}

/**
 * Answer to a join or neighbor request. The requester adds the link only on `accepted`, so both
 * ends agree on it (Partisan #13: unacknowledged requests left views asymmetric).
 */
export interface HyParViewNeighborReply {
  readonly type: 'hyparview.neighborReply';
  readonly accepted: boolean;
}

/** "I dropped you from my active view; keep me as a backup (passive view)". */
export interface HyParViewDisconnect {
  readonly type: 'hyparview.disconnect';
}

/** "I am leaving the overlay; forget me". */
export interface HyParViewLeave {
  readonly type: 'hyparview.leave';
}

/**
 * A shuffle walking the overlay: `peer` is its origin, `peers` its sample, `round` its nonce.
 * `route` lists the members that forwarded it so far; a sender that predates it leaves it out and
 * gets its reply straight back.
 */
export interface HyParViewShuffle {
  readonly type: 'hyparview.shuffle';
  readonly peer: NodeId;
  readonly peers: readonly NodeId[];
  readonly ttl: number;
  readonly round: number;
  readonly route?: readonly NodeId[];
}

/**
 * A sample of the acceptor's passive view, for the shuffle's origin. It retraces the walk hop by
 * hop over active links: `peer` is the origin and `route` the hops still to go (the last one is
 * next); both are left out on the final hop, and on a reply sent straight to the origin.
 */
export interface HyParViewShuffleReply {
  readonly type: 'hyparview.shuffleReply';
  readonly peers: readonly NodeId[];
  readonly round: number;
  readonly peer?: NodeId;
  readonly route?: readonly NodeId[];
}

/**
 * A broadcast app message flooding the active views; `hops` travelled before this transmission.
 * The flood layer's (flood.ts); the only message here that the membership layer never handles.
 */
export interface HyParViewGossip {
  readonly type: 'hyparview.gossip';
  readonly app: AppMessage;
  readonly hops: number;
}

/** A point-to-point app message, sent straight to `app.to`. */
export interface HyParViewDirect {
  readonly type: 'hyparview.direct';
  readonly app: AppMessage;
  readonly hops: number;
}

/**
 * A one-way liveness probe, ignored by the receiver: sending it is the point. After one neighbour
 * fails, the others are probed so that the transport reports any other dead link now (a write on a
 * broken stream fails) instead of after its idle keepalive timeout: a crash rarely comes alone.
 */
export interface HyParViewProbe {
  readonly type: 'hyparview.probe';
}

/** The membership layer's wire messages (hyparview-membership.ts): all but the flood's payload. */
export type HyParViewMembershipMessage =
  | HyParViewJoin
  | HyParViewForwardJoin
  | HyParViewNeighbor
  | HyParViewNeighborReply
  | HyParViewDisconnect
  | HyParViewLeave
  | HyParViewShuffle
  | HyParViewShuffleReply
  | HyParViewDirect
  | HyParViewProbe;

/** Every HyParView wire message: the membership layer's and the flood's (flood.ts). */
export type HyParViewMessage = HyParViewMembershipMessage | HyParViewGossip;

/** HyParView's two periodic timers; each firing schedules the next one. */
export type HyParViewTimer = { readonly kind: 'hyparview.shuffle' } | { readonly kind: 'hyparview.repair' };

/** True for HyParView's own messages (PubSub routes by prefix). */
export function isHyParViewMessage(message: { readonly type: string }): message is HyParViewMessage {
  return message.type.startsWith('hyparview.');
}
