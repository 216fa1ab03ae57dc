/**
 * The behaviour tables users need next to the field reference, as Markdown sections that
 * `npm run docs:crd` appends to docs/crd-reference.md. They are the same constants the rule
 * modules document themselves with, so the reference cannot drift from the code either.
 */
import { SWITCH_DECISION_TABLE } from './decide-switch.js';
import { SIZE_RULES_TABLE } from './size-rules.js';
import { WORKLOAD_PROFILES_TABLE } from './workload-profiles.js';

/** A titled Markdown section. */
export interface DocSection {
  title: string;
  body: string;
}

/** The sections, in order. */
export const RULE_DOC_SECTIONS: readonly DocSection[] = [
  {
    title: 'Automatic switching: the size and metric rules (Balanced workload)',
    body: `n is the number of ready members (status.metrics.nodeCount); thresholds come from spec.autoSwitch.thresholds and hysteresis from hysteresisPercent.\n${SIZE_RULES_TABLE}`,
  },
  {
    title: 'Workload profiles (spec.workload)',
    body: `A change of spec.workload is evaluated at once and is not subject to the cooldown (trigger Workload).\n${WORKLOAD_PROFILES_TABLE}`,
  },
  { title: 'When a switch starts', body: SWITCH_DECISION_TABLE },
  {
    title: 'The phased switch (status.rollout)',
    body: `
Each switch stages a new epoch (never reused). Stages of status.rollout.stage:

| stage | what happens | passes when |
|---|---|---|
| Preparing | every ready member prepares the new overlay beside the active one | all acknowledged, graph connected, probes delivered (no health window: no traffic uses the new overlay yet; a verification that misses is repeated until progressDeadlineSeconds, except for lost members) |
| Routing (step i) | the first ceil(steps[i] × n / 100) ready members **by pod name** send over the new overlay | as Preparing, plus p99 latency ≤ maxLatencyFactor × the p99 measured before the switch |
| Committing | every member commits the new epoch; the old one drains | all acknowledged (never rolled back; Stalled if later than progressDeadlineSeconds) |
| RollingBack | every member routes back to the committed epoch and drops the new one | all acknowledged; history result RolledBack |
| Failed | a step failed with autoRollback false: frozen at that step (Stalled) | a spec change retries the step, or reverts / supersedes it |

Each stage must pass within progressDeadlineSeconds of its start. A pod that joins mid-switch is first given the committed epoch, then prepared and routed by its place in name order. A new Manual or Workload target during Preparing, Routing or Failed supersedes the switch (history result Superseded) and starts a new one from the committed topology; setting spec.topology back to the committed one rolls back (history trigger Rollback). While spec.paused, nothing moves except new pods joining the committed epoch.
`,
  },
];
