/**
 * The behaviour tables users need next to the field reference, as Markdown sections that
 * `npm run docs:crd` appends to docs/crd-reference.md. They are the same constants the rule
 * modules document themselves with, so the reference cannot drift from the code either.
 */
import { ANNOTATIONS } from '../../api/constants.js';
import { MAX_EPOCH_JUMP } from '../../api/epoch-bound.js';
import { SWITCH_DECISION_TABLE } from './decide-switch.js';
import { ROLLBACK_BACKOFF_BASE_SECONDS, ROLLBACK_BACKOFF_MAX_SECONDS } from './rollback-backoff.js';
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
  {
    title: 'When a switch starts',
    body: `${SWITCH_DECISION_TABLE}
The back-off after rolled-back automatic switches (reason RollbackBackoff): n is the number of automatic switches at the end of status.history that ended RolledBack in a row; the next automatic switch waits max(cooldownSeconds, min(${ROLLBACK_BACKOFF_MAX_SECONDS}, ${ROLLBACK_BACKOFF_BASE_SECONDS} × 2^(n−1))) seconds after status.lastSwitchTime (${ROLLBACK_BACKOFF_BASE_SECONDS} s, ${2 * ROLLBACK_BACKOFF_BASE_SECONDS} s, ${4 * ROLLBACK_BACKOFF_BASE_SECONDS} s, … ${ROLLBACK_BACKOFF_MAX_SECONDS} s), so cooldownSeconds 0 cannot make a switch/rollback loop. A successful switch, or any switch of another trigger, ends the run; n is at most spec.historyLimit.
`,
  },
  {
    title: 'Pods left out of the overlay',
    body: `
| reason | when | what happens |
|---|---|---|
| SelectorOverlap | the pod is also selected by another ClusterTopology of the namespace created earlier (by creationTimestamp, then name) | the earlier one manages it; this one does not observe, configure, count or finalize it. When the earlier one is deleted, or its selector no longer matches, this one takes the pod over |
| UntrustedEpoch | the pod's sidecar reports an epoch more than MAX_EPOCH_JUMP (${MAX_EPOCH_JUMP}) above status.epoch and status.rollout.epoch | its epochs are ignored (the next switch is numbered from the others) and it is not prepared, routed, verified nor given to the others as a peer, until it reports sane epochs again (a restarted pod starts with none) |

Either way the switch goes on with the other members; Stalled=True with that reason names the pods (and, for SelectorOverlap, the other ClusterTopology); Ready=False with that reason unless a switch or join is in flight; phase Degraded instead of Ready; one Warning Event with that reason when the set of pods left out changes.
`,
  },
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
| Failed | a step failed with autoRollback false: frozen at that step (Stalled) | a spec change or a retry request retries the step; a revert, a new target or an abort request ends it |

Each stage must pass within progressDeadlineSeconds of its start. A pod that joins mid-switch is first given the committed epoch, then prepared and routed by its place in name order. A new Manual or Workload target during Preparing, Routing or Failed supersedes the switch (history result Superseded) and starts a new one from the committed topology; setting spec.topology back to the committed one rolls back (history trigger Rollback). While spec.paused, nothing moves except new pods joining the committed epoch.

A gate, an item "pause" of spec.rollout.steps (Argo Rollouts' \`pause: {}\`), stops the switch once the stage before it passed: phase Paused, conditions Ready/Reconciling/Stalled False with reason AwaitingPromotion, status.rollout.gateStep its 1-based index. It has no deadline and no health window; members that join are still brought to the step. A promote request moves past it (status.rollout.promotedStep). First in the list it waits with the new overlay prepared and no traffic moved; after 100 it holds the commit.
`,
  },
  {
    title: 'Control requests: abort, retry, promote (GitOps-safe)',
    body: `
They are written to the annotation ${ANNOTATIONS.control} (by \`kubectl topology abort|retry|promote\`, an Argo CD resource action, or \`kubectl annotate\`), never to spec, so a GitOps sync of the spec cannot undo them. The value is \`action=abort|retry|promote[,target-epoch=N][,id=TEXT]\`; target-epoch names the switch meant (status.rollout.epoch), and a request for another epoch is ignored. The operator acts on each value once and records it in status.lastControlRequest (value, action, epoch, result Applied or Ignored, message, time); an equal value is not acted on again, so write a new id to repeat a request. While spec.paused, requests wait and are consumed on resume.

| request | state of status.rollout | effect |
|---|---|---|
| abort | Preparing, Routing (also at a gate), Failed | RollingBack at once, then RolledBack; status.abortedTarget {topology, epoch, generation, time} keeps it from starting again (phase Degraded, Stalled=True reason Aborted), whatever the mode or trigger |
| abort | RollingBack, or already RolledBack | status.abortedTarget is set: not started again |
| abort | Committing | Ignored: past the point of no return |
| retry | RolledBack | status.abortedTarget cleared; the same target starts again at once with a new epoch (no spec change, no cooldown). In Manual mode only while spec.topology still names it |
| retry | Failed | the failed stage starts again |
| promote | waiting at a gate | the next step (or Committing) |
| any | anything else, or an unparsable value | Ignored; a Warning Event ControlRequestIgnored says why |

status.abortedTarget is also cleared by any spec change (metadata.generation), as a rolled-back Manual switch is retried after one.
`,
  },
];
