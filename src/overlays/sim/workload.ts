/**
 * Scripted workloads over a {@link Simulator}: the join patterns of the papers and of a Kubernetes
 * scale-up, and crashing a share of the members at once.
 */
import type { NodeId, WireMessage } from '../types.js';
import type { Random } from '../random.js';
import { pickOne, sample } from '../random.js';
import type { Simulator } from './simulator.js';

/** How members join: one at a time or in waves, each through contacts picked by `contacts`. */
export interface JoinPlan {
  /** Members joining in each wave; 1 is the papers' one-at-a-time setup. */
  readonly waveSize: number;
  /** Virtual ms between waves. */
  readonly gapMs: number;
  /** Contacts of the `i`-th joiner (0-based); `joined` lists the members of earlier waves (of its own wave for the first). */
  readonly contacts: (i: number, joined: readonly NodeId[]) => readonly NodeId[];
}

/** The papers' contact rule: every member joins through the first one. */
export function firstMemberContact(_i: number, joined: readonly NodeId[]): readonly NodeId[] {
  return joined.length === 0 ? [] : [joined[0] as NodeId];
}

/** A scale-up's contact rule: every member joins through one earlier member drawn from `random`. */
export function randomMemberContact(random: Random): JoinPlan['contacts'] {
  return (_i, joined) => (joined.length === 0 ? [] : [pickOne(random, joined) as NodeId]);
}

/** Adds `ids` to `sim` following `plan`, running the network between waves. */
export function joinAll<M extends WireMessage, T>(sim: Simulator<M, T>, ids: readonly NodeId[], plan: JoinPlan, onWave?: (joined: number) => void): void {
  const joined: NodeId[] = [];
  for (let start = 0; start < ids.length; start += plan.waveSize) {
    const wave = ids.slice(start, start + plan.waveSize);
    // Members of a wave know only the earlier waves, so they join concurrently; the first wave
    // joins through its own first member.
    const before = joined.slice();
    wave.forEach((id, k) => {
      sim.addNode(id, plan.contacts(start + k, before.length > 0 ? before : joined));
      joined.push(id);
    });
    if (onWave !== undefined) onWave(joined.length);
    sim.runFor(plan.gapMs);
  }
}

/** Crashes `fraction` of the alive members at once, chosen with `random`; returns who crashed. */
export function crashFraction<M extends WireMessage, T>(sim: Simulator<M, T>, fraction: number, random: Random): NodeId[] {
  const alive = sim.aliveNodes();
  const victims = sample(random, alive, Math.round(alive.length * fraction));
  for (const id of victims) sim.crash(id);
  return victims;
}

/** Member ids `prefix-0 … prefix-(n−1)`, shaped like the sidecars' `host:port` ids. */
export function nodeIds(n: number, prefix = 'n'): NodeId[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}:7946`);
}
