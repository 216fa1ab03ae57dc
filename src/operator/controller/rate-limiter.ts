/**
 * Rate limiters for retrying failed work items (client-go `workqueue` rate limiters).
 *
 * A rate limiter answers "how long should this item wait before it is retried?". It is only for
 * failures: a reconciler that wants to poll returns `requeueAfter`, which bypasses it entirely.
 *
 * The default ({@link defaultControllerRateLimiter}) is client-go's
 * `DefaultControllerRateLimiter`: the maximum of
 * - a per-item exponential backoff, `delay = baseDelayMs * 2^failures`, capped at `maxDelayMs`
 *   (5 ms, 10 ms, 20 ms, ... reaching the 1000 s cap after ~18 failures), reset by `forget`;
 * - an overall token bucket of `qps` tokens per second with a `burst` capacity (10 qps, 100 burst),
 *   so a storm of failing items cannot hammer the API server even when each item is new.
 */
import { systemClock, type Clock } from './clock.js';

/** Decides retry delays for failing items and tracks how often each item failed. */
export interface RateLimiter<T> {
  /** Records one more failure of `item` and returns how long (ms) it should wait before retrying. */
  when(item: T): number;
  /** Forgets `item`'s failures: its next failure starts again at the base delay. */
  forget(item: T): void;
  /** How many failures of `item` have been recorded since it was last forgotten. */
  numRequeues(item: T): number;
}

/** Defaults of the per-item exponential backoff (client-go's DefaultControllerRateLimiter). */
export const DEFAULT_BASE_DELAY_MS = 5;
/** 1000 s, client-go's DefaultControllerRateLimiter cap. */
export const DEFAULT_MAX_DELAY_MS = 1_000_000;
/** Overall retry rate of the token bucket (client-go: `rate.Limit(10)`). */
export const DEFAULT_QPS = 10;
/** Token bucket capacity (client-go: burst 100). */
export const DEFAULT_BURST = 100;

/** Per-item exponential backoff: `baseDelayMs * 2^failures`, capped at `maxDelayMs`. */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  constructor(
    private readonly baseDelayMs: number = DEFAULT_BASE_DELAY_MS,
    private readonly maxDelayMs: number = DEFAULT_MAX_DELAY_MS,
  ) {}

  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    // 2^exp overflows to Infinity long after the cap is reached; Math.min handles it.
    return Math.min(this.baseDelayMs * 2 ** exp, this.maxDelayMs);
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * A token bucket shared by all items (golang.org/x/time/rate `Reserve().Delay()`): each call takes
 * one token; when the bucket is empty the caller is told how long until its token exists.
 * Tokens refill at `qps` per second up to `burst`.
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number = DEFAULT_QPS,
    private readonly burst: number = DEFAULT_BURST,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: T): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Takes a token only if one is available now (golang.org/x/time/rate `Allow`); never goes into debt. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
      this.last = now;
    }
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** Combines limiters: the delay is the longest any of them asks for. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: readonly RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    // Every limiter must record the failure, so no short-circuit.
    return this.limiters.map((l) => l.when(item)).reduce((a, b) => Math.max(a, b), 0);
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiters.map((l) => l.numRequeues(item)).reduce((a, b) => Math.max(a, b), 0);
  }
}

/** Options of {@link defaultControllerRateLimiter}; every field is optional. */
export interface ControllerRateLimiterOptions {
  /** First retry delay of a failing item. Defaults to 5 ms. */
  baseDelayMs?: number;
  /** Longest retry delay of a failing item. Defaults to 1,000,000 ms (1000 s). */
  maxDelayMs?: number;
  /** Overall retry rate across all items. Defaults to 10 per second. */
  qps?: number;
  /** Retries allowed at once before `qps` applies. Defaults to 100. */
  burst?: number;
  /** Time source of the token bucket. Defaults to the system clock. */
  clock?: Clock;
}

/** client-go's DefaultControllerRateLimiter: max(per-item exponential, overall token bucket). */
export function defaultControllerRateLimiter<T>(options: ControllerRateLimiterOptions = {}): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialFailureRateLimiter<T>(options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS),
    new BucketRateLimiter<T>(options.qps ?? DEFAULT_QPS, options.burst ?? DEFAULT_BURST, options.clock ?? systemClock),
  );
}
