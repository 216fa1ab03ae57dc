/**
 * HyParView parameters: the ClusterTopology resource's names, their defaults and where each default
 * comes from, applied in one place ({@link hyParViewConfig}).
 *
 * The paper sizes the views from the expected cluster size n: active = log10(n) + c and
 * passive = k * (log10(n) + c), with c = 1 and k = 6, which gives 5 and 30 for 10,000 members.
 */

/** Parameters of one HyParView member. */
export interface HyParViewConfig {
  /** Links kept open (the flood fan-out). From the paper (log10 n + 1 for n = 10,000): 5. */
  readonly activeViewSize: number;
  /** Backup candidates remembered. From the paper (6 × active): 30. */
  readonly passiveViewSize: number;
  /** Hops of a forward-join random walk (ARWL). From the paper: 6. */
  readonly activeRandomWalkLength: number;
  /** Remaining ttl at which a forward-join also lands in the passive view (PRWL). From the paper: 3. */
  readonly passiveRandomWalkLength: number;
  /** Period of the passive-view shuffle. From the paper's evaluation and Partisan: 10 s. */
  readonly shuffleIntervalMs: number;
  /** Active-view ids sent in a shuffle (ka). From the paper: 3. */
  readonly shuffleActive: number;
  /** Passive-view ids sent in a shuffle (kp). From the paper: 4. */
  readonly shufflePassive: number;
  /** Hops of the shuffle's random walk. The paper walks it like a join; iroh-gossip's default: 6. */
  readonly shuffleRandomWalkLength: number;
  /**
   * Period of the repair tick: fill free active slots from the passive view, time out unanswered
   * neighbor requests, and re-join through the contacts when isolated. From Partisan's
   * random_promotion interval: 5 s. Each tick also probes one random neighbour, so a member whose
   * neighbours all died notices within a tick. Repair after a failure does not wait for it: a
   * `linkDown` on an active link triggers a neighbor request at once.
   */
  readonly repairIntervalMs: number;
  /** An unanswered neighbor request is forgotten after this long. Wild guess: 2 repair ticks' worth of RTTs, 5 s. */
  readonly neighborRequestTimeoutMs: number;
  /**
   * After this many consecutive repair ticks with a free active slot and only rejections, the next
   * request is sent with high priority (the receiver must accept, evicting one of its own).
   * This is what keeps islands from forming (Partisan #75: 9 members, active view 3, two full cliques
   * that reject every low-priority request forever): the free slot wanders across the cluster
   * instead of staying trapped in one island. Wild guess: 3 (15 s; at 6 a 9-member cluster was seen
   * split for more than 20 s): each forced request moves a link,
   * and when that was a tree link Plumtree pays redundant payloads while the tree repairs (measured:
   * up to 22 in a 41-member cluster), so it must stay rare.
   */
  readonly forcePromotionAfterTicks: number;
  /**
   * Ids of app messages remembered for de-duplication, by the flood (flood.ts) and by point-to-point
   * delivery (hyparview-direct.ts) each. Wild guess: 4,096 (32 KB per member, which matters at
   * 10,000 simulated members); a duplicate older than this many newer messages is delivered again.
   */
  readonly dedupCapacity: number;
  /**
   * A new neighbour is sent the broadcasts this member received within this window (flood.ts), so
   * that a member cut off by a failure and re-linked through repair still gets the flood it missed
   * (receivers drop the duplicates). Not in the paper, which assumes instant failure detection;
   * wild guess: 15 s, an idle-link failure detection (gRPC keepalive, 10 s) plus a repair round trip.
   */
  readonly catchUpWindowMs: number;
  /** How many recent broadcasts are kept for that catch-up. Wild guess: 32. */
  readonly catchUpCapacity: number;
}

/** The defaults, with their sources documented on {@link HyParViewConfig}. */
export const DEFAULT_HYPARVIEW_CONFIG: HyParViewConfig = Object.freeze({
  activeViewSize: 5,
  passiveViewSize: 30,
  activeRandomWalkLength: 6,
  passiveRandomWalkLength: 3,
  shuffleIntervalMs: 10_000,
  shuffleActive: 3,
  shufflePassive: 4,
  shuffleRandomWalkLength: 6,
  repairIntervalMs: 5_000,
  neighborRequestTimeoutMs: 5_000,
  forcePromotionAfterTicks: 3,
  dedupCapacity: 4_096,
  catchUpWindowMs: 15_000,
  catchUpCapacity: 32,
});

/** Fills unset fields with the defaults and rejects nonsense, naming the field to fix. */
export function hyParViewConfig(partial: Partial<HyParViewConfig> = {}): HyParViewConfig {
  const config: HyParViewConfig = { ...DEFAULT_HYPARVIEW_CONFIG, ...stripUndefined(partial) };
  const positive: (keyof HyParViewConfig)[] = ['activeViewSize', 'passiveViewSize', 'shuffleIntervalMs', 'repairIntervalMs', 'dedupCapacity'];
  for (const key of positive) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`HyParView: ${key} must be a positive integer, got ${v}`);
  }
  for (const key of Object.keys(DEFAULT_HYPARVIEW_CONFIG) as (keyof HyParViewConfig)[]) {
    const v = config[key];
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`HyParView: ${key} must be a non-negative number, got ${v}`);
  }
  return Object.freeze(config);
}

function stripUndefined<T extends object>(o: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
