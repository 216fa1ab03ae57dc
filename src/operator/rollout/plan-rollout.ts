/**
 * The phased switch of DESIGN.md as a pure state machine over `status.rollout`.
 *
 * ```
 *            switch decided                    all staged + window + probes ok
 *  (none) ───────────────────▶ Preparing ─────────────────────────────────────▶ Routing[1..k]
 *    ▲  first overlay: ─────▶ Committing ◀── last step (100 %) verified ──────────┘   │
 *    │                           │ all committed                                      │ failure or
 *    │                           ▼                                                    │ deadline
 *    ├──────────────────── Succeeded                 autoRollback ┌─────────────────────┤
 *    │                                                            ▼                     ▼
 *    ├──────────────────── RolledBack ◀── all back on E ── RollingBack        Failed (frozen until
 *    │                                                                        the spec changes)
 *    └── Superseded: a Manual/Workload target changed while Preparing/Routing/Failed; the in-flight
 *        epoch is aborted and a new switch starts at once from the committed topology, with a
 *        higher epoch (epochs are never reused, so a late message of the abandoned overlay can
 *        never be mistaken for the new one).
 * ```
 *
 * Each stage has a deadline (`progressDeadlineSeconds`, from `stepStartedAt`). A Preparing or
 * Routing stage passes when every ready member acknowledges it, the health window
 * (`stepVerificationSeconds`, from `verificationStartedAt`) has elapsed, and a verification probed
 * after the window ended is healthy; a failed verification at any time in the window fails the
 * step. Committing is the point of no return: it is never rolled back, only retried (Stalled when
 * late), and so is RollingBack. Setting spec.topology back to the committed topology while in flight
 * rolls back (history trigger Rollback); so does an abort request (control.ts, which also takes
 * retry requests). A gate (`pause` in `rollout.steps`, rollout-steps.ts) holds a verified stage,
 * without deadline, until a promote request (`input.promote`). While `spec.paused`, nothing moves except new pods joining
 * the committed epoch, and the stage's clocks restart when it is resumed.
 *
 * Everything is derived from (spec, status, observed members, verification, now): a restarted
 * operator resumes from status, a pod that joins mid-switch is prepared and routed like the others
 * (see member-sync.ts), and the same input always yields the same output.
 */
import { ANNOTATIONS, CONDITION_TYPES, REASONS } from '../../api/constants.js';
import { PAUSE_STEP } from '../../api/types.js';
import type { ClusterTopologyStatus, HistoryEntry, OverlayKind, RolloutStatus, SwitchResult } from '../../api/types.js';
import { IN_FLIGHT_STAGES, inFlight, isoSeconds } from '../../api/status.js';
import { setCondition, type ConditionUpdate } from './conditions.js';
import { untrustedMembers } from './epoch-trust.js';
import { applyExclusions, exclusionsOf } from './exclusions.js';
import { isSynced, readyMembers, routedMembers, syncActions, type MemberTarget } from './member-sync.js';
import { nextStep } from './rollout-steps.js';
import type { MemberAction, ObservedMember, PlannedEvent, RolloutInput, RolloutPlan, VerificationResult } from './types.js';
import { clipStrings } from './status-text.js';

/**
 * Seconds between polls while waiting for sidecars to acknowledge, at most: the Control.State
 * round trip is milliseconds, overlays form in about a second on a LAN. Wild guess.
 */
export const ACK_POLL_SECONDS = 2;
/**
 * Seconds between polls right after a stage asked sidecars to change: the Control calls return
 * once applied, so the next pass normally sees every acknowledgement.
 */
export const FIRST_ACK_POLL_SECONDS = 0.2;

/**
 * The acknowledgement poll of a stage that began `elapsedSeconds` ago: a tenth of the time waited
 * so far, between {@link FIRST_ACK_POLL_SECONDS} and {@link ACK_POLL_SECONDS}, so a stage moves on
 * within a pass of its acknowledgements and a wedged member costs at most one pass every 2 s.
 */
export function ackPollSeconds(elapsedSeconds: number): number {
  return Math.min(ACK_POLL_SECONDS, Math.max(FIRST_ACK_POLL_SECONDS, elapsedSeconds / 10));
}

type Phase = NonNullable<ClusterTopologyStatus['phase']>;

function ms(iso: string): number {
  return Date.parse(iso);
}

