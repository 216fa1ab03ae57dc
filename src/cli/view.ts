/**
 * What the commands show of a ClusterTopology, derived in one place from the resource so that the
 * table, `-o json|yaml` and `watch` agree: a summary of spec and status, the progress line of a
 * rollout, and when a resource counts as settled.
 */
import type { ClusterTopology, Condition, HistoryEntry, MemberCounts, OverlayKind, Phase, RolloutStatus } from '../api/types.js';
import { IN_FLIGHT_STAGES } from '../api/status.js';

/** The `status` command's summary (also its `-o json|yaml` shape). */
export interface TopologySummary {
  name: string;
  namespace: string;
  mode: string;
  paused: boolean;
  specTopology?: OverlayKind;
  currentTopology?: OverlayKind;
  targetTopology?: OverlayKind;
  phase?: Phase;
  epoch?: number;
  generation?: number;
  observedGeneration?: number;
  members: MemberCounts;
  rollout?: RolloutStatus;
  inFlight: boolean;
  lastSwitchTime?: string;
  conditions: Condition[];
}

/** Summarises spec and status. */
export function summarize(ct: ClusterTopology): TopologySummary {
  const s = ct.status ?? {};
  const out: TopologySummary = {
    name: ct.metadata.name ?? '',
    namespace: ct.metadata.namespace ?? '',
    mode: ct.spec.mode ?? 'Manual',
    paused: ct.spec.paused === true,
    members: s.members ?? { total: 0, ready: 0, onTarget: 0 },
    inFlight: switchInFlight(ct) !== undefined,
    conditions: s.conditions ?? [],
  };
  if (ct.spec.topology !== undefined) out.specTopology = ct.spec.topology;
  if (s.currentTopology !== undefined) out.currentTopology = s.currentTopology;
  if (s.targetTopology !== undefined) out.targetTopology = s.targetTopology;
  if (s.phase !== undefined) out.phase = s.phase;
  if (s.epoch !== undefined) out.epoch = s.epoch;
  if (ct.metadata.generation !== undefined) out.generation = ct.metadata.generation;
  if (s.observedGeneration !== undefined) out.observedGeneration = s.observedGeneration;
  if (s.rollout !== undefined) out.rollout = s.rollout;
  if (s.lastSwitchTime !== undefined) out.lastSwitchTime = s.lastSwitchTime;
  return out;
}

/** The rollout in flight (Preparing, Routing, Committing, RollingBack, Failed), if any. */
export function switchInFlight(ct: ClusterTopology): RolloutStatus | undefined {
  const r = ct.status?.rollout;
  return r !== undefined && IN_FLIGHT_STAGES.has(r.stage) ? r : undefined;
}

/**
 * True when the operator has seen the latest spec and nothing is moving: phase Ready, no switch in
 * flight, observedGeneration current. `watch` and `switch --wait` stop here.
 */
export function isSettled(ct: ClusterTopology): boolean {
  const s = ct.status;
  if (s === undefined || s.phase !== 'Ready') return false;
  if (switchInFlight(ct) !== undefined) return false;
  return (s.observedGeneration ?? -1) >= (ct.metadata.generation ?? 0);
}

/** `FullMesh → HyParView` while switching, else the current topology, else `-`. */
export function topologyLabel(ct: ClusterTopology): string {
  const s = ct.status ?? {};
  const r = switchInFlight(ct);
  if (r !== undefined) return `${r.from ?? '-'} → ${r.to}`;
  return s.currentTopology ?? s.targetTopology ?? '-';
}

/** `Routing 2/3 (50%)`, `Preparing`, `-` when nothing is in flight. */
export function stepLabel(ct: ClusterTopology): string {
  const r = switchInFlight(ct);
  if (r === undefined) return ct.status?.rollout ? `${ct.status.rollout.stage}` : '-';
  const steps = ct.spec.rollout?.steps ?? [10, 50, 100];
  if (r.gateStep !== undefined)
    return `AwaitingPromotion at step ${r.gateStep}/${steps.length} (${r.stage === 'Preparing' ? 'prepared' : `${r.stepPercent}%`})`;
  if (r.stage === 'Routing') return `Routing ${r.stepIndex}/${steps.length} (${r.stepPercent}%)`;
  return r.stage;
}

/** `ready/total` with `onTarget` when switching: `28/30 ready, 15 on target`. */
export function membersLabel(ct: ClusterTopology): string {
  const m = ct.status?.members ?? { total: 0, ready: 0, onTarget: 0 };
  return `${m.ready}/${m.total} ready, ${m.onTarget} on target`;
}

/** One watch row: the columns of the live table. */
export function watchCells(ct: ClusterTopology): string[] {
  const r = ct.status?.rollout;
  return [
    ct.status?.phase ?? 'Pending',
    topologyLabel(ct),
    stepLabel(ct),
    membersLabel(ct),
    String(ct.status?.epoch ?? '-'),
    (switchInFlight(ct) ? r?.message : undefined) ?? readyMessage(ct),
  ];
}

/** Headers of {@link watchCells}. */
export const WATCH_HEADERS = ['PHASE', 'TOPOLOGY', 'STEP', 'MEMBERS', 'EPOCH', 'MESSAGE'] as const;

function readyMessage(ct: ClusterTopology): string {
  return ct.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
}

/** The history entries, newest first. */
export function historyNewestFirst(ct: ClusterTopology): HistoryEntry[] {
  return [...(ct.status?.history ?? [])].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}
