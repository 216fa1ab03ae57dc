/**
 * What the app client returns: the Overlay API's messages (proto/topology/v1/overlay.proto) as
 * discriminated unions an app can `switch` on, with the proto's enum prefixes dropped
 * (`GAP_REASON_ORIGIN_LEFT` → `'ORIGIN_LEFT'`) and payloads as Buffers.
 */

/** A payload: bytes, or a string sent as UTF-8. */
export type Payload = Uint8Array | string;

/** One member of the topology (proto `Member`). */
export interface Member {
  /** Its peer address: what `send` and `request` take as `to`, and what deliveries name as `origin`. */
  readonly address: string;
  /** Its pod's name ("" when its sidecar was not told). */
  readonly pod: string;
  /** Its tags (pod labels of `spec.memberTags`, and its sidecar's `--tag key=value` flags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** The membership as this sidecar's routed overlay knows it (proto `MembersReply`). */
export interface Membership {
  /** This member's peer address. */
  readonly self: string;
  /** Every member, this one included, with pod and tags (a sidecar older than App API v2 gives addresses only: pod "" and no tags). */
  readonly members: readonly Member[];
  /** Epoch of the overlay the members come from. */
  readonly epoch: number;
}

/** A membership event (proto `MembershipEvent`): CURRENT × n, SYNCED, then changes. */
export type MembershipEvent =
  | { readonly type: 'current' | 'joined' | 'left' | 'updated'; readonly member: Member; readonly atMs: number }
  /** The end of the `current` events: the app now holds the whole membership. */
  | { readonly type: 'synced'; readonly atMs: number };

/** Why messages were lost (proto `GapReason` without its prefix; docs/delivery.md, "What the app is told"). */
export type GapReason = 'UNSPECIFIED' | 'REPAIR_FAILED' | 'ORIGIN_RESTARTED' | 'ORIGIN_LEFT' | 'SUBSCRIBER_LAGGED' | 'SIDECAR_RESTARTED' | 'REORDER_WINDOW';

/** Lost messages of one channel (proto `GapRange`): `toSeq` 0 means "and everything after". */
export interface GapRange {
  readonly origin: string;
  /** "" means every session of `origin` this member never received a message from. */
  readonly originSession: string;
  /** true: the origin's sends to this member; false: its broadcasts. */
  readonly direct: boolean;
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** Where a delivery sits in this sidecar's delivery log: pass it back to resume after it. */
export interface ResumePoint {
  readonly session: string;
  readonly cursor: number;
}

/** Fields every delivery from the sidecar has. */
interface LoggedDelivery extends ResumePoint {
  /** This sidecar's wall clock when it was delivered (ms since the Unix epoch). */
  readonly deliveredAtMs: number;
}

/** An application message (proto `Delivery` of kind MESSAGE without a `request_id`). */
export interface MessageDelivery extends LoggedDelivery {
  readonly kind: 'message';
  /** `origin/session/<b|d>seq`; unique: a delivery is never repeated. */
  readonly id: string;
  /** Peer address of the sender. */
  readonly origin: string;
  /** The destination for a point-to-point message; "" for a broadcast. */
  readonly to: string;
  readonly payload: Buffer;
  /** The broadcast's topic ("" for none, and for point-to-point messages). */
  readonly topic: string;
  readonly sentAtMs: number;
  readonly hops: number;
  /** Epoch of the overlay it arrived over (a live switch shows as a new epoch). */
  readonly epoch: number;
  readonly originSession: string;
  readonly seq: number;
}

/** A request from `request` or `query` elsewhere: answer it with `respond(requestId, ...)` before `deadlineMs`. */
export interface RequestDelivery extends Omit<MessageDelivery, 'kind'> {
  readonly kind: 'request';
  readonly requestId: string;
  /** The origin's deadline (ms since the Unix epoch); a `respond` after it is refused. */
  readonly deadlineMs: number;
}

/** A notice that messages for this member were lost, naming them (proto `Delivery` of kind GAP). */
export interface GapDelivery extends LoggedDelivery {
  readonly kind: 'gap';
  readonly reason: GapReason;
  /** How many were lost, when known (0: unknown, e.g. an open range). */
  readonly count: number;
  readonly ranges: readonly GapRange[];
  readonly detail: string;
  /**
   * true when this sidecar restarted since the session the subscription resumed from
   * (`SIDECAR_RESTARTED`): cursors restart in the new `session`, and any state the app keyed on
   * the old session (resume points, per-origin sequence tracking) must be reset.
   */
  readonly reset: boolean;
}

/**
 * Signals of the client itself, not deliveries: `subscribed` when the sidecar registered the
 * stream (anything sent after it reaches this subscriber); `resubscribing` when the stream broke
 * and the client (with `resubscribe`) is reconnecting from the last resume point.
 */
export type SubscriptionSignal =
  | { readonly kind: 'subscribed'; readonly resumedFrom: ResumePoint | undefined }
  | { readonly kind: 'resubscribing'; readonly error: Error; readonly attempt: number };

/** What a subscription yields. */
export type SubscriptionItem = MessageDelivery | RequestDelivery | GapDelivery | SubscriptionSignal;

/** What `send` and `broadcast` return (proto `SendReply`). */
export interface SendResult {
  /** Id the message travels under (`origin/session/<b|d>seq`). */
  readonly id: string;
  readonly epoch: number;
  /** This sidecar's session. */
  readonly session: string;
  /** Position of the message in its channel. */
  readonly seq: number;
}

/** An answer to `request`, or one of the answers to `query` (proto `ReplyMessage`, `QueryResponse`). */
export interface Answer {
  /** Peer address of the member that answered. */
  readonly from: string;
  readonly payload: Buffer;
  readonly requestId: string;
}