/** The highest epoch `members` report; the caller passes only trusted members (epoch-trust.ts). */
function maxObservedEpoch(members: readonly ObservedMember[]): number {
  let max = 0;
  for (const m of members) max = Math.max(max, m.activeEpoch ?? 0, m.stagedEpoch ?? 0, m.routingEpoch ?? 0);
  return max;
}

function stageLabel(r: RolloutStatus): string {
  if (r.stage === 'Preparing') return `preparing epoch ${r.epoch}`;
  if (r.stage === 'Routing') return `step ${r.stepIndex} (${r.stepPercent}%)`;
  if (r.stage === 'Committing') return `committing epoch ${r.epoch}`;
  return r.stage.toLowerCase();
}

function problemsOf(v: VerificationResult, r: RolloutStatus, maxLatencyFactor: number): string[] {
  const p: string[] = [];
  if (!v.connected) p.push(`overlay of epoch ${v.epoch} is not connected${v.detail !== undefined ? ` (${v.detail})` : ''}`);
  if (v.probesDelivered < v.probesSent) p.push(`probes delivered ${v.probesDelivered}/${v.probesSent}`);
  const base = r.baselineLatencyP99Ms;
  if (base !== undefined && base > 0 && v.latencyP99Ms !== undefined && v.latencyP99Ms > maxLatencyFactor * base) {
    p.push(`latency p99 ${v.latencyP99Ms} ms > maxLatencyFactor ${maxLatencyFactor} × baseline ${base} ms`);
  }
  return p;
}

/**
 * The health window of a stage (s). Preparing has none: no member routes over the staged overlay
 * yet, so waiting would watch an idle overlay; the first verification that passes (connectivity,
 * with its own convergence budget, and probes) ends it, and one that does not is repeated until
 * the progress deadline. Routing steps keep `stepVerificationSeconds`.
 */
export function verificationWindowSeconds(stepVerificationSeconds: number, stage: RolloutStatus['stage']): number {
  return stage === 'Preparing' ? 0 : stepVerificationSeconds;
}

/** Mutable working state of one planning pass. */
interface Pass {
  input: RolloutInput;
  nowIso: string;
  nowMs: number;
  /** The members whose reported epochs are believed (epoch-trust.ts): the only ones the rollout uses. */
  members: readonly ObservedMember[];
  ready: ObservedMember[];
  status: ClusterTopologyStatus;
  events: PlannedEvent[];
  /** Set when a late Committing/RollingBack stage should raise Stalled. */
  late?: string;
}

function targetFor(p: Pass, r: RolloutStatus): MemberTarget {
  const E = p.status.epoch ?? 0;
  const current = p.status.currentTopology ?? r.to;
  switch (r.stage) {
    case 'Preparing':
      return { active: E, activeTopology: current, staged: r.epoch, stagedTopology: r.to, routed: new Set() };
    case 'Routing':
    case 'Failed':
      return { active: E, activeTopology: current, staged: r.epoch, stagedTopology: r.to, routed: routedMembers(p.ready, r.stepPercent) };
    case 'Committing':
      return { active: r.epoch, activeTopology: r.to, routed: new Set() };
    default:
      return { active: E, activeTopology: current, routed: new Set() };
  }
}

/** Ends `r` with `result`: history entry, lastSwitchTime, and on success the new committed state. */
function finish(p: Pass, r: RolloutStatus, result: SwitchResult, reason: string): RolloutStatus {
  const s = p.status;
  const entry: HistoryEntry = {
    time: p.nowIso,
    to: r.to,
    trigger: r.trigger,
    result,
    reason,
    durationSeconds: Math.max(0, Math.floor((p.nowMs - ms(r.startedAt)) / 1000)),
    epoch: r.epoch,
  };
  if (r.from !== undefined) entry.from = r.from;
  const history = [...(s.history ?? []), entry];
  s.history = history.slice(Math.max(0, history.length - p.input.spec.historyLimit));
  s.lastSwitchTime = p.nowIso;
  if (result === 'Succeeded') {
    s.currentTopology = r.to;
    s.epoch = r.epoch;
  }
  const stage = result === 'Failed' ? 'Failed' : result;
  const done: RolloutStatus = { ...r, stage, finishedAt: p.nowIso, reason, message: `${result}: ${reason}` };
  delete done.verificationStartedAt;
  p.events.push({
    type: result === 'Succeeded' ? 'Normal' : 'Warning',
    reason: result === 'Succeeded' ? REASONS.switchSucceeded : result === 'Superseded' ? REASONS.superseded : REASONS.rolledBack,
    message: `switch ${r.from ?? '(none)'} → ${r.to} (epoch ${r.epoch}) ${result.toLowerCase()}: ${reason}`,
  });
  return done;
}

