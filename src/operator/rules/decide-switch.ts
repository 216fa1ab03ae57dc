/**
 * Whether to start a switch now: the seed's `handle_call({:switch_topology, t, type})` guard ladder
 * (already current, cooldown for automatic switches) extended with pause, in-flight rollouts and
 * failed switches awaiting a spec change. Pure: the caller passes `now` and the generation.
 *
 * The table is SWITCH_DECISION_TABLE below (also rendered into docs/crd-reference.md).
 *
 * Manual and Workload triggers ignore the cooldown (DESIGN.md: workload changes are evaluated at
 * once); so does the very first overlay. Automatic switches also wait out the back-off after
 * rolled-back automatic switches (rollback-backoff.ts), so that `cooldownSeconds: 0` cannot make a
 * switch/rollback loop.
 */
import { inFlight, isoSeconds, secondsSince } from '../../api/status.js';
import type { ClusterTopologyStatus, OverlayKind, ResolvedSpec, Trigger } from '../../api/types.js';
import type { Recommendation } from './recommendation.js';
import { consecutiveAutoRollbacks, ROLLBACK_BACKOFF_BASE_SECONDS, ROLLBACK_BACKOFF_MAX_SECONDS, rollbackBackoffSeconds } from './rollback-backoff.js';

/** Why nothing is started. */
export type NoSwitchReason = 'Paused' | 'NoRecommendation' | 'RolloutInProgress' | 'AlreadyCurrent' | 'AwaitingSpecChange' | 'Aborted';

/** The outcome of {@link decideSwitch}. */
export type SwitchDecision =
  | { kind: 'switch'; to: OverlayKind; trigger: Trigger; reasons: string[]; supersedes?: OverlayKind }
  | {
      kind: 'hold';
      /** What holds it: the cooldown, or the back-off after `rolledBack` automatic switches rolled back in a row (the longer of the two). */
      cause: 'Cooldown' | 'RollbackBackoff';
      to: OverlayKind;
      trigger: Trigger;
      reasons: string[];
      until: string;
      remainingSeconds: number;
      rolledBack: number;
    }
  | { kind: 'none'; reason: NoSwitchReason; message: string };

/**
 * True when the last switch was rolled back and a retry request of it was applied since
 * (src/operator/rollout/control.ts records it in `status.lastControlRequest`): the same target
 * then starts again, though the spec has not changed.
 */
export function retryRequested(status: ClusterTopologyStatus): boolean {
  const last = status.rollout;
  const req = status.lastControlRequest;
  return last !== undefined && last.stage === 'RolledBack' && req?.action === 'retry' && req.result === 'Applied' && req.epoch === last.epoch;
}

/** The target the spec asks for, before any guard. */
function desired(
  spec: ResolvedSpec,
  status: ClusterTopologyStatus,
  rec: Recommendation | undefined,
): { to: OverlayKind; trigger: Trigger; reasons: string[] } | undefined {
  if (spec.mode === 'Manual')
    return spec.topology === undefined ? undefined : { to: spec.topology, trigger: 'Manual', reasons: [`spec.topology is ${spec.topology}`] };
  if (status.currentTopology === undefined && inFlight(status) === undefined && spec.topology !== undefined) {
    return { to: spec.topology, trigger: 'Manual', reasons: [`initial topology from spec.topology ${spec.topology}`] };
  }
  return rec === undefined ? undefined : { to: rec.topology, trigger: rec.trigger, reasons: rec.reasons };
}

/**
 * Decides whether a switch to the spec's target (Manual) or the recommendation (Auto) starts now.
 * `generation` is metadata.generation: a switch that was rolled back is retried only once the spec
 * has changed since it started.
 */
