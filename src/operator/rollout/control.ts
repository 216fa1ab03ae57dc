/**
 * Control requests (abort, retry, promote), consumed from the control annotation
 * (src/api/control-request.ts) and never from `spec`, so a GitOps sync cannot undo them.
 *
 * Pure and level-based, like the rest of the planner: `acceptControl` looks at the annotation's
 * value and the status, and returns the status with the request's mark on it. A value is acted on
 * once: `status.lastControlRequest.value` records it, and an equal value is left alone on every
 * later reconcile (nothing else is remembered, so an operator restart changes nothing). Requests
 * wait while `spec.paused` is true (nothing moves while paused), and are consumed on resume.
 *
 * | request | state                                        | effect                                               |
 * |---------|----------------------------------------------|------------------------------------------------------|
 * | abort   | Preparing, Routing (a gate too), Failed      | RollingBack now; `status.abortedTarget` remembers it  |
 * | abort   | RollingBack, or RolledBack (it lost a race)  | `status.abortedTarget` remembers it: not restarted    |
 * | abort   | Committing                                   | Ignored: past the point of no return                 |
 * | retry   | Failed (autoRollback false)                  | the failed stage starts again                        |
 * | retry   | RolledBack (aborted or failed)               | memory cleared; the same target starts again at once (decide-switch.ts), cooldown aside |
 * | promote | waiting at a gate (`pause` in steps)         | past the gate: the next step (plan-rollout.ts)       |
 * | any     | another epoch than target-epoch, or nothing to act on, or unparsable | Ignored, with a Warning Event saying why |
 *
 * `status.abortedTarget` is dropped by a retry and by any spec change (metadata.generation), the
 * same rule that lets a rolled-back Manual switch start again.
 */
import { REASONS } from '../../api/constants.js';
import { MAX_CONTROL_VALUE_LENGTH, parseControlRequest, type ControlRequest } from '../../api/control-request.js';
import { inFlight, isoSeconds } from '../../api/status.js';
import type { ClusterTopologyStatus, ControlRequestStatus, ResolvedSpec, RolloutStatus } from '../../api/types.js';
import type { PlannedEvent } from './types.js';

/** Everything {@link acceptControl} looks at. */
export interface ControlInput {
  /** The control annotation's value; absent when the resource has none. */
  value: string | undefined;
  spec: ResolvedSpec;
  generation: number;
  status: ClusterTopologyStatus;
  now: Date;
}

/** The outcome: the status to plan from, the Events, and whether the rollout must pass its gate. */
export interface ControlOutcome {
  status: ClusterTopologyStatus;
  events: PlannedEvent[];
  /** A promote was applied: the planner moves the switch past its gate (plan-rollout.ts). */
  promote: boolean;
}

/** The value as it is recorded (the schema bounds its length): what a later value is compared with. */
function recorded(value: string): string {
  return value.length <= MAX_CONTROL_VALUE_LENGTH ? value : value.slice(0, MAX_CONTROL_VALUE_LENGTH);
}

/** True when `value` is the request recorded in `status` (already consumed). */
export function controlConsumed(value: string, status: ClusterTopologyStatus): boolean {
  return status.lastControlRequest?.value === recorded(value);
}

type Verdict = { applied: true; message: string; epoch: number } | { applied: false; message: string; epoch?: number };

/** The last switch, for messages. */
function describeLast(r: RolloutStatus | undefined): string {
  return r === undefined ? 'no switch has run' : `the last switch, to ${r.to} (epoch ${r.epoch}), is ${r.stage}`;
}

/** Consumes the control annotation's value, if it is new; see the file comment. */
export function acceptControl(input: ControlInput): ControlOutcome {
  let status = input.status;
  // The abort memory lasts only while the spec is the one it was aborted at.
  if (status.abortedTarget !== undefined && status.abortedTarget.generation !== input.generation) {
    status = { ...status };
    delete status.abortedTarget;
  }
  const { value, now } = input;
  if (value === undefined || input.spec.paused || controlConsumed(value, status)) return { status, events: [], promote: false };

  const parsed = parseControlRequest(value);
  const next: ClusterTopologyStatus = JSON.parse(JSON.stringify(status)) as ClusterTopologyStatus;
  let promote = false;
  let verdict: Verdict;
  let request: ControlRequest | undefined;
  if (!parsed.ok) verdict = { applied: false, message: parsed.message };
  else {
    request = parsed.request;
    const r = next.rollout;
    const flying = inFlight(next);
    if (request.targetEpoch !== undefined && request.targetEpoch !== r?.epoch) {
      verdict = { applied: false, epoch: request.targetEpoch, message: `${request.action} for epoch ${request.targetEpoch} is stale: ${describeLast(r)}` };
    } else {
      switch (request.action) {
        case 'abort':
          verdict = abort(next, input, flying, r);
          break;
        case 'retry':
          verdict = retry(next, input, flying, r);
          break;
        case 'promote':
          verdict =
            flying?.gateStep !== undefined
              ? { applied: true, epoch: flying.epoch, message: `promoted past the gate at step ${flying.gateStep}` }
              : notAtGate(flying, r);
          promote = verdict.applied;
          break;
      }
    }
  }

  const mark: ControlRequestStatus = {
    value: recorded(value),
    result: verdict.applied ? 'Applied' : 'Ignored',
    message: verdict.message,
    time: isoSeconds(now),
  };
  if (request !== undefined) mark.action = request.action;
  if (verdict.epoch !== undefined) mark.epoch = verdict.epoch;
  next.lastControlRequest = mark;
  const events: PlannedEvent[] = [];
  if (!verdict.applied)
    events.push({ type: 'Warning', reason: REASONS.controlRequestIgnored, message: `control request "${value}" ignored: ${verdict.message}` });
  else if (request?.action === 'abort') events.push({ type: 'Warning', reason: REASONS.aborted, message: verdict.message });
  else if (request?.action === 'retry') events.push({ type: 'Normal', reason: REASONS.retrying, message: verdict.message });
  else events.push({ type: 'Normal', reason: REASONS.promoted, message: verdict.message });
  return { status: next, events, promote };
}