/** Starts a switch to `to`; returns the in-flight rollout, or undefined when it completed at once. */
function start(p: Pass, to: OverlayKind, trigger: RolloutStatus['trigger'], reasons: string[], previousEpoch: number): RolloutStatus | undefined {
  const s = p.status;
  const from = s.currentTopology;
  // The first overlay waits for members: choosing it for nobody would only delay the right one.
  if (from === undefined && p.ready.length === 0) return undefined;
  const epoch = Math.max(s.epoch ?? 0, previousEpoch, maxObservedEpoch(p.members)) + 1;
  const why = reasons.join('; ');
  const r: RolloutStatus = {
    stage: from === undefined ? 'Committing' : 'Preparing',
    to,
    epoch,
    trigger,
    generation: p.input.generation,
    stepIndex: 0,
    stepPercent: from === undefined ? 100 : 0,
    startedAt: p.nowIso,
    stepStartedAt: p.nowIso,
    reason: why,
  };
  if (from !== undefined) r.from = from;
  const baseline = p.input.metrics?.latencyP99Ms ?? s.metrics?.latencyP99Ms;
  if (baseline !== undefined) r.baselineLatencyP99Ms = baseline;
  p.events.push({
    type: 'Normal',
    reason: REASONS.switchStarted,
    message: `switching ${from ?? '(none)'} → ${to} (epoch ${epoch}, trigger ${trigger}): ${why}`,
  });
  if (p.ready.length === 0) {
    s.rollout = finish(p, r, 'Succeeded', `${why}; no ready members, took effect at once`);
    return undefined;
  }
  r.message = from === undefined ? `forming ${to} on ${p.ready.length} members` : `preparing ${to} beside ${from}`;
  return r;
}

/** Failure of a Preparing/Routing stage: roll back, or freeze when autoRollback is off. */
function fail(p: Pass, r: RolloutStatus, reason: string, why: string): RolloutStatus {
  const msg = `${stageLabel(r)} failed: ${why}`;
  p.events.push({ type: 'Warning', reason, message: msg });
  const next: RolloutStatus = { ...r, reason: msg, stepStartedAt: p.nowIso };
  delete next.verificationStartedAt;
  if (p.input.spec.rollout.autoRollback) {
    next.stage = 'RollingBack';
    next.message = `rolling back to ${p.status.currentTopology ?? '(none)'}: ${why}`;
    p.events.push({ type: 'Warning', reason: REASONS.rollingBack, message: next.message });
  } else {
    next.stage = 'Failed';
    next.message = `stopped at ${stageLabel(r)} (autoRollback is false): ${why}; change the spec to retry or to roll back`;
  }
  return next;
}

/**
 * Moves past a verified Preparing/Routing stage (or a promoted gate): the next larger step, a gate
 * that waits for a promote request, or Committing after the last one (rollout-steps.ts).
 */
function advance(p: Pass, r: RolloutStatus): RolloutStatus {
  const steps = p.input.spec.rollout.steps;
  const next: RolloutStatus = { ...r, stepStartedAt: p.nowIso };
  delete next.verificationStartedAt;
  delete next.gateStep;
  const step = nextStep(steps, r.stepPercent, r.promotedStep ?? 0);
  if (step.kind === 'gate') {
    next.gateStep = step.index + 1;
    next.message = `waiting at step ${step.index + 1}/${steps.length} (${PAUSE_STEP}) for a promote request, ${stageLabel(r)} verified: kubectl topology promote, or annotate ${ANNOTATIONS.control}=action=promote,target-epoch=${r.epoch}`;
    p.events.push({ type: 'Normal', reason: REASONS.awaitingPromotion, message: next.message });
    return next;
  }
  if (step.kind === 'commit') {
    next.stage = 'Committing';
    next.stepPercent = 100;
    next.message = `committing epoch ${r.epoch} (${r.to}) on every member`;
  } else {
    next.stage = 'Routing';
    next.stepIndex = step.index + 1;
    next.stepPercent = step.percent;
    next.message = `step ${step.index + 1}/${steps.length}: ${step.percent}% of members route over ${r.to}`;
  }
  p.events.push({ type: 'Normal', reason: next.stage === 'Committing' ? REASONS.committing : REASONS.routing, message: next.message });
  return next;
}

