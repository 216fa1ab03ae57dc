/**
 * What each ready member should report at a given stage, and the actions that bring it there.
 *
 * A member's target is three epochs: `active` (committed), `staged` (prepared beside it, or none)
 * and `routing` (the one its application traffic uses). From what the member reports, the next hop
 * towards the target is chosen; hops that need an acknowledgement (prepare → commit, prepare →
 * route) take one reconcile each, so the engine never asks a sidecar for something it cannot do yet.
 *
 * Which members route over the new epoch at X %: ready members sorted by name (plain code-unit
 * order, locale-independent), the first ceil(X × n / 100). Deterministic, stable across restarts,
 * and ordinal pods (app-0, app-1, …) go first; a joining pod takes its place in that order.
 */
import { selectorMatches } from '../../api/label-selector.js';
import type { OverlayKind, ResolvedSpec } from '../../api/types.js';
import type { MemberAction, ObservedMember } from './types.js';

/** The state every ready member should reach. */
export interface MemberTarget {
  /** Epoch to have committed, and its topology. */
  active: number;
  activeTopology: OverlayKind;
  /** Epoch to have staged (undefined: none) and its topology. */
  staged?: number;
  stagedTopology?: OverlayKind;
  /** Names of members that route over `staged`; every other member routes over `active`. */
  routed: ReadonlySet<string>;
}

/** Code-unit order of names: the same in every locale. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Ready members with an address, in name order: the only ones targeted, counted and verified. */
export function readyMembers(members: readonly ObservedMember[]): ObservedMember[] {
  return members.filter((m) => m.ready && m.address !== undefined && m.address !== '').sort(byName);
}

/** Names of the first ceil(percent × n / 100) of `ready` (already in name order). */
export function routedMembers(ready: readonly ObservedMember[], percent: number): Set<string> {
  const k = Math.ceil((percent * ready.length) / 100);
  return new Set(ready.slice(0, k).map((m) => m.name));
}

/** Addresses of the ClientServer servers: serverSelector matches, else the first `servers` by name. */
export function designateServers(spec: ResolvedSpec, ready: readonly ObservedMember[]): string[] {
  const cs = spec.overlays.clientServer;
  const chosen = cs.serverSelector !== undefined ? ready.filter((m) => selectorMatches(cs.serverSelector!, m.labels ?? {})) : ready.slice(0, cs.servers);
  return chosen.map((m) => m.address!);
}

/** True when `m` reports exactly what `target` asks of it. */
export function isSynced(m: ObservedMember, target: MemberTarget): boolean {
  const routing = m.routingEpoch ?? m.activeEpoch;
  const wantRouting = target.staged !== undefined && target.routed.has(m.name) ? target.staged : target.active;
  return m.activeEpoch === target.active && m.stagedEpoch === target.staged && routing === wantRouting;
}

/** Per-member steps, collected and then grouped into one action per (kind, epoch). */
interface Step {
  order: number;
  kind: MemberAction['kind'];
  epoch: number;
  topology?: OverlayKind;
  member: string;
}

const ORDER: Record<MemberAction['kind'], number> = { route: 0, abort: 1, prepare: 2, commit: 3, verify: 4 };

function stepsFor(m: ObservedMember, t: MemberTarget): Step[] {
  const out: Step[] = [];
  const add = (kind: Step['kind'], epoch: number, topology?: OverlayKind, order = ORDER[kind]): void => {
    out.push(topology === undefined ? { order, kind, epoch, member: m.name } : { order, kind, epoch, topology, member: m.name });
  };
  if (m.activeEpoch !== t.active) {
    // First get the right epoch committed: prepare it, then (once acknowledged) commit it.
    if (m.stagedEpoch === t.active) add('commit', t.active);
    else {
      if (m.stagedEpoch !== undefined) {
        if (m.routingEpoch === m.stagedEpoch && m.activeEpoch !== undefined) add('route', m.activeEpoch);
        add('abort', m.stagedEpoch);
      }
      add('prepare', t.active, t.activeTopology);
    }
    return out;
  }
  let staged = m.stagedEpoch;
  const routing = m.routingEpoch ?? m.activeEpoch;
  if (staged !== undefined && staged !== t.staged) {
    if (routing === staged) add('route', t.active);
    add('abort', staged);
    staged = undefined;
  }
  const wantRouting = t.staged !== undefined && t.routed.has(m.name) ? t.staged : t.active;
  if (t.staged !== undefined && staged === undefined) {
    add('prepare', t.staged, t.stagedTopology);
    return out;
  }
  if (routing !== wantRouting && (wantRouting === t.active || staged === wantRouting)) {
    // Routing forward waits for the prepare to be acknowledged; routing back never waits.
    add('route', wantRouting, undefined, wantRouting === t.active ? ORDER.route : 5);
  }
  return out;
}

/**
 * The actions that move every ready member one hop towards `target`, grouped by (kind, epoch) and
 * ordered so that a member is routed away from an epoch before it is aborted, and an aborted slot
 * is free before a prepare reuses it. `peers` of a prepare is every ready member's address.
 */
export function syncActions(ready: readonly ObservedMember[], target: MemberTarget, spec: ResolvedSpec): MemberAction[] {
  const steps = ready.flatMap((m) => stepsFor(m, target));
  const groups = new Map<string, Step & { members: string[] }>();
  for (const s of steps) {
    const key = `${s.order}/${s.kind}/${s.epoch}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { ...s, members: [s.member] });
    else g.members.push(s.member);
  }
  const peers = ready.map((m) => m.address!);
  const ordered = [...groups.values()].sort((a, b) => a.order - b.order || a.epoch - b.epoch);
  return ordered.map((g): MemberAction => {
    if (g.kind === 'prepare') {
      const topology = g.topology!;
      const action: MemberAction = { kind: 'prepare', epoch: g.epoch, topology, members: g.members, peers };
      if (topology === 'ClientServer') action.servers = designateServers(spec, ready);
      return action;
    }
    return { kind: g.kind as 'route' | 'commit' | 'abort', epoch: g.epoch, members: g.members };
  });
}
