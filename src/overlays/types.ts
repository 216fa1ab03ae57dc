/**
 * The contract every overlay implements: an IO-less state machine.
 *
 * An overlay never opens sockets, reads a clock or draws random numbers of its own. The executor
 * (the discrete-event simulator in `sim/`, or the sidecar's gRPC transport) feeds it inputs with the
 * current time and carries out the outputs it returns. One seed and one input sequence therefore
 * always produce the same outputs, which is what makes the simulator reproducible and lets the same
 * code run in production.
 *
 * Timers are values, never callbacks, and are never cancelled: the executor hands a timer back as
 * an input when it fires and the overlay ignores one that has become stale.
 */

/**
 * Identity of a member: its dialable Peer address (`host:port`). Overlays gossip ids to each other
 * (forward-joins, shuffles), so an id alone must be enough to reach the member.
 */
export type NodeId = string;

/** The four overlays, by the names the ClusterTopology resource uses. */
export const OVERLAY_KINDS = ['FullMesh', 'HyParView', 'ClientServer', 'PubSub'] as const;

/** One of {@link OVERLAY_KINDS}. */
export type OverlayKind = (typeof OVERLAY_KINDS)[number];

/** Unique id of an application message (`origin/seq`); receivers drop duplicates by it. */
export type MessageId = string;

/**
 * A message of the application's, as the overlay carries it. The overlay never looks inside
 * `payload`. `to` is set for point-to-point sends and absent for broadcasts.
 */
export interface AppMessage {
  readonly id: MessageId;
  readonly origin: NodeId;
  readonly to?: NodeId;
  readonly payload: Uint8Array;
  /** Time (executor ms) at which the origin handed the message over; for latency metrics. */
  readonly sentAt: number;
  /**
   * Delivery bookkeeping of the member layer (src/member, docs/delivery.md), opaque to overlays:
   * the origin's session, the message's position in its channel, and the send time of the
   * previous message of that channel (0 for the first).
   */
  readonly session?: string;
  readonly seq?: number;
  readonly prevSentAt?: number;
  /**
   * App API v2, opaque to overlays too: the broadcast's (or a query's) topic, and for requests
   * and acknowledged sends the id the answer comes back under, the origin's deadline (executor
   * ms) and whether the sidecar (ack) or the app (a request) answers.
   */
  readonly topic?: string;
  readonly requestId?: string;
  readonly deadlineAt?: number;
  readonly ack?: boolean;
}

/** The answer to a request or an acknowledged send (peer.proto `Reply`); `status` 0 is OK, otherwise a gRPC status code. */
export interface WireReply {
  readonly requestId: string;
  readonly status: number;
  readonly detail: string;
  readonly payload: Uint8Array;
}

/**
 * The shape every overlay wire message has: a `type` discriminant prefixed by its overlay
 * (`hyparview.join`, `plumtree.graft`, ...) and optional fields from one fixed vocabulary.
 *
 * The vocabulary is the protobuf `OverlayMessage` of `proto/topology/v1/peer.proto`, field for
 * field, so the sidecar encodes any overlay's messages mechanically and a new message type needs no
 * wire change. Overlays declare their own precise message unions; the compiler checks that each is
 * assignable to this one.
 */
export interface WireMessage {
  readonly type: string;
  /** A node the message is about (the joining node of a forward-join, a shuffle's origin, ...). */
  readonly peer?: NodeId;
  /** A list of nodes (shuffle samples, member lists). */
  readonly peers?: readonly NodeId[];
  /** Remaining hops of a random walk. */
  readonly ttl?: number;
  /** Priority of a neighbor request. */
  readonly high?: boolean;
  /** Answer to a request (neighbor accepted, ...). */
  readonly accepted?: boolean;
  /** One application message id (IHAVE, GRAFT). */
  readonly id?: MessageId;
  /** Several application message ids (batched IHAVE). */
  readonly ids?: readonly MessageId[];
  /** General-purpose counter: a round, a request number, a nonce. */
  readonly round?: number;
  /** The application message carried, on payload messages only. */
  readonly app?: AppMessage;
  /** Overlay hops the carried `app` has travelled so far. */
  readonly hops?: number;
  /** Members a random walk passed through after its origin, so that an answer can retrace it. */
  readonly route?: readonly NodeId[];
  /** `member.reply` only: the answer (App API v2). */
  readonly reply?: WireReply;
}

