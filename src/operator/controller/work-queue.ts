/**
 * A rate-limited, delaying, de-duplicating work queue with client-go's semantics.
 *
 * - **De-duplication**: a key waiting in the queue is stored once (`dirty` set); adding it again
 *   is a no-op. Reconcilers are level-based, so one pass covers any number of events.
 * - **Never twice at once**: a key handed out by `get()` is in the `processing` set until
 *   `done(key)`. Adding it meanwhile marks it dirty but does not queue it; `done` re-queues it,
 *   so the change that arrived during processing is seen by one more pass.
 * - **Delays**: `addAfter(key, ms)` parks the key until the delay passes; a key parked twice keeps
 *   the earlier time. `addRateLimited(key)` asks the {@link RateLimiter} for the delay (failures
 *   only), `forget(key)` resets the limiter's memory of the key.
 * - **Shutdown**: `shutDown()` stops accepting keys and drops parked ones; `get()` still hands out
 *   keys already queued, then resolves `undefined` for every waiting and future caller.
 *
 * Time comes from an injected {@link Clock}; metrics go to optional {@link WorkQueueMetrics} hooks.
 */
import { systemClock, type Clock, type Timer } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/** Observations a work queue reports (implemented with prom-client in `metrics.ts`). */
export interface WorkQueueMetrics {
  /** The number of keys waiting to be handed out changed. */
  depth(n: number): void;
  /** A key was added (counted even when collapsed into one already waiting). */
  added(): void;
  /** A key was re-added through the rate limiter (a retry after a failure). */
  retried(): void;
  /** Seconds a key waited in the queue before `get()` handed it out. */
  queueLatency(seconds: number): void;
  /** Seconds between `get()` handing a key out and `done(key)`. */
  workDuration(seconds: number): void;
}

/** Options of {@link WorkQueue}; every field is optional. */
export interface WorkQueueOptions {
  /** Retry delays of `addRateLimited`. Defaults to `defaultControllerRateLimiter()` on the same clock. */
  rateLimiter?: RateLimiter<string>;
  /** Time source for delays and latency metrics. Defaults to the system clock. */
  clock?: Clock;
  /** Metric hooks. Defaults to none. */
  metrics?: WorkQueueMetrics;
}

interface Parked {
  readyAt: number;
  timer: Timer;
}

/** The controller's queue of reconcile keys ("namespace/name"). */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly parked = new Map<string, Parked>();
  private readonly enqueuedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private shuttingDown = false;
  private readonly rateLimiter: RateLimiter<string>;
  private readonly clock: Clock;
  private readonly metrics: WorkQueueMetrics | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<string>({ clock: this.clock });
    this.metrics = options.metrics;
  }

  /** Queues `key` now unless it is already waiting; if it is being processed, after `done`. */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.metrics?.added();
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    this.enqueuedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Queues `key` after `ms` milliseconds (at once when `ms <= 0`); the earliest request wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.parked.get(key);
    if (existing !== undefined) {
      if (existing.readyAt <= readyAt) return;
      existing.timer.cancel();
    }
    const timer = this.clock.setTimer(ms, () => {
      this.parked.delete(key);
      this.add(key);
    });
    this.parked.set(key, { readyAt, timer });
  }

  /** Queues `key` after the rate limiter's delay for one more failure of it. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics?.retried();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the rate limiter's failure history of `key` (does not remove it from the queue). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Failures of `key` recorded by the rate limiter since it was last forgotten. */
  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * Hands out the next key, marking it as processing; waits while the queue is empty. Resolves
   * `undefined` once the queue is shut down and empty. The caller must call `done(key)`.
   */
  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined || this.shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` as no longer processing; re-queues it if it was added meanwhile. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.workDuration((this.clock.now() - started) / 1000);
    if (this.dirty.has(key)) this.push(key);
    if (this.processing.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Stops accepting keys, drops delayed ones and releases idle `get()` callers with `undefined`. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const p of this.parked.values()) p.timer.cancel();
    this.parked.clear();
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  /** Resolves once no key is being processed (used for a graceful stop after `shutDown`). */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether `shutDown` was called. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Number of keys waiting to be handed out (not counting delayed or processing keys). */
  len(): number {
    return this.queue.length;
  }

  /** Number of keys parked by `addAfter`/`addRateLimited` and not yet due. */
  delayedLen(): number {
    return this.parked.size;
  }

  /** Whether `key` is currently handed out and not yet `done`. */
  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    this.queue.push(key);
    if (getter !== undefined) {
      getter(this.take());
      return;
    }
    this.metrics?.depth(this.queue.length);
  }

  private take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.metrics?.depth(this.queue.length);
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.clock.now();
    const enqueued = this.enqueuedAt.get(key);
    this.enqueuedAt.delete(key);
    if (enqueued !== undefined) this.metrics?.queueLatency((now - enqueued) / 1000);
    this.startedAt.set(key, now);
    return key;
  }
}
