/**
 * How a broadcast layer stacks on HyParView membership, as iroh-gossip's topic.rs stacks Plumtree:
 * the membership's outputs pass through in order, and each neighbour change is followed at once by
 * the layer's reaction to it (its own sends and timers). Both stacks (hyparview.ts: the flood;
 * pubsub.ts: Plumtree) go through this one function, so their output order cannot drift apart.
 */
import type { HyParViewMembershipOutput } from './hyparview-membership.js';
import type { NodeId } from './types.js';

/** What a stacked layer needs of the membership: its neighbours coming and going. */
export interface NeighborFollower<O> {
  neighborUp(peer: NodeId, now: number): O[];
  neighborDown(peer: NodeId): O[];
}

/** `outs` in order, each neighborUp/neighborDown followed by what `layer` outputs in reply. */
export function followNeighbors<O>(outs: readonly HyParViewMembershipOutput[], layer: NeighborFollower<O>, now: number): Array<HyParViewMembershipOutput | O> {
  const result: Array<HyParViewMembershipOutput | O> = [];
  for (const o of outs) {
    result.push(o);
    if (o.kind === 'neighborUp') result.push(...layer.neighborUp(o.peer, now));
    else if (o.kind === 'neighborDown') result.push(...layer.neighborDown(o.peer));
  }
  return result;
}