/**
 * Inputs an overlay reacts to. `M` is the overlay's wire message type, `T` its timer type.
 * Payload messages are those with `app` set; the simulator counts them for RMR.
 */
export type OverlayInput<M, T> =
  /**
   * Start: bootstrap contacts (empty for the first member). Sent once, before anything else.
   * `members`, when the control plane knows them all at start, lets HyParView plan its first
   * links instead of joining through a contact (hyparview-plan.ts); the other overlays ignore it.
   */
  | { readonly kind: 'join'; readonly contacts: readonly NodeId[]; readonly members?: readonly NodeId[] }
  /**
   * The authoritative member list, from the control plane (the operator's view of ready pods).
   * FullMesh and ClientServer are driven by it; HyParView and PubSub may use it only as contacts.
   */
  | { readonly kind: 'members'; readonly members: readonly NodeId[] }
  /** A wire message from a peer. */
  | { readonly kind: 'message'; readonly from: NodeId; readonly message: M }
  /** The link to `peer` broke, or could not be opened: the failure detector of HyParView. */
  | { readonly kind: 'linkDown'; readonly peer: NodeId }
  /** The transport could not queue `message` for `peer` (queue full); the message is gone. */
  | { readonly kind: 'sendFailed'; readonly peer: NodeId; readonly message: M }
  /** A timer this overlay scheduled has fired. */
  | { readonly kind: 'timer'; readonly timer: T }
  /** The application broadcasts `message` to every member. */
  | { readonly kind: 'broadcast'; readonly message: AppMessage }
  /** The application sends `message` to the single member `message.to`. */
  | { readonly kind: 'send'; readonly message: AppMessage }
  /** Leave the overlay gracefully (tell neighbours, then stop). */
  | { readonly kind: 'leave' };

/** Actions an overlay asks its executor to carry out. */
export type OverlayOutput<M, T> =
  /** Send `message` to `to`, opening a link first if there is none. */
  | { readonly kind: 'send'; readonly to: NodeId; readonly message: M }
  /** Close the link to `peer` once the messages already queued for it are flushed. */
  | { readonly kind: 'disconnect'; readonly peer: NodeId }
  /** Hand `timer` back as an input after `afterMs` milliseconds. */
  | { readonly kind: 'timer'; readonly afterMs: number; readonly timer: T }
  /** Deliver an application message to the local app: at most once per message id. */
  | { readonly kind: 'deliver'; readonly message: AppMessage; readonly from: NodeId; readonly hops: number }
  /** `peer` became a neighbour (observability; PubSub stacks Plumtree on it). */
  | { readonly kind: 'neighborUp'; readonly peer: NodeId }
  /** `peer` stopped being a neighbour. */
  | { readonly kind: 'neighborDown'; readonly peer: NodeId };

/** The member's current views: links it keeps open, and the backup candidates it knows. */
export interface OverlayViews {
  readonly active: readonly NodeId[];
  readonly passive: readonly NodeId[];
}

/** Monotonic counters every overlay keeps, for metrics and benchmarks. */
export interface OverlayCounters {
  messagesSent: number;
  messagesReceived: number;
  appDelivered: number;
  duplicatesDropped: number;
  neighborUps: number;
  neighborDowns: number;
}

/** A running overlay on one member. */
export interface Overlay<M extends WireMessage = WireMessage, T = unknown> {
  readonly kind: OverlayKind;
  readonly self: NodeId;
  /** Feeds one input at time `now` (ms, executor clock) and returns the actions to carry out. */
  handle(input: OverlayInput<M, T>, now: number): OverlayOutput<M, T>[];
  /** Active and passive views. */
  views(): OverlayViews;
  /** Members this node knows of, itself included: what the app's member list shows. */
  members(): readonly NodeId[];
  /** Counters since start. */
  counters(): Readonly<OverlayCounters>;
}

/** Fresh, zeroed counters. */
export function newCounters(): OverlayCounters {
  return { messagesSent: 0, messagesReceived: 0, appDelivered: 0, duplicatesDropped: 0, neighborUps: 0, neighborDowns: 0 };
}