interface StageOutcome {
  r: RolloutStatus | undefined;
  /** Re-plan: the stage changed. */
  again: boolean;
  phase?: Phase;
  requeue?: number;
  verify?: boolean;
}

/** One step of the machine for an in-flight rollout. */
function progress(p: Pass, r: RolloutStatus): StageOutcome {
  const spec = p.input.spec;
  const target = targetFor(p, r);
  const unsynced = p.ready.filter((m) => !isSynced(m, target));
  const deadlineMs = ms(r.stepStartedAt) + spec.rollout.progressDeadlineSeconds * 1000;
  const untilDeadline = Math.max(0, (deadlineMs - p.nowMs) / 1000);
  const names =
    unsynced
      .slice(0, 5)
      .map((m) => m.name)
      .join(', ') + (unsynced.length > 5 ? ` and ${unsynced.length - 5} more` : '');
  const ackPoll = ackPollSeconds((p.nowMs - ms(r.stepStartedAt)) / 1000);
  switch (r.stage) {
    case 'Failed':
      return { r, again: false, phase: 'Failed' };
    case 'Committing':
    case 'RollingBack': {
      if (unsynced.length === 0) {
        if (r.stage === 'Committing') return { r: finish(p, r, 'Succeeded', r.reason ?? 'switch requested'), again: true };
        return { r: finish(p, r, 'RolledBack', r.reason ?? 'rolled back'), again: true };
      }
      if (p.nowMs >= deadlineMs)
        p.late = `${stageLabel(r)} not acknowledged within progressDeadlineSeconds ${spec.rollout.progressDeadlineSeconds} by ${names}; still retrying`;
      return { r, again: false, phase: r.stage === 'Committing' ? 'Progressing' : 'RollingBack', requeue: ackPoll };
    }
    default: {
      // A gate waits for a promote request: no deadline, no verification (the stage before it was
      // verified); joining members are still brought to the step (the actions follow targetFor).
      if (r.gateStep !== undefined) {
        if (spec.rollout.steps[r.gateStep - 1] === PAUSE_STEP) return { r, again: false, phase: 'Paused' };
        // The gate was edited out of spec.rollout.steps: go on as if it had not been there.
        return { r: advance(p, r), again: true };
      }
      if (unsynced.length > 0) {
        const pending: RolloutStatus = { ...r };
        delete pending.verificationStartedAt;
        if (p.nowMs >= deadlineMs) {
          return {
            r: fail(
              p,
              r,
              REASONS.progressDeadlineExceeded,
              `not acknowledged within progressDeadlineSeconds ${spec.rollout.progressDeadlineSeconds} by ${names}`,
            ),
            again: true,
          };
        }
        pending.message = `${stageLabel(r)}: waiting for ${names}`;
        return { r: pending, again: false, phase: 'Progressing', requeue: Math.min(ackPoll, untilDeadline) };
      }
      // Millisecond precision: a window of a few seconds counted from a time cut to the second would be up to a second short.
      const vr: RolloutStatus = { ...r, verificationStartedAt: r.verificationStartedAt ?? new Date(p.nowMs).toISOString() };
      const windowEndMs = ms(vr.verificationStartedAt!) + verificationWindowSeconds(spec.rollout.stepVerificationSeconds, r.stage) * 1000;
      const v = p.input.verification;
      const fresh = v !== undefined && v.epoch === r.epoch && ms(v.checkedAt) >= ms(vr.verificationStartedAt!) ? v : undefined;
      if (fresh !== undefined) {
        const problems = problemsOf(fresh, r, spec.rollout.maxLatencyFactor);
        // While Preparing nothing routes over the staged overlay, so one still settling (a probe
        // not acknowledged yet on a loaded node, views still joining) costs only time: verify
        // again until the deadline. Lost members, and any problem once traffic is routed, fail now.
        const settling = r.stage === 'Preparing' && (fresh.membersLost ?? []).length === 0 && p.nowMs < deadlineMs;
        if (problems.length > 0 && !settling) return { r: fail(p, vr, REASONS.verificationFailed, problems.join('; ')), again: true };
        if (problems.length > 0) {
          vr.message = `${stageLabel(r)}: not verified yet (${problems.join('; ')}); verifying again until the progress deadline`;
          return { r: vr, again: false, phase: 'Verifying', verify: true, requeue: Math.min(ACK_POLL_SECONDS, untilDeadline) };
        }
      }
      if (p.nowMs >= windowEndMs && fresh !== undefined && ms(fresh.checkedAt) >= windowEndMs) return { r: advance(p, vr), again: true };
      if (p.nowMs >= deadlineMs)
        return {
          r: fail(p, vr, REASONS.progressDeadlineExceeded, `verification did not pass within progressDeadlineSeconds ${spec.rollout.progressDeadlineSeconds}`),
          again: true,
        };
      vr.message = `${stageLabel(r)}: verifying for ${verificationWindowSeconds(spec.rollout.stepVerificationSeconds, r.stage)}s`;
      const untilWindow = (windowEndMs - p.nowMs) / 1000;
      // A healthy verification inside the window needs no other until the window ends; then one
      // that probes after its end decides the step.
      const needed = fresh === undefined || p.nowMs >= windowEndMs;
      return { r: vr, again: false, phase: 'Verifying', verify: needed, requeue: Math.min(untilWindow > 0 ? untilWindow : ACK_POLL_SECONDS, untilDeadline) };
    }
  }
}

