/**
 * The pure rule engine of automatic switching (seed §4): recommendation and switch decision.
 */
export { recommendTopology } from './recommend-topology.js';
export type { Recommendation } from './recommendation.js';
export { readSignals, type Signals } from './signals.js';
export { balancedChoice, initialBySize, canDesignateServers } from './size-rules.js';
export { workloadChoice } from './workload-profiles.js';
export { decideSwitch, inFlight, isoSeconds, secondsSince, IN_FLIGHT_STAGES, type SwitchDecision, type NoSwitchReason } from './decide-switch.js';
export { metricsSample } from './metrics-sample.js';
export { RULE_DOC_SECTIONS, type DocSection } from './doc-sections.js';
