/**
 * The rule engine's entry point (the seed's `determine_optimal_topology` + `analyze_performance`):
 * a pure function of the spec, the committed topology and the sampled metrics.
 */
import type { OverlayKind, ResolvedSpec, TopologyMetrics, Workload } from '../../api/types.js';
import type { Recommendation } from './recommendation.js';
import { readSignals } from './signals.js';
import { workloadChoice } from './workload-profiles.js';

/**
 * Recommends a topology for `metrics.nodeCount` members currently running `current` (undefined
 * before the first overlay). `previousWorkload` is the workload of the previous evaluation
 * (`status.recommendation.workload`): when `spec.workload` differs from it, the
 * recommendation is a Workload trigger, exempt from the cooldown.
 */
export function recommendTopology(spec: ResolvedSpec, current: OverlayKind | undefined, metrics: TopologyMetrics, previousWorkload?: Workload): Recommendation {
  const n = metrics.nodeCount;
  const signals = readSignals(metrics, spec.autoSwitch);
  const choice = workloadChoice(spec, spec.workload, current, n, signals);
  const workloadChanged = previousWorkload !== undefined && previousWorkload !== spec.workload;
  const trigger = workloadChanged && choice.topology !== current ? 'Workload' : 'Auto';
  const reasons = workloadChanged ? [`spec.workload changed from ${previousWorkload} to ${spec.workload}`, ...choice.reasons] : choice.reasons;
  return { topology: choice.topology, trigger, reasons };
}
