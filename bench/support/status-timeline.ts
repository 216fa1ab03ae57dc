/**
 * The status of one ClusterTopology as a timeline, for benches that time a switch from the outside:
 * a watch records every status the operator writes (with the local time it was seen), and
 * {@link stepTimeline} turns the records into per-stage times — when each stage (Preparing, each
 * Routing step, Committing) was first seen, when its verification window opened (phase
 * Verifying: every member had acknowledged the stage), and when the next one began.
 *
 * The watch is the API server's view, so a time here is "when the status write reached the API
 * server and its watch", never the operator's own clock; the status's own timestamps (second
 * precision) are kept beside it.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import type { ClusterTopology } from '../../src/api/types.js';

/** One status as the watch saw it. */
export interface SeenStatus {
  /** Local time the watch event arrived (ms since the epoch). */
  at: number;
  generation?: number;
  observedGeneration?: number;
  phase?: string;
  stage?: string;
  stepIndex?: number;
  stepPercent?: number;
  stepStartedAt?: string;
  verificationStartedAt?: string;
  epoch?: number;
  current?: string;
  target?: string;
  /** Status of the Ready condition ("True"/"False"). */
  ready?: string;
  membersReady?: number;
  membersOnTarget?: number;
  historyLength: number;
  /** The latest history entry. */
  lastHistory?: { to: string; result: string; durationSeconds: number; epoch: number; time: string };
}

/** Reduces a ClusterTopology to a {@link SeenStatus}. Pure. */
export function seenStatus(obj: ClusterTopology, at: number): SeenStatus {
  const s = obj.status ?? {};
  const seen: SeenStatus = { at, historyLength: s.history?.length ?? 0 };
  if (obj.metadata.generation !== undefined) seen.generation = obj.metadata.generation;
  if (s.observedGeneration !== undefined) seen.observedGeneration = s.observedGeneration;
  if (s.phase !== undefined) seen.phase = s.phase;
  if (s.rollout !== undefined) {
    seen.stage = s.rollout.stage;
    seen.stepIndex = s.rollout.stepIndex;
    seen.stepPercent = s.rollout.stepPercent;
    seen.stepStartedAt = s.rollout.stepStartedAt;
    if (s.rollout.verificationStartedAt !== undefined) seen.verificationStartedAt = s.rollout.verificationStartedAt;
  }
  if (s.epoch !== undefined) seen.epoch = s.epoch;
  if (s.currentTopology !== undefined) seen.current = s.currentTopology;
  if (s.targetTopology !== undefined) seen.target = s.targetTopology;
  const ready = s.conditions?.find((c) => c.type === 'Ready')?.status;
  if (ready !== undefined) seen.ready = ready;
  if (s.members !== undefined) {
    seen.membersReady = s.members.ready;
    seen.membersOnTarget = s.members.onTarget;
  }
  const last = s.history?.[s.history.length - 1];
  if (last !== undefined) seen.lastHistory = { to: last.to, result: last.result, durationSeconds: last.durationSeconds, epoch: last.epoch, time: last.time };
  return seen;
}

/** Records every status of one ClusterTopology through a watch, re-watching when a watch ends. */
export class StatusTimeline {
  readonly seen: SeenStatus[] = [];
  private req: { abort(): void } | undefined;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  /** Starts watching (resolves once the watch request is open). */
  async start(): Promise<void> {
    this.req = await new Watch(this.kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${PLURAL}`,
      { fieldSelector: `metadata.name=${this.name}` },
      (type: string, obj: ClusterTopology) => {
        if (type !== 'DELETED') this.seen.push(seenStatus(obj, Date.now()));
      },
      () => {
        if (!this.stopped) setTimeout(() => void this.start().catch(() => undefined), 100);
      },
    );
  }

  /** The latest status seen, if any. */
  latest(): SeenStatus | undefined {
    return this.seen[this.seen.length - 1];
  }

  /** The first status seen at or after `since` that satisfies `test`. */
  first(since: number, test: (s: SeenStatus) => boolean): SeenStatus | undefined {
    return this.seen.find((s) => s.at >= since && test(s));
  }

  stop(): void {
    this.stopped = true;
    this.req?.abort();
  }
}

/** One stage of a switch as seen through the watch; times in seconds after the apply. */
export interface StageTime {
  /** "Preparing", "Routing 25%", ..., "Committing". */
  label: string;
  /** First seen in this stage. */
  enteredS: number;
  /** First seen in phase Verifying in this stage (every member acknowledged); absent if never seen. */
  verifyingS?: number;
  /** When the next stage (or the end) was first seen: enteredS of the next entry. */
  leftS?: number;
  /** The status's own stepStartedAt (second precision, operator clock). */
  stepStartedAt?: string;
}

function labelOf(s: SeenStatus): string | undefined {
  if (s.stage === undefined) return undefined;
  return s.stage === 'Routing' ? `Routing ${s.stepPercent}%` : s.stage;
}

/**
 * The stages of the switch whose statuses were seen from `since` on, in order of first sighting,
 * with times relative to `since`. Terminal stages (Succeeded, RolledBack, ...) end the timeline
 * and are not listed; `endedAt` (ms, e.g. when Ready was seen) closes the last stage. Pure.
 */
export function stepTimeline(seen: readonly SeenStatus[], since: number, endedAt: number | undefined): StageTime[] {
  const sec = (ms: number): number => Math.round(ms - since) / 1000;
  const out: StageTime[] = [];
  const inFlight = new Set(['Preparing', 'Routing', 'Committing', 'RollingBack', 'Failed']);
  for (const s of seen) {
    if (s.at < since) continue;
    const label = labelOf(s);
    const last = out[out.length - 1];
    if (label === undefined || !inFlight.has(s.stage ?? '')) {
      if (last !== undefined && last.leftS === undefined && label !== undefined) last.leftS = sec(s.at);
      continue;
    }
    if (last === undefined || last.label !== label) {
      if (last !== undefined && last.leftS === undefined) last.leftS = sec(s.at);
      const entry: StageTime = { label, enteredS: sec(s.at) };
      if (s.stepStartedAt !== undefined) entry.stepStartedAt = s.stepStartedAt;
      out.push(entry);
    }
    const cur = out[out.length - 1]!;
    if (s.phase === 'Verifying' && cur.verifyingS === undefined) cur.verifyingS = sec(s.at);
  }
  const last = out[out.length - 1];
  if (last !== undefined && last.leftS === undefined && endedAt !== undefined) last.leftS = sec(endedAt);
  return out;
}