/** The overlay that pods selected later will join, for the message of an empty resource. */
function joinTarget(p: Pass): string {
  // Auto mode without spec.topology chooses the first overlay by the count of the members that
  // join (decide-switch.ts), so its recommendation for 0 members says nothing about it.
  const t = p.status.currentTopology ?? p.input.spec.topology;
  return t !== undefined ? `the ${t} overlay` : 'the overlay Auto mode picks for their number';
}

/** A rolled-back or aborted switch that waits for the user: the reason and message of its conditions. */
interface Awaiting {
  reason: string;
  message: string;
}

function conditionsFor(p: Pass, phase: Phase, r: RolloutStatus | undefined, awaiting: Awaiting | undefined): ConditionUpdate[] {
  const s = p.status;
  const T = CONDITION_TYPES;
  const cond = (type: string, ok: boolean, reason: string, message: string): ConditionUpdate => ({ type, status: ok ? 'True' : 'False', reason, message });
  const members = `${p.ready.length} ready member${p.ready.length === 1 ? '' : 's'}`;
  switch (phase) {
    case 'Ready': {
      if ((s.members?.total ?? 0) === 0) {
        // Nothing to configure is reconciled (a Deployment scaled to 0 is Available; kstatus Current),
        // so GitOps tools do not wait forever for pods that a later sync creates.
        const msg = `no pods match spec.selector; members join ${joinTarget(p)} when they become Ready`;
        return [
          cond(T.ready, true, REASONS.noMembers, msg),
          cond(T.reconciling, false, REASONS.noMembers, msg),
          cond(T.stalled, false, REASONS.noMembers, msg),
        ];
      }
      const msg = `${s.currentTopology} established on ${members} (epoch ${s.epoch})`;
      return [
        cond(T.ready, true, REASONS.established, msg),
        cond(T.reconciling, false, REASONS.established, msg),
        cond(T.stalled, false, REASONS.established, msg),
      ];
    }
    case 'Paused': {
      if (!p.input.spec.paused && r?.gateStep !== undefined) {
        const msg = r.message ?? `waiting at step ${r.gateStep} for a promote request`;
        return [
          cond(T.ready, false, REASONS.awaitingPromotion, msg),
          cond(T.reconciling, false, REASONS.awaitingPromotion, msg),
          cond(T.stalled, false, REASONS.awaitingPromotion, msg),
        ];
      }
      const msg = `spec.paused is true${r !== undefined ? `: frozen at ${stageLabel(r)} of the switch to ${r.to}` : ''}`;
      return [
        cond(T.ready, r === undefined && s.currentTopology !== undefined, REASONS.paused, msg),
        cond(T.reconciling, false, REASONS.paused, msg),
        cond(T.stalled, false, REASONS.paused, msg),
      ];
    }
    case 'Failed': {
      const msg = r?.message ?? 'switch failed';
      return [
        cond(T.ready, false, REASONS.rolloutFailed, msg),
        cond(T.reconciling, false, REASONS.rolloutFailed, msg),
        cond(T.stalled, true, REASONS.rolloutFailed, msg),
      ];
    }
    case 'Degraded': {
      if (awaiting !== undefined) {
        return [
          cond(T.ready, false, awaiting.reason, awaiting.message),
          cond(T.reconciling, false, awaiting.reason, awaiting.message),
          cond(T.stalled, true, awaiting.reason, awaiting.message),
        ];
      }
      const msg = `${s.currentTopology} serving ${members}; ${(s.members?.total ?? 0) - p.ready.length} selected pods not ready`;
      return [
        cond(T.ready, false, REASONS.membersNotReady, msg),
        cond(T.reconciling, false, REASONS.membersNotReady, msg),
        cond(T.stalled, false, REASONS.membersNotReady, msg),
      ];
    }
    case 'Pending': {
      const msg = p.ready.length === 0 ? 'no ready member pods match spec.selector' : 'waiting for a target topology (Auto mode evaluates first)';
      return [
        cond(T.ready, false, REASONS.noMembers, msg),
        cond(T.reconciling, p.ready.length > 0, REASONS.noMembers, msg),
        cond(T.stalled, false, REASONS.noMembers, msg),
      ];
    }
    default: {
      const reason =
        r === undefined
          ? REASONS.membersJoining
          : r.stage === 'RollingBack'
            ? REASONS.rollingBack
            : r.stage === 'Committing'
              ? s.currentTopology === undefined
                ? REASONS.initializing
                : REASONS.committing
              : phase === 'Verifying'
                ? REASONS.verifying
                : r.stage === 'Preparing'
                  ? REASONS.preparing
                  : REASONS.routing;
      const msg = r?.message ?? `bringing joining members into epoch ${s.epoch}`;
      const stalled =
        p.late !== undefined
          ? cond(T.stalled, true, r?.stage === 'RollingBack' ? REASONS.rollbackStalled : REASONS.commitStalled, p.late)
          : cond(T.stalled, false, reason, msg);
      return [cond(T.ready, false, reason, msg), cond(T.reconciling, true, reason, msg), stalled];
    }
  }
}