function abort(next: ClusterTopologyStatus, input: ControlInput, flying: RolloutStatus | undefined, last: RolloutStatus | undefined): Verdict {
  const remember = (r: RolloutStatus): void => {
    next.abortedTarget = { topology: r.to, epoch: r.epoch, generation: input.generation, time: isoSeconds(input.now) };
  };
  if (flying !== undefined) {
    if (flying.stage === 'Committing')
      return {
        applied: false,
        epoch: flying.epoch,
        message: `the switch to ${flying.to} (epoch ${flying.epoch}) is committing, past the point of no return; switch back once it is done`,
      };
    remember(flying);
    if (flying.stage === 'RollingBack')
      return {
        applied: true,
        epoch: flying.epoch,
        message: `the switch to ${flying.to} (epoch ${flying.epoch}) is already rolling back; it is not started again until a retry or a spec change`,
      };
    const why = `aborted by a control request at ${flying.stage === 'Preparing' ? 'preparing' : `step ${flying.stepIndex} (${flying.stepPercent}%)`}`;
    const back: RolloutStatus = {
      ...flying,
      stage: 'RollingBack',
      reason: why,
      message: `rolling back to ${next.currentTopology ?? '(none)'}: ${why}`,
      stepStartedAt: isoSeconds(input.now),
    };
    delete back.verificationStartedAt;
    delete back.gateStep;
    next.rollout = back;
    return {
      applied: true,
      epoch: flying.epoch,
      message: `switch to ${flying.to} (epoch ${flying.epoch}) ${why}; rolling back to ${next.currentTopology ?? '(none)'}, and not starting it again until a retry or a spec change`,
    };
  }
  if (last !== undefined && last.stage === 'RolledBack') {
    remember(last);
    return {
      applied: true,
      epoch: last.epoch,
      message: `the switch to ${last.to} (epoch ${last.epoch}) was already rolled back; it is not started again until a retry or a spec change`,
    };
  }
  return { applied: false, message: `no switch in flight to abort: ${describeLast(last)}` };
}

function retry(next: ClusterTopologyStatus, input: ControlInput, flying: RolloutStatus | undefined, last: RolloutStatus | undefined): Verdict {
  if (flying !== undefined) {
    if (flying.stage !== 'Failed')
      return { applied: false, epoch: flying.epoch, message: `nothing to retry: the switch to ${flying.to} (epoch ${flying.epoch}) is ${flying.stage}` };
    const resumed: RolloutStatus = {
      ...flying,
      stage: flying.stepIndex === 0 ? 'Preparing' : 'Routing',
      stepStartedAt: isoSeconds(input.now),
      message: `retrying the failed switch to ${flying.to} (a retry request)`,
    };
    delete resumed.verificationStartedAt;
    next.rollout = resumed;
    delete next.abortedTarget;
    return { applied: true, epoch: flying.epoch, message: `retrying the failed switch to ${flying.to} (epoch ${flying.epoch}) where it stopped` };
  }
  if (last === undefined || last.stage !== 'RolledBack') return { applied: false, message: `nothing to retry: ${describeLast(last)}` };
  if (input.spec.mode === 'Manual' && input.spec.topology !== last.to)
    return { applied: false, epoch: last.epoch, message: `nothing to retry: spec.topology is now ${input.spec.topology ?? '(unset)'}, not ${last.to}` };
  delete next.abortedTarget;
  return {
    applied: true,
    epoch: last.epoch,
    message: `retrying the switch to ${last.to} that was rolled back (epoch ${last.epoch}); it starts again with a new epoch`,
  };
}

function notAtGate(flying: RolloutStatus | undefined, last: RolloutStatus | undefined): Verdict {
  if (flying === undefined) return { applied: false, message: `nothing to promote: no switch in flight (${describeLast(last)})` };
  return {
    applied: false,
    epoch: flying.epoch,
    message: `nothing to promote: the switch to ${flying.to} (epoch ${flying.epoch}) is ${flying.stage}, not waiting at a gate`,
  };
}
