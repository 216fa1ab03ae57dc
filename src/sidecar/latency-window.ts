/**
 * A fixed-size window of recent latency samples with an EWMA, for RTT and delivery latency.
 *
 * Memory is `capacity` numbers whatever the traffic; quantiles are computed on demand over the
 * window (a sort of at most `capacity` numbers, done only when metrics are read).
 */

/** Samples kept per window: enough for a stable p99 (10 samples above it). */
export const DEFAULT_WINDOW_CAPACITY = 1024;

/** Weight of a new sample in the EWMA; 0.2 follows a change within ~10 samples (wild guess, common choice). */
export const DEFAULT_EWMA_ALPHA = 0.2;

/** Recent samples, an EWMA and a count. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;
  private ewmaValue: number | undefined;
  count = 0;

  constructor(
    readonly capacity: number = DEFAULT_WINDOW_CAPACITY,
    readonly alpha: number = DEFAULT_EWMA_ALPHA,
  ) {}

  /** Records one sample (ms). */
  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const v = Math.max(0, ms);
    if (this.samples.length < this.capacity) this.samples.push(v);
    else this.samples[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    this.ewmaValue = this.ewmaValue === undefined ? v : this.alpha * v + (1 - this.alpha) * this.ewmaValue;
    this.count++;
  }

  /** The EWMA, or 0 with no samples. */
  ewma(): number {
    return this.ewmaValue ?? 0;
  }

  /** The q-quantile (0..1) of the window by nearest rank, or 0 with no samples. */
  quantile(q: number): number {
    return quantile(this.samples, q);
  }
}

/** Nearest-rank quantile of `values` (unsorted); 0 for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