/**
 * Plans one reconcile of the phased switch: applies `input.decision` (start, supersede, roll back
 * on revert), advances the in-flight switch as far as the observations allow, and returns the
 * member actions, the new status, the Events and when to look again.
 */
export function planRollout(input: RolloutInput): RolloutPlan {
  const { spec, decision } = input;
  // Members reporting nonsense epochs are left out before anything is planned (epoch-trust.ts).
  const untrusted = untrustedMembers(input.members, input.status);
  const distrusted = new Set(untrusted.map((u) => u.name));
  const members = untrusted.length === 0 ? input.members : input.members.filter((m) => !distrusted.has(m.name));
  const p: Pass = {
    input,
    nowIso: isoSeconds(input.now),
    nowMs: input.now.getTime(),
    members,
    ready: readyMembers(members),
    status: JSON.parse(JSON.stringify(input.status)) as ClusterTopologyStatus,
    events: [],
  };
  const s = p.status;
  s.observedGeneration = input.generation;
  let r = inFlight(s) !== undefined ? s.rollout : undefined;

  // A promote request (control.ts accepted it): past the gate, to whatever follows it.
  if (!spec.paused && input.promote === true && r !== undefined && r.gateStep !== undefined) r = advance(p, { ...r, promotedStep: r.gateStep });

  if (!spec.paused) {
    if (decision.kind === 'switch') {
      if (r === undefined) {
        r = start(p, decision.to, decision.trigger, decision.reasons, s.rollout?.epoch ?? 0);
      } else if (decision.to === s.currentTopology) {
        const why = `spec.topology set back to ${decision.to} while switching to ${r.to}`;
        p.events.push({ type: 'Normal', reason: REASONS.rollingBack, message: why });
        r = { ...r, stage: 'RollingBack', trigger: 'Rollback', reason: why, message: `rolling back to ${decision.to}`, stepStartedAt: p.nowIso };
        delete r.verificationStartedAt;
      } else {
        const old = r;
        s.rollout = finish(p, old, 'Superseded', `superseded by a ${decision.trigger} switch to ${decision.to}`);
        r = start(p, decision.to, decision.trigger, decision.reasons, old.epoch);
      }
    } else if (r?.stage === 'Failed' && (r.generation ?? -1) < input.generation) {
      r = {
        ...r,
        stage: r.stepIndex === 0 ? 'Preparing' : 'Routing',
        generation: input.generation,
        stepStartedAt: p.nowIso,
        message: `retrying ${stageLabel(r)} after a spec change`,
      };
      delete r.verificationStartedAt;
    }
  }

  let phase: Phase | undefined;
  let requeue: number | undefined;
  let verify = false;
  if (spec.paused) {
    phase = 'Paused';
    if (r !== undefined && r.stage !== 'Failed') {
      // Paused time does not count against the deadline or the health window: both restart on resume.
      r = { ...r, stepStartedAt: p.nowIso, message: `paused at ${stageLabel(r)}` };
      delete r.verificationStartedAt;
    }
  } else {
    for (let i = 0; i < 6 && r !== undefined; i++) {
      const out = progress(p, r);
      if (out.r !== undefined && !IN_FLIGHT_STAGES.has(out.r.stage)) {
        s.rollout = out.r;
        r = undefined;
        break;
      }
      r = out.r;
      if (!out.again) {
        phase = out.phase;
        requeue = out.requeue;
        verify = out.verify ?? false;
        break;
      }
    }
  }
  if (r !== undefined) s.rollout = r;

  // Actions: towards the in-flight target; frozen (paused, failed): only new pods join the committed epoch.
  const E = s.epoch ?? 0;
  const steady: MemberTarget | undefined = s.currentTopology !== undefined ? { active: E, activeTopology: s.currentTopology, routed: new Set() } : undefined;
  let actions: MemberAction[] = [];
  const frozen = spec.paused || r?.stage === 'Failed';
  if (r !== undefined && !frozen) {
    actions = syncActions(p.ready, targetFor(p, r), spec);
    if (verify) {
      const check: MemberAction = { kind: 'verify', epoch: r.epoch, members: p.ready.map((m) => m.name) };
      const base = r.baselineLatencyP99Ms;
      if (base !== undefined && base > 0) check.maxLatencyMs = spec.rollout.maxLatencyFactor * base;
      actions.push(check);
    }
  } else if (steady !== undefined) {
    const joining = frozen ? p.ready.filter((m) => m.activeEpoch === undefined) : p.ready;
    actions = syncActions(joining, steady, spec);
  }

  // Counts, target, phase when steady.
  const onEpoch = r !== undefined && r.stage !== 'RollingBack' ? r.epoch : E;
  s.members = { total: input.members.length, ready: p.ready.length, onTarget: p.ready.filter((m) => (m.routingEpoch ?? m.activeEpoch) === onEpoch).length };
  if (r !== undefined) s.targetTopology = r.stage === 'RollingBack' ? (s.currentTopology ?? r.to) : r.to;
  else delete s.targetTopology;
  const awaiting: Awaiting | undefined =
    decision.kind === 'none' && (decision.reason === 'AwaitingSpecChange' || decision.reason === 'Aborted')
      ? { reason: decision.reason === 'Aborted' ? REASONS.aborted : REASONS.rolledBack, message: decision.message }
      : undefined;
  if (phase === undefined) {
    // No pod selected at all and nothing in flight: nothing to configure, so the resource is Ready
    // (reason NoMembers). Selected pods that are not ready yet keep it Pending.
    if (s.members.total === 0 && r === undefined && awaiting === undefined) phase = 'Ready';
    else if (s.currentTopology === undefined || p.ready.length === 0) phase = 'Pending';
    else if (steady !== undefined && !p.ready.every((m) => isSynced(m, steady))) {
      phase = 'Progressing';
      requeue = ACK_POLL_SECONDS;
    } else if (awaiting !== undefined || s.members.total > p.ready.length) phase = 'Degraded';
    else phase = 'Ready';
  }
  let conditions = s.conditions ?? [];
  for (const c of conditionsFor(p, phase, r, awaiting)) conditions = setCondition(conditions, c, input.generation, p.nowIso);
  // Pods left out (another resource's, or untrusted) are reported over whatever the rollout says.
  const excluded = applyExclusions(conditions, phase, exclusionsOf(untrusted, input.shared ?? []), input.status.conditions, input.generation, p.nowIso);
  s.phase = excluded.phase;
  s.conditions = excluded.conditions;
  p.events.push(...excluded.events);

  clipStrings(s);
  const plan: RolloutPlan = { actions, status: JSON.parse(JSON.stringify(s)) as ClusterTopologyStatus, events: p.events };
  if (requeue !== undefined) plan.requeueAfterSeconds = Math.max(0, Math.ceil(requeue * 1000) / 1000);
  return plan;
}
