/**
 * The planned first active views of a HyParView overlay whose member list is known at start (the
 * operator prepares every member of an epoch with the same list).
 *
 * Joining all members at once through contacts is a join storm: every join sends forward-join
 * walks whose ends add the joiner and evict someone, the evicted ask the passive view, and so on.
 * Measured at 200 members: ~1,480 links opened for the ~500 that remain, and the handshakes
 * (~2.5 ms of CPU at each end) are most of the formation's cost. Every member computing the same
 * random graph from the same list instead opens each of its links once.
 *
 * The graph is the union of ⌊degree/2⌋ random Hamiltonian cycles plus, for an odd degree, one
 * random perfect matching, over the sorted list, drawn from a generator seeded by the list itself:
 * every member gets at most `degree` neighbours (fewer where two draws pick the same pair, or one
 * member is left out of the matching), a union of cycles is connected, and the same list gives
 * the same graph everywhere. The protocol itself (acknowledged neighbor requests, repair, shuffle)
 * is unchanged; a member whose list differs just asks for links its peers did not plan.
 *
 * O(members × degree) once per start, unlike the rest of HyParView whose work is bounded by the
 * view sizes.
 */
import type { NodeId } from './types.js';
import { SeededRandom, hash32 } from './random.js';

/** Neighbours `self` has in the graph planned over `members` (empty when `self` is not a member). */
export function plannedNeighbors(self: NodeId, members: readonly NodeId[], degree: number): NodeId[] {
  const sorted = [...new Set(members)].sort();
  if (!sorted.includes(self) || sorted.length < 2 || degree < 1) return [];
  const random = new SeededRandom(hash32(sorted.join('\n')));
  const out = new Set<NodeId>();
  const shuffled = (): NodeId[] => {
    const copy = sorted.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      const tmp = copy[i] as NodeId;
      copy[i] = copy[j] as NodeId;
      copy[j] = tmp;
    }
    return copy;
  };
  const n = sorted.length;
  for (let c = 0; c < Math.floor(degree / 2); c++) {
    const cycle = shuffled();
    const i = cycle.indexOf(self);
    out.add(cycle[(i + 1) % n] as NodeId);
    out.add(cycle[(i + n - 1) % n] as NodeId);
  }
  if (degree % 2 === 1) {
    const matching = shuffled();
    const i = matching.indexOf(self);
    const partner = i % 2 === 0 ? matching[i + 1] : matching[i - 1];
    if (partner !== undefined) out.add(partner);
  }
  out.delete(self);
  return [...out];
}