export function decideSwitch(
  spec: ResolvedSpec,
  status: ClusterTopologyStatus,
  recommendation: Recommendation | undefined,
  now: Date,
  generation?: number,
): SwitchDecision {
  if (spec.paused) return { kind: 'none', reason: 'Paused', message: 'spec.paused is true' };
  const want = desired(spec, status, recommendation);
  if (want === undefined) return { kind: 'none', reason: 'NoRecommendation', message: 'no target topology yet (Auto mode waits for the first evaluation)' };
  const current = status.currentTopology;
  const flying = inFlight(status);
  if (flying !== undefined) {
    if (want.to === flying.to || want.trigger === 'Auto') {
      return { kind: 'none', reason: 'RolloutInProgress', message: `a switch to ${flying.to} is in flight (${flying.stage})` };
    }
    if (flying.stage === 'Committing' || flying.stage === 'RollingBack') {
      return {
        kind: 'none',
        reason: 'RolloutInProgress',
        message: `a switch to ${flying.to} is ${flying.stage === 'Committing' ? 'committing' : 'rolling back'}; ${want.to} follows when it ends`,
      };
    }
    return { kind: 'switch', to: want.to, trigger: want.trigger, reasons: want.reasons, supersedes: flying.to };
  }
  if (want.to === current) return { kind: 'none', reason: 'AlreadyCurrent', message: `${current} is already the committed topology` };
  const last = status.rollout;
  const aborted = status.abortedTarget;
  if (aborted !== undefined && aborted.topology === want.to && generation !== undefined && aborted.generation === generation) {
    return {
      kind: 'none',
      reason: 'Aborted',
      message: `the switch to ${want.to} (epoch ${aborted.epoch}) was aborted by a control request; it starts again after a retry request (kubectl topology retry) or a spec change`,
    };
  }
  // A retry request (control.ts) starts the rolled-back target again at once: no spec change, no cooldown.
  if (last !== undefined && last.to === want.to && retryRequested(status)) {
    return { kind: 'switch', to: want.to, trigger: want.trigger, reasons: [...want.reasons, `retry of epoch ${last.epoch} requested`] };
  }
  if (
    last !== undefined &&
    want.trigger !== 'Auto' &&
    last.to === want.to &&
    (last.stage === 'RolledBack' || last.stage === 'Failed') &&
    generation !== undefined &&
    last.generation === generation
  ) {
    return {
      kind: 'none',
      reason: 'AwaitingSpecChange',
      message: `the switch to ${want.to} was rolled back (${last.reason ?? 'no reason recorded'}); change the spec to retry`,
    };
  }
  if (current !== undefined && want.trigger === 'Auto' && status.lastSwitchTime !== undefined) {
    const rolledBack = consecutiveAutoRollbacks(status.history ?? []);
    const backoff = rollbackBackoffSeconds(rolledBack);
    const wait = Math.max(spec.autoSwitch.cooldownSeconds, backoff);
    const remaining = wait - secondsSince(status.lastSwitchTime, now);
    if (remaining > 0) {
      const until = isoSeconds(Date.parse(status.lastSwitchTime) + wait * 1000);
      const cause = backoff > spec.autoSwitch.cooldownSeconds ? 'RollbackBackoff' : 'Cooldown';
      return { kind: 'hold', cause, to: want.to, trigger: want.trigger, reasons: want.reasons, until, remainingSeconds: Math.ceil(remaining), rolledBack };
    }
  }
  return { kind: 'switch', to: want.to, trigger: want.trigger, reasons: want.reasons };
}

/** When a switch starts, is held or is skipped, as a table. Markdown, rendered into docs/crd-reference.md by `npm run docs:crd`. */
export const SWITCH_DECISION_TABLE = `
| situation                                              | decision                                    |
|--------------------------------------------------------|---------------------------------------------|
| spec.paused                                            | none (Paused)                               |
| no target (Auto, nothing recommended yet)              | none (NoRecommendation)                     |
| a switch in flight, target unchanged or Auto trigger   | none (RolloutInProgress)                    |
| in flight, committing or rolling back                  | none (RolloutInProgress): finish first      |
| in flight (preparing/routing/failed), new Manual or Workload target | switch, superseding the in-flight one (back to the committed one: a rollback) |
| target already committed                               | none (AlreadyCurrent)                       |
| target aborted by a control request at this generation (status.abortedTarget) | none (Aborted), any trigger |
| target rolled back, a retry request applied since      | switch at once (no cooldown, no spec change) |
| same target rolled back/failed at this generation      | none (AwaitingSpecChange) unless Auto       |
| Auto trigger within cooldownSeconds of lastSwitchTime  | hold until the cooldown ends                |
| Auto trigger after n Auto switches rolled back in a row | hold for max(cooldownSeconds, min(${ROLLBACK_BACKOFF_MAX_SECONDS}, ${ROLLBACK_BACKOFF_BASE_SECONDS} × 2^(n−1))) s after lastSwitchTime (RollbackBackoff), even with cooldownSeconds 0 |
| otherwise                                              | switch                                      |
`;
