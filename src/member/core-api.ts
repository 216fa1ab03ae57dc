/**
 * The member core's contract with its executors (the sidecar, the fault simulator): what it is
 * fed, what it asks for, and the shapes both sides share. The state machine is member-core.ts.
 */
import type { AnyOverlay, OverlayOptions, OverlayTimer } from '../overlays/index.js';
import type { NodeId, OverlayKind, WireMessage, WireReply } from '../overlays/types.js';
import type { DrainPolicy, SwitchResult } from './switch-engine.js';
import type { BufferBudget } from './buffer-budget.js';
import type { LedgerConfig } from './delivery-ledger.js';
import type { AppEvent } from './app-events.js';
import type { SessionId } from './session.js';

/** Prefix of probe broadcast ids; probes are acknowledged by the member, never delivered to the app. */
export const PROBE_PREFIX = 'probe:';
/** Wire type of a probe acknowledgement, sent straight over a Peer link (never given to an overlay). */
export const PROBE_ACK_TYPE = 'sidecar.probe-ack';
/** How often draining overlays are checked for completion, while any drains. */
export const DRAIN_CHECK_INTERVAL_MS = 100;
/** How often the ledger asks, retries and gives up on missing messages, while any are missing. */
export const LEDGER_TICK_MS = 100;

/** What Prepare needs to form an overlay. */
export interface EpochSpec {
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly params: Pick<OverlayOptions, 'hyParView' | 'pubSub' | 'clientServer'>;
  readonly members: readonly NodeId[];
  readonly contacts: readonly NodeId[];
  readonly seed: number;
}

/** Counters of one epoch, kept by the executor's own type (the sidecar's also counts bytes and latency). */
export interface EpochStatsSink {
  messagesIn: number;
  messagesOut: number;
  duplicatesDropped: number;
  delivered: number;
  neighborLoss: number;
  sendFailures: number;
  readonly deliveryLatency: { add(ms: number): void };
}

/** One epoch's overlay as the core runs it; `S` is the executor's counters type. */
export interface CoreEpoch<S extends EpochStatsSink = EpochStatsSink> {
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly overlay: AnyOverlay;
  readonly stats: S;
  drainStartedAt: number | undefined;
  lastTrafficAt: number;
  closed: boolean;
}

/** Timers the core asks for. */
export type CoreTimer =
  | { readonly kind: 'overlay'; readonly epoch: number; readonly timer: OverlayTimer }
  | { readonly kind: 'drain' }
  | { readonly kind: 'ledger' }
  | { readonly kind: 'marks' };

/** Inputs of {@link MemberCore.handle}. */
export type CoreInput =
  | { readonly kind: 'prepare'; readonly spec: EpochSpec }
  | { readonly kind: 'route' | 'commit' | 'abort'; readonly epoch: number }
  | { readonly kind: 'members'; readonly members: readonly NodeId[] }
  /** Periodic: the member list offered again to overlays it drives and to isolated gossip overlays. */
  | { readonly kind: 'refresh' }
  | { readonly kind: 'message'; readonly epoch: number; readonly from: NodeId; readonly message: WireMessage }
  /** A link broke; `epoch` undefined when the executor's links are not per epoch (the simulator). */
  | { readonly kind: 'linkDown'; readonly epoch: number | undefined; readonly peer: NodeId }
  | { readonly kind: 'sendFailed'; readonly epoch: number; readonly peer: NodeId; readonly message: WireMessage }
  | { readonly kind: 'timer'; readonly timer: CoreTimer }
  | {
      readonly kind: 'appSend';
      readonly to: NodeId | undefined;
      readonly payload: Uint8Array;
      /** App API v2: the broadcast's (or query's) topic, and for requests and acknowledged sends what the answer needs. */
      readonly topic?: string;
      readonly request?: AppRequest;
    }
  /** App API v2: send the answer to a request (or acknowledge a delivery) straight to its origin. */
  | { readonly kind: 'reply'; readonly to: NodeId; readonly reply: WireReply }
  | { readonly kind: 'probe'; readonly epoch: number; readonly ids: readonly string[] }
  | { readonly kind: 'leave' };

/** What a request (or an acknowledged send) carries so its destination can answer. */
export interface AppRequest {
  readonly id: string;
  /** The origin's deadline (executor ms). */
  readonly deadlineAt: number;
  /** Answered by the destination's sidecar once an app was handed it (an acknowledged send), not by the app. */
  readonly ack: boolean;
}

/** Outcome of an app send: accepted into a channel, or refused because no overlay is routed yet. */
export type CoreSendResult =
  | { readonly ok: true; readonly id: string; readonly epoch: number; readonly session: SessionId; readonly seq: number }
  | { readonly ok: false; readonly reason: string };

/** Reasons the core counts a refused input under (a subset of the sidecar's refusal reasons). */
export type CoreRefusal = 'overlay-rejected' | 'future-overflow' | 'far-future-epoch' | 'bad-message';

/** Actions of {@link MemberCore.handle}. */
export type CoreAction =
  | { readonly kind: 'send'; readonly epoch: number; readonly to: NodeId; readonly message: WireMessage }
  | { readonly kind: 'connect'; readonly epoch: number; readonly peer: NodeId }
  | { readonly kind: 'disconnect'; readonly epoch: number; readonly peer: NodeId }
  | { readonly kind: 'refuseLink'; readonly epoch: number; readonly peer: NodeId; readonly code: 'exhausted' | 'precondition'; readonly reason: string }
  | { readonly kind: 'closeEpoch'; readonly epoch: number }
  | { readonly kind: 'timer'; readonly afterMs: number; readonly timer: CoreTimer }
  | { readonly kind: 'app'; readonly event: AppEvent }
  | { readonly kind: 'probeAck'; readonly from: NodeId; readonly message: WireMessage }
  /** App API v2: an answer to one of this member's requests (or acknowledged sends) came from `from`. */
  | { readonly kind: 'reply'; readonly from: NodeId; readonly reply: WireReply }
  | { readonly kind: 'switched'; readonly call: 'prepare' | 'route' | 'commit' | 'abort'; readonly epoch: number; readonly result: SwitchResult }
  | { readonly kind: 'accepted'; readonly result: CoreSendResult }
  | { readonly kind: 'epochs' }
  | { readonly kind: 'refused'; readonly reason: CoreRefusal }
  | { readonly kind: 'log'; readonly level: 'info' | 'warn'; readonly message: string; readonly fields: Record<string, unknown> };

/** Construction parameters of {@link MemberCore}. */
export interface MemberCoreOptions<S extends EpochStatsSink = EpochStatsSink> {
  readonly self: NodeId;
  readonly session: SessionId;
  /** When this session started (ms, the executor's clock). */
  readonly startedAt: number;
  /** The byte budget future frames are held against. */
  readonly budget: BufferBudget;
  /** Most bytes of future frames held from one peer. */
  readonly futurePeerBytes: number;
  /** Bytes a held frame is counted as. */
  readonly frameBytes: (m: WireMessage) => number;
  /** Frames still queued on the executor's links of `epoch` (a draining overlay closes only once they are sent). */
  readonly queuedFrames: (epoch: number) => number;
  /** Counters of a new epoch. */
  readonly newStats: () => S;
  readonly drainPolicy?: DrainPolicy;
  readonly ledger?: LedgerConfig;
  readonly retainBytes?: number;
  /**
   * Whether the session says hello (origin-log.ts): default true, since a sidecar cannot tell a
   * restart from a first start. The simulator's first members, which know they are new, pass false.
   */
  readonly announce?: boolean;
}
