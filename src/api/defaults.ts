/**
 * Every default of the ClusterTopology spec, with where it comes from.
 *
 * This object is the single truth: `crd-schema.ts` writes each value into the CRD as the field's
 * `default:` (so the API server applies it on admission) and {@link applyDefaults} applies the same
 * schema to specs that never went through an API server (the CLI's `simulate`, unit tests, the
 * operator's defence against objects stored before a default existed).
 */
import type { AutoSwitchSettings, Mode, OverlaySettings, RolloutSettings, Workload } from './types.js';
import { DEFAULT_HYPARVIEW_CONFIG } from '../overlays/hyparview-config.js';
import { DEFAULT_PLUMTREE_CONFIG } from '../overlays/plumtree.js';

/** Defaults of the spec's top-level scalars. */
export const SPEC_DEFAULTS: { mode: Mode; workload: Workload; paused: boolean; historyLimit: number; memberTags: readonly string[] } = {
  /** DESIGN.md: the user picks the topology unless they opt into automatic switching. */
  mode: 'Manual',
  /** DESIGN.md: no workload-specific preference; the seed's size- and metric-based rules apply. */
  workload: 'Balanced',
  /** Not paused: rollouts and automatic switching run. */
  paused: false,
  /** Kubebuilder's cronjob sample keeps a bounded history; 20 switches ≈ a day at a 300 s cooldown with churn. Max 100 (schema). */
  historyLimit: 20,
  /** No pod label is a tag unless named: labels can hold what the apps of other teams should not see. */
  memberTags: [],
};

/**
 * Per-overlay defaults. `clientServer.serverSelector` has none: by default servers are chosen by
 * ordinal. The HyParView and Plumtree parameters are the overlay engine's own defaults
 * (src/overlays/hyparview-config.ts, plumtree.ts, where each cites its source or measurement), so
 * what a deployment runs is what the simulator and the benchmarks measured.
 */
export const OVERLAY_DEFAULTS: { hyParView: OverlaySettings['hyParView']; clientServer: { servers: number }; pubSub: OverlaySettings['pubSub'] } = {
  hyParView: {
    activeViewSize: DEFAULT_HYPARVIEW_CONFIG.activeViewSize,
    passiveViewSize: DEFAULT_HYPARVIEW_CONFIG.passiveViewSize,
    activeRandomWalkLength: DEFAULT_HYPARVIEW_CONFIG.activeRandomWalkLength,
    passiveRandomWalkLength: DEFAULT_HYPARVIEW_CONFIG.passiveRandomWalkLength,
    shuffleIntervalSeconds: DEFAULT_HYPARVIEW_CONFIG.shuffleIntervalMs / 1000,
    shuffleActive: DEFAULT_HYPARVIEW_CONFIG.shuffleActive,
    shufflePassive: DEFAULT_HYPARVIEW_CONFIG.shufflePassive,
  },
  clientServer: {
    /** Seed §3 says servers must be designated; 3 is the smallest count that survives one failure with a majority. Wild guess otherwise. */
    servers: 3,
  },
  pubSub: {
    lazyPushDelayMs: DEFAULT_PLUMTREE_CONFIG.lazyPushDelayMs,
    graftTimeoutMs: DEFAULT_PLUMTREE_CONFIG.graftTimeoutMs,
    optimizationThreshold: DEFAULT_PLUMTREE_CONFIG.optimizationThreshold,
  },
};

/** Automatic-switching defaults. */
export const AUTO_SWITCH_DEFAULTS: AutoSwitchSettings = {
  /** Seed §2: `switch_cooldown` 300_000 ms (5 minutes). */
  cooldownSeconds: 300,
  /** Seed §2: `:monitor_performance` every 60_000 ms. */
  evaluationIntervalSeconds: 60,
  /** Seed §6 (metrics at scale need sampling): probe at most 100 members per evaluation. Wild guess. */
  sampleSize: 100,
  /** Latency counts as high when p99 > factor × p50 even under maxLatencyMs (a heavy multi-hop tail). Wild guess: 2. */
  latencyDegradationFactor: 2,
  thresholds: {
    /** Seed §4 and determine_initial_topology: full mesh below 10 nodes. */
    smallClusterMaxNodes: 10,
    /** Seed §4: leave the full mesh above 20 nodes. */
    largeClusterMinNodes: 20,
    /** Seed §4: client-server above 1000 nodes. */
    clientServerMinNodes: 1000,
    /** Seed §4 `threshold_low_node_latency`, unspecified there. Wild guess: 50 ms p99 on a LAN-scale cluster. */
    maxLatencyMs: 50,
    /** Seed §4 `threshold_min_conn`, unspecified there: 95 % of ready members in the largest component. Wild guess. */
    minConnectivity: 0.95,
    /** Seed §4 `threshold_partition_freq`, unspecified there. Wild guess: 2 partition events per hour. */
    maxPartitionsPerHour: 2,
    /** Seed §4 "bandwidth_utilization > critical": 10 MiB/s per member. Wild guess. */
    maxBytesPerSecondPerNode: 10485760,
    /** Seed §4 `max_hops`: HyParView with fanout 5 needs ~log5(1000) ≈ 4.3 hops; twice that is too many. */
    maxHops: 8,
    /** Seed §4 "cpu_load_due_to_connections > high": 16 links per member (a full mesh of 17). Wild guess. */
    maxConnectionsPerNode: 16,
    /** Seed §5 queue lengths as congestion: 1000 queued messages on any link. Wild guess. */
    maxQueueLength: 1000,
    /** Seed §4 cooldown rationale (no oscillation): size thresholds are crossed back only 10 % below. Wild guess. */
    hysteresisPercent: 10,
  },
};

/** Phased-switch defaults. */
export const ROLLOUT_DEFAULTS: RolloutSettings = {
  /** DESIGN.md: canary 10 %, then half, then everyone. */
  steps: [10, 50, 100],
  /** DESIGN.md: a 10 s health window per step. */
  stepVerificationSeconds: 10,
  /** DESIGN.md: 300 s, like a Deployment's progressDeadlineSeconds default (600) halved for overlays that form in seconds. */
  progressDeadlineSeconds: 300,
  /** DESIGN.md: roll back on failure. */
  autoRollback: true,
  /** p99 latency during a step may be at most 1.5 × the baseline before the switch. Wild guess. */
  maxLatencyFactor: 1.5,
};

/** The sidecar's Control/Peer gRPC port: the CRD's `spec.sidecar.port` default and the sidecar's own `--peer-port` default. */
export const DEFAULT_SIDECAR_PORT = 7070;

/**
 * Member readiness defaults. 30 s: long enough to ride out a readiness probe that fails for
 * seconds on a loaded node (the chart's probe: every 2 s, NotReady after 3 misses), shorter than
 * the kube-controller-manager's node-monitor-grace-period (40–50 s) before a silent node's pods
 * are marked NotReady. A member whose sidecar stops answering leaves at once, whatever the grace.
 */
export const MEMBER_READINESS_DEFAULTS: { notReadyGraceSeconds: number } = {
  notReadyGraceSeconds: 30,
};

/** Sidecar defaults. */
export const SIDECAR_DEFAULTS: { port: number; tokenKey: string } = {
  /** The sidecar's Control/Peer gRPC port; a pod annotation overrides it (ANNOTATIONS.sidecarPort). */
  port: DEFAULT_SIDECAR_PORT,
  /** Key inside the token Secret, like most `*KeyRef`s in Kubernetes. */
  tokenKey: 'token',
};
