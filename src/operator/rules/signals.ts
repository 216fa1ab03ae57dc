/**
 * Turns sampled metrics into the yes/no signals the seed's §4 rules are written in ("latency >
 * threshold", "connectivity_score < threshold_min_conn", ...), each with a reason that cites the
 * numbers, so `status.recommendation.reasons` explains itself.
 *
 * A metric that was not sampled raises no signal: the rules then act on size alone.
 */
import type { AutoSwitchSettings, TopologyMetrics } from '../../api/types.js';

/** Raised signals, each as its human-readable reason; absent when not raised. */
export interface Signals {
  latencyHigh?: string;
  connectivityLow?: string;
  partitionsHigh?: string;
  connectionLoadHigh?: string;
  congested?: string;
  bandwidthHigh?: string;
  hopsHigh?: string;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** Evaluates every signal of `metrics` against the thresholds of `auto`. */
export function readSignals(metrics: TopologyMetrics, auto: AutoSwitchSettings): Signals {
  const t = auto.thresholds;
  const s: Signals = {};
  const { latencyP50Ms: p50, latencyP99Ms: p99 } = metrics;
  if (p99 !== undefined && p99 > t.maxLatencyMs) s.latencyHigh = `latencyP99Ms ${fmt(p99)} > maxLatencyMs ${t.maxLatencyMs}`;
  else if (p99 !== undefined && p50 !== undefined && p50 > 0 && p99 > auto.latencyDegradationFactor * p50) {
    s.latencyHigh = `latencyP99Ms ${fmt(p99)} > latencyDegradationFactor ${fmt(auto.latencyDegradationFactor)} × latencyP50Ms ${fmt(p50)}`;
  }
  if (metrics.connectivityScore !== undefined && metrics.connectivityScore < t.minConnectivity) {
    s.connectivityLow = `connectivityScore ${fmt(metrics.connectivityScore)} < minConnectivity ${fmt(t.minConnectivity)}`;
  }
  if (metrics.partitionCount !== undefined && metrics.partitionCount > t.maxPartitionsPerHour) {
    s.partitionsHigh = `partitionCount ${metrics.partitionCount}/h > maxPartitionsPerHour ${t.maxPartitionsPerHour}`;
  }
  if (metrics.connectionsPerNode !== undefined && metrics.connectionsPerNode > t.maxConnectionsPerNode) {
    s.connectionLoadHigh = `connectionsPerNode ${fmt(metrics.connectionsPerNode)} > maxConnectionsPerNode ${t.maxConnectionsPerNode}`;
  }
  if (metrics.maxQueueLength !== undefined && metrics.maxQueueLength > t.maxQueueLength) {
    s.congested = `maxQueueLength ${metrics.maxQueueLength} > maxQueueLength threshold ${t.maxQueueLength}`;
  }
  if (metrics.bytesPerSecond !== undefined && metrics.bytesPerSecond > t.maxBytesPerSecondPerNode) {
    s.bandwidthHigh = `bytesPerSecond ${fmt(metrics.bytesPerSecond)} per member > maxBytesPerSecondPerNode ${t.maxBytesPerSecondPerNode}`;
  }
  if (metrics.hops !== undefined && metrics.hops > t.maxHops) s.hopsHigh = `hops ${fmt(metrics.hops)} > maxHops ${t.maxHops}`;
  return s;
}
