/**
 * TypeScript shapes of the ClusterTopology resource, shared by the operator and the CLI.
 *
 * Two views of the spec exist: {@link ClusterTopologySpec} is what a user writes (almost every field
 * optional) and {@link ResolvedSpec} is the same spec after {@link applyDefaults} (every defaulted
 * field present), which is what the API server stores and what the engines consume. The CRD schema
 * in `crd-schema.ts` is the authority; these types are checked against it by the unit tests.
 */
import type { OverlayKind } from '../overlays/types.js';

export type { OverlayKind } from '../overlays/types.js';

/** How the target topology is chosen. */
export const MODES = ['Manual', 'Auto'] as const;
/** `Manual`: `spec.topology` is the target. `Auto`: the rule engine picks it. */
export type Mode = (typeof MODES)[number];

/** Workload profiles (the seed's `optimize_for_workload`). */
export const WORKLOADS = ['Balanced', 'LowLatency', 'HighThroughput', 'EventDriven', 'Batch'] as const;
/** One of {@link WORKLOADS}; see docs/crd-reference.md for the table of preferences. */
export type Workload = (typeof WORKLOADS)[number];

/** What started a switch recorded in history. */
export const TRIGGERS = ['Manual', 'Auto', 'Workload', 'Rollback'] as const;
/** One of {@link TRIGGERS}. */
export type Trigger = (typeof TRIGGERS)[number];

/** How a switch ended. */
export const RESULTS = ['Succeeded', 'RolledBack', 'Failed', 'Superseded'] as const;
/** One of {@link RESULTS}. */
export type SwitchResult = (typeof RESULTS)[number];

/** `status.phase`: a one-word summary for `kubectl get`; conditions carry the detail. */
export const PHASES = ['Pending', 'Ready', 'Progressing', 'Verifying', 'RollingBack', 'Paused', 'Degraded', 'Failed'] as const;
/** One of {@link PHASES}. */
export type Phase = (typeof PHASES)[number];

/** Where a switch attempt stands (`status.rollout.stage`). */
export const STAGES = ['Preparing', 'Routing', 'Committing', 'RollingBack', 'Failed', 'Succeeded', 'RolledBack', 'Superseded'] as const;
/** One of {@link STAGES}. The first five mean a staged epoch may exist on members. */
export type Stage = (typeof STAGES)[number];

/** Operators of a label selector requirement (metav1.LabelSelectorRequirement). */
export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** metav1.LabelSelectorRequirement. */
export interface LabelSelectorRequirement {
  key: string;
  operator: (typeof SELECTOR_OPERATORS)[number];
  values?: string[];
}

/** metav1.LabelSelector: member pods, or ClientServer servers. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** HyParView parameters (Leitão, Pereira, Rodrigues 2007). */
export interface HyParViewSettings {
  activeViewSize: number;
  passiveViewSize: number;
  activeRandomWalkLength: number;
  passiveRandomWalkLength: number;
  shuffleIntervalSeconds: number;
  shuffleActive: number;
  shufflePassive: number;
}

/** Who serves in the ClientServer overlay. */
export interface ClientServerSettings {
  serverSelector?: LabelSelector;
  servers: number;
}

/** Plumtree (epidemic broadcast tree) parameters of the PubSub overlay. */
export interface PubSubSettings {
  lazyPushDelayMs: number;
  graftTimeoutMs: number;
  optimizationThreshold: number;
}

/** Per-overlay parameters. */
export interface OverlaySettings {
  hyParView: HyParViewSettings;
  clientServer: ClientServerSettings;
  pubSub: PubSubSettings;
}

/** Thresholds of the rule engine (seed §4). */
export interface AutoSwitchThresholds {
  smallClusterMaxNodes: number;
  largeClusterMinNodes: number;
  clientServerMinNodes: number;
  maxLatencyMs: number;
  minConnectivity: number;
  maxPartitionsPerHour: number;
  maxBytesPerSecondPerNode: number;
  maxHops: number;
  maxConnectionsPerNode: number;
  maxQueueLength: number;
  hysteresisPercent: number;
}

/** Automatic switching. */
export interface AutoSwitchSettings {
  cooldownSeconds: number;
  evaluationIntervalSeconds: number;
  sampleSize: number;
  latencyDegradationFactor: number;
  thresholds: AutoSwitchThresholds;
}

/**
 * A manual gate in `spec.rollout.steps`: the switch waits there for a `promote` control request
 * (src/api/control-request.ts), like Argo Rollouts' `pause: {}` step. A string, because a
 * structural CRD schema lets a list item be an integer or a string (`x-kubernetes-int-or-string`)
 * but not an integer or an object.
 */
export const PAUSE_STEP = 'pause';

/** One item of `spec.rollout.steps`: a percentage of members routed over the new overlay, or a gate. */
export type RolloutStep = number | typeof PAUSE_STEP;

/** The phased switch. */
export interface RolloutSettings {
  steps: RolloutStep[];
  stepVerificationSeconds: number;
  progressDeadlineSeconds: number;
  autoRollback: boolean;
  maxLatencyFactor: number;
}

/** Reference to the Secret holding the shared token peers and the operator authenticate with. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

/** How the operator reaches the sidecars. */
export interface SidecarSettings {
  port: number;
  tokenSecretRef?: SecretKeyRef;
}

