/**
 * The evidence behind Plumtree's optimisation (swap an eager link for a lazy one whose path is
 * shorter), averaged over many broadcasts so that one tree serves many senders.
 *
 * The paper swaps on ONE message: the payload came through eager neighbour p after d hops while lazy
 * neighbour u announced it at round r, so u's path is shorter by g = d − (r + 1). With one sender that
 * is exact. With many senders it is one sample of a quantity that depends on the sender: removing
 * link v–p and adding v–u re-attaches v's side of the tree to u instead of p, which changes the
 * distance from every sender y on p's side to every member on v's side by d(y,u) − d(y,p) = −g(y).
 * Every broadcast that reaches v through p is such a y, and v sees its g(y) for free (its own hop
 * count and u's IHAVE round). So the mean of g over the broadcasts that came through p estimates how
 * much the swap shortens paths for all senders on that side: a swap with mean gain ≥ the threshold
 * shortens the tree's total path length, and the reverse swap then has a negative mean gain on the
 * same senders, so a member does not flip back (the paper's one-message rule, with a low threshold,
 * makes the trees of different senders undo each other).
 *
 * Samples are kept per (eager, lazy) pair, the last {@link OPTIMIZATION_WINDOW} or so (older ones
 * decay: the tree changes elsewhere). A swap needs the mean gain ≥ the threshold over at least
 * {@link OPTIMIZATION_MIN_SAMPLES} samples, or sooner when the samples exceed the threshold by
 * {@link OPTIMIZATION_MARGIN} hops in total (a clearly better path, e.g. one announcement 5 hops shorter
 * at threshold 1). A swap clears all samples: the tree around us changed, and needing fresh samples
 * before the next swap rate-limits swaps per member. With a single sender every sample is the same
 * value g, so the rule is the paper's (swap when g ≥ threshold), only after a few broadcasts
 * unless g ≥ threshold + margin.
 */
import type { NodeId } from './types.js';

/**
 * Samples needed before a swap on the mean alone. Measured (1,000 simulated members, random
 * senders, threshold 1, margin 4, stable LDH over broadcasts 6-100 for seeds 1/2/3; flooding ≈ 7.5):
 * 6 → 10.6/10.7/10.8; 8 (margin 5) → 10.8/10.3/11.1; without the margin 10.4/10.6/11.9.
 */
export const OPTIMIZATION_MIN_SAMPLES = 6;

/**
 * Total hops above the threshold that justify a swap before {@link OPTIMIZATION_MIN_SAMPLES}: the
 * tree improves from the 2nd broadcast instead of the 7th. Measured as above: 4 chosen; without a
 * margin the slow start costs up to 1 hop of stable LDH on some seeds.
 */
export const OPTIMIZATION_MARGIN = 4;

/** Samples weighed at most: older ones decay geometrically. Measured: 8 and 16 within noise; 8 forgets a changed tree sooner. */
export const OPTIMIZATION_WINDOW = 8;

interface Gain {
  sum: number;
  count: number;
}

/** Per (eager peer, lazy peer) running mean of the hops a swap would save; see the file header. */
export class SwapEvidence {
  private readonly pairs = new Map<NodeId, Map<NodeId, Gain>>();

  constructor(
    /** Mean gain (hops) at which the swap is made: the `optimizationThreshold`. */
    private readonly threshold: number,
    private readonly minSamples = OPTIMIZATION_MIN_SAMPLES,
    private readonly margin = OPTIMIZATION_MARGIN,
    private readonly window = OPTIMIZATION_WINDOW,
  ) {}

  /**
   * Adds one sample: a payload came through `eager` while `lazy` announced a path shorter by `gain`
   * hops (negative when longer). True when the swap `eager` → `lazy` is now warranted.
   */
  record(eager: NodeId, lazy: NodeId, gain: number): boolean {
    let byLazy = this.pairs.get(eager);
    if (byLazy === undefined) {
      byLazy = new Map();
      this.pairs.set(eager, byLazy);
    }
    let g = byLazy.get(lazy);
    if (g === undefined) {
      g = { sum: 0, count: 0 };
      byLazy.set(lazy, g);
    }
    if (g.count >= this.window) {
      g.sum *= (this.window - 1) / this.window;
      g.count = this.window - 1;
    }
    g.sum += gain;
    g.count++;
    const excess = g.sum - this.threshold * g.count;
    return excess >= 0 && (g.count >= this.minSamples || excess >= this.margin);
  }

  /** Drops every sample involving `peer` (its link changed state or went away). */
  forget(peer: NodeId): void {
    this.pairs.delete(peer);
    for (const byLazy of this.pairs.values()) byLazy.delete(peer);
  }

  /** Drops every sample (after a swap: the tree around us changed). */
  clear(): void {
    this.pairs.clear();
  }
}
