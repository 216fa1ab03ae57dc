/**
 * Inputs and outputs of the rollout engine: what the reconciler observes and what it must do.
 *
 * The engine is level-based like a controller-runtime reconciler: it never remembers what it asked
 * for last time. It compares what every sidecar reports (its active, staged and routing epochs)
 * with what the persisted `status.rollout` says they should be, and asks again for whatever is
 * missing. Every action is therefore idempotent, and a restarted operator resumes from status.
 */
import type { ClusterTopologyStatus, OverlayKind, ResolvedSpec, TopologyMetrics } from '../../api/types.js';
import type { SwitchDecision } from '../rules/decide-switch.js';

/** One pod the selector matches, with what its sidecar reported (Control.State). */
export interface ObservedMember {
  /** Pod name: members are ordered by it (ordinal pods route first). */
  name: string;
  /** Peer address `ip:port`; absent until the pod has an IP. */
  address?: string;
  /** Pod Ready and sidecar reachable. Only ready members are targeted, counted and verified. */
  ready: boolean;
  /** Pod Ready but its sidecar did not answer: the planner looks again sooner. */
  unreachable?: boolean;
  /** Pod labels, for `spec.overlays.clientServer.serverSelector`. */
  labels?: Record<string, string>;
  /** Epoch of the overlay the sidecar has committed (absent: none yet, e.g. a new pod). */
  activeEpoch?: number;
  /** Epoch of the overlay it has prepared beside the active one. */
  stagedEpoch?: number;
  /** Epoch the application's traffic is sent over (defaults to the active one). */
  routingEpoch?: number;
}

/** Result of probing an epoch's overlay (the reconciler runs it when asked by a `verify` action). */
export interface VerificationResult {
  epoch: number;
  /** RFC 3339; only results checked after the current health window began count. */
  checkedAt: string;
  /** The overlay graph over ready members is connected and views are within bounds. */
  connected: boolean;
  probesSent: number;
  probesDelivered: number;
  /** p99 latency of the probes over this epoch (ms). */
  latencyP99Ms?: number;
  /** Detail for the status message when something is wrong. */
  detail?: string;
  /** Members lost during the switch (pods gone or unready): a failure no waiting can mend. */
  membersLost?: string[];
}

/** A command for some member sidecars (Control service). Actions are listed in execution order. */
export type MemberAction =
  /** Stage `epoch` running `topology` beside the active overlay; `peers` are the overlay's members. */
  | { kind: 'prepare'; epoch: number; topology: OverlayKind; members: string[]; peers: string[]; servers?: string[] }
  /** Send application traffic over `epoch` (one the member has active or staged). */
  | { kind: 'route'; epoch: number; members: string[] }
  /** Make the staged `epoch` the active one; the old one drains and closes. */
  | { kind: 'commit'; epoch: number; members: string[] }
  /** Drop the staged `epoch`. */
  | { kind: 'abort'; epoch: number; members: string[] }
  /**
   * Verify `epoch` over `members` and pass the result back as `verification` when it is done
   * (a later pass; see src/operator/sidecars/verify.ts). Emitted only while one is needed.
   */
  | { kind: 'verify'; epoch: number; members: string[]; maxLatencyMs?: number };

/** A Kubernetes Event to emit on the ClusterTopology. */
export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * Selected pods that this resource leaves to an earlier ClusterTopology selecting them too
 * (src/operator/reconcile/claims.ts): they are not among `members`, and the conditions say so.
 */
export interface SharedPods {
  /** `namespace/name` of the ClusterTopology that manages them. */
  holder: string;
  /** Their names, in name order. */
  pods: string[];
}

/** Everything the rollout engine looks at. */
export interface RolloutInput {
  spec: ResolvedSpec;
  /** metadata.generation of the object. */
  generation: number;
  status: ClusterTopologyStatus;
  members: readonly ObservedMember[];
  decision: SwitchDecision;
  verification?: VerificationResult;
  /** Latest sample of the committed overlay: its p99 becomes the baseline of a new switch. */
  metrics?: TopologyMetrics;
  /** Selected pods left to earlier ClusterTopologies (absent: none). */
  shared?: readonly SharedPods[];
  /** A promote request was accepted (control.ts): a switch waiting at a gate moves past it. */
  promote?: boolean;
  now: Date;
}

/** What the reconciler must do: carry out `actions`, write `status`, emit `events`, requeue. */
export interface RolloutPlan {
  actions: MemberAction[];
  status: ClusterTopologyStatus;
  events: PlannedEvent[];
  /** Poll again after this many seconds; absent: only on the next watch event. */
  requeueAfterSeconds?: number;
}