/** How pod readiness maps to overlay membership (src/operator/reconcile/members.ts). */
export interface MemberReadinessSettings {
  /** How long a member whose pod turned NotReady stays in the overlay while its sidecar still answers. */
  notReadyGraceSeconds: number;
}

/** The spec after defaulting: what the API server stores and the engines consume. */
export interface ResolvedSpec {
  selector: LabelSelector;
  mode: Mode;
  topology?: OverlayKind;
  workload: Workload;
  paused: boolean;
  overlays: OverlaySettings;
  autoSwitch: AutoSwitchSettings;
  rollout: RolloutSettings;
  sidecar: SidecarSettings;
  memberReadiness: MemberReadinessSettings;
  historyLimit: number;
  /** Pod label keys whose values every member carries as tags (App API v2: Members, WatchMembers). */
  memberTags: string[];
}

/** The spec as a user writes it: everything but the selector may be omitted. */
export interface ClusterTopologySpec {
  selector: LabelSelector;
  mode?: Mode;
  topology?: OverlayKind;
  workload?: Workload;
  paused?: boolean;
  overlays?: {
    hyParView?: Partial<HyParViewSettings>;
    clientServer?: Partial<ClientServerSettings>;
    pubSub?: Partial<PubSubSettings>;
  };
  autoSwitch?: Partial<Omit<AutoSwitchSettings, 'thresholds'>> & { thresholds?: Partial<AutoSwitchThresholds> };
  rollout?: Partial<RolloutSettings>;
  sidecar?: { port?: number; tokenSecretRef?: { name: string; key?: string } };
  memberReadiness?: Partial<MemberReadinessSettings>;
  historyLimit?: number;
  memberTags?: string[];
}

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Member counts (`status.members`). */
export interface MemberCounts {
  total: number;
  ready: number;
  onTarget: number;
}

/** The switch attempt in flight, or the most recent one (`status.rollout`). */
export interface RolloutStatus {
  stage: Stage;
  from?: OverlayKind;
  to: OverlayKind;
  epoch: number;
  trigger: Trigger;
  generation?: number;
  stepIndex: number;
  stepPercent: number;
  startedAt: string;
  stepStartedAt: string;
  verificationStartedAt?: string;
  finishedAt?: string;
  baselineLatencyP99Ms?: number;
  reason?: string;
  message?: string;
  /**
   * 1-based index in `spec.rollout.steps` of the gate (`pause`) the switch waits at for a
   * promote; absent when it waits at none.
   */
  gateStep?: number;
  /** 1-based index in `spec.rollout.steps` of the last gate promoted in this switch (0: none yet). */
  promotedStep?: number;
}

/** Overlay health sampled from the sidecars (the seed's performance_metrics). */
export interface TopologyMetrics {
  nodeCount: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  connectivityScore?: number;
  partitionCount?: number;
  connectionsPerNode?: number;
  bytesPerSecond?: number;
  maxQueueLength?: number;
  hops?: number;
  sampledAt?: string;
}

/** What the rule engine would choose now (the seed's analyze_performance). */
export interface RecommendationStatus {
  topology: OverlayKind;
  trigger?: Trigger;
  workload?: Workload;
  reasons: string[];
}

/** One finished switch attempt. */
export interface HistoryEntry {
  time: string;
  from?: OverlayKind;
  to: OverlayKind;
  trigger: Trigger;
  result: SwitchResult;
  reason: string;
  durationSeconds: number;
  epoch: number;
}

/** How the operator disposed of a control request. */
export const CONTROL_RESULTS = ['Applied', 'Ignored'] as const;
/** One of {@link CONTROL_RESULTS}. */
export type ControlResult = (typeof CONTROL_RESULTS)[number];

/**
 * The control request the operator consumed last (`status.lastControlRequest`): a value of the
 * control annotation equal to `value` is not acted on again.
 */
export interface ControlRequestStatus {
  /** The annotation's value, verbatim. */
  value: string;
  /** Its action, when the value parsed. */
  action?: 'abort' | 'retry' | 'promote';
  /** The epoch it applied to (Applied), or was meant for. */
  epoch?: number;
  result: ControlResult;
  message: string;
  time: string;
}

/**
 * A switch aborted by a control request (`status.abortedTarget`): it is not started again while
 * `spec` stays at `generation`, until a retry clears it.
 */
export interface AbortedTarget {
  topology: OverlayKind;
  epoch: number;
  /** metadata.generation when it was aborted: any later spec change clears the memory. */
  generation: number;
  time: string;
}

/** `status` of a ClusterTopology. */
export interface ClusterTopologyStatus {
  observedGeneration?: number;
  phase?: Phase;
  currentTopology?: OverlayKind;
  targetTopology?: OverlayKind;
  epoch?: number;
  members?: MemberCounts;
  rollout?: RolloutStatus;
  metrics?: TopologyMetrics;
  recommendation?: RecommendationStatus;
  lastSwitchTime?: string;
  lastEvaluationTime?: string;
  history?: HistoryEntry[];
  lastControlRequest?: ControlRequestStatus;
  abortedTarget?: AbortedTarget;
  conditions?: Condition[];
}

/** The whole resource, as read from the API server. */
export interface ClusterTopology {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    generation?: number;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec: ClusterTopologySpec;
  status?: ClusterTopologyStatus;
}
