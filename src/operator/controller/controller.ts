/**
 * The controller: sources fill a work queue with keys, N workers take keys and call the
 * reconciler, and one function ({@link Controller.reconcileHandler} via {@link outcomeOf} and
 * {@link applyOutcome}) maps every outcome to queue operations and metrics in one switch
 * (controller-runtime's `reconcileHandler`):
 *
 * | outcome                 | queue                      | metric result    |
 * |-------------------------|----------------------------|------------------|
 * | `{}`                    | forget                     | success          |
 * | `{ requeueAfter: ms }`  | forget + addAfter(ms)      | requeue_after    |
 * | throws Error            | addRateLimited (backoff)   | error            |
 * | throws TerminalError    | forget (no retry), log     | terminal_error   |
 *
 * The queue guarantees a key is never reconciled by two workers at once. Workers start only after
 * every source has synced its cache. `stop()` stops the sources, shuts the queue down and waits
 * for in-flight reconciles to finish.
 */
import type winston from 'winston';
import { systemClock, type Clock } from './clock.js';
import { defaultLogger, errorMessage } from './log.js';
import type { ControllerMetrics, ReconcileResultLabel } from './metrics.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import { isTerminalError, parseRequestKey, requestKey, type Reconciler, type Request, type Result } from './reconcile.js';
import type { Source } from './source.js';
import { WorkQueue } from './work-queue.js';

/** Options of {@link Controller}. */
export interface ControllerOptions {
  /** Names the controller in logs, metric labels and the work queue. */
  name: string;
  /** The level-based reconcile function. */
  reconciler: Reconciler;
  /** Where keys come from. Defaults to none (use `enqueue`). */
  sources?: Source[];
  /** Workers reconciling different keys at once. Defaults to 1. */
  concurrency?: number;
  /** Error backoff. Defaults to `defaultControllerRateLimiter()` (5 ms..1000 s per key, 10 qps/100 burst). */
  rateLimiter?: RateLimiter<string>;
  /** How long `start` waits for the sources' caches. Defaults to 120,000 ms (controller-runtime: 2 min). */
  cacheSyncTimeoutMs?: number;
  /** How often `start` checks whether the caches synced. Defaults to 100 ms. */
  cacheSyncPollMs?: number;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Defaults to no metrics. */
  metrics?: ControllerMetrics;
  /** Defaults to the shared JSON logger. */
  logger?: winston.Logger;
}

/** The options with every default applied: the one place defaults live. */
type ResolvedOptions = Required<Omit<ControllerOptions, 'metrics'>> & { metrics: ControllerMetrics | undefined };

function resolveOptions(options: ControllerOptions): ResolvedOptions {
  const clock = options.clock ?? systemClock;
  return {
    name: options.name,
    reconciler: options.reconciler,
    sources: options.sources ?? [],
    concurrency: Math.max(1, options.concurrency ?? 1),
    rateLimiter: options.rateLimiter ?? defaultControllerRateLimiter<string>({ clock }),
    cacheSyncTimeoutMs: options.cacheSyncTimeoutMs ?? 120_000,
    cacheSyncPollMs: options.cacheSyncPollMs ?? 100,
    clock,
    metrics: options.metrics,
    logger: options.logger ?? defaultLogger(),
  };
}

/** What one reconcile call amounted to. */
export type ReconcileOutcome =
  { kind: 'success' } | { kind: 'requeue_after'; delayMs: number } | { kind: 'error'; error: unknown } | { kind: 'terminal_error'; error: unknown };

/** Classifies a reconcile call's result (`threw` set when it threw `error`). */
export function outcomeOf(result: Result | void, threw = false, error?: unknown): ReconcileOutcome {
  if (threw) return isTerminalError(error) ? { kind: 'terminal_error', error } : { kind: 'error', error };
  const delayMs = result?.requeueAfter;
  if (delayMs !== undefined && delayMs > 0) return { kind: 'requeue_after', delayMs };
  return { kind: 'success' };
}

/** Where an outcome is applied: the queue plus optional metrics and a logger. */
export interface OutcomeSink {
  queue: WorkQueue;
  controller: string;
  metrics?: ControllerMetrics | undefined;
  logger: winston.Logger;
}

/** THE switch: maps one outcome for `key` to queue operations, metrics and logs. */
export function applyOutcome(sink: OutcomeSink, key: string, outcome: ReconcileOutcome): void {
  const { queue, controller, metrics, logger } = sink;
  const result: ReconcileResultLabel = outcome.kind;
  metrics?.reconcileTotal.inc({ controller, result });
  switch (outcome.kind) {
    case 'success':
      queue.forget(key);
      break;
    case 'requeue_after':
      // Polling is not failure: reset the backoff and bypass the rate limiter.
      queue.forget(key);
      queue.addAfter(key, outcome.delayMs);
      break;
    case 'error':
      metrics?.reconcileErrorsTotal.inc({ controller });
      logger.warn('reconcile failed; retrying with backoff', {
        controller,
        key,
        error: errorMessage(outcome.error),
        requeues: queue.numRequeues(key),
      });
      queue.addRateLimited(key);
      break;
    case 'terminal_error':
      metrics?.reconcileErrorsTotal.inc({ controller });
      metrics?.terminalReconcileErrorsTotal.inc({ controller });
      logger.error('reconcile failed terminally; not retrying until the object changes', {
        controller,
        key,
        error: errorMessage(outcome.error),
      });
      queue.forget(key);
      break;
  }
}

/** Runs a reconciler over the keys its sources produce. */
export class Controller {
  /** The controller's queue (exposed for tests and for sources started elsewhere). */
  readonly queue: WorkQueue;
  private readonly opts: ResolvedOptions;
  private workers: Promise<void>[] = [];
  private started = false;
  private stopping = false;
  private readonly stopSignal = new AbortController();

  constructor(options: ControllerOptions) {
    this.opts = resolveOptions(options);
    this.queue = new WorkQueue({
      clock: this.opts.clock,
      rateLimiter: this.opts.rateLimiter,
      ...(this.opts.metrics !== undefined ? { metrics: this.opts.metrics.workQueue(this.opts.name) } : {}),
    });
  }

  /** The controller's name (logs, metric labels). */
  get name(): string {
    return this.opts.name;
  }

  /** Queues a reconcile of `request` (e.g. from a test or a non-watch trigger). */
  enqueue(request: Request): void {
    this.queue.add(requestKey(request));
  }

  /** Whether every source has synced. */
  hasSynced(): boolean {
    return this.opts.sources.every((s) => s.hasSynced());
  }

  /**
   * Starts the sources, waits until their caches synced (rejects after `cacheSyncTimeoutMs`), then
   * starts `concurrency` workers. Resolves once the workers run.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error(`controller ${this.opts.name} already started`);
    this.started = true;
    const { logger, name, clock } = this.opts;
    for (const source of this.opts.sources) await source.start(this.queue);
    const deadline = clock.now() + this.opts.cacheSyncTimeoutMs;
    while (!this.hasSynced()) {
      if (this.stopping) return;
      if (clock.now() >= deadline) throw new Error(`controller ${name}: caches not synced within ${this.opts.cacheSyncTimeoutMs} ms`);
      await clock.sleep(this.opts.cacheSyncPollMs, this.stopSignal.signal);
    }
    if (this.stopping) return;
    this.opts.metrics?.maxConcurrentReconciles.set({ controller: name }, this.opts.concurrency);
    logger.info('starting workers', { controller: name, workers: this.opts.concurrency });
    for (let i = 0; i < this.opts.concurrency; i++) this.workers.push(this.worker());
  }

  /** Stops sources, shuts the queue down, and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopSignal.abort();
    for (const source of this.opts.sources) await source.stop();
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.opts.logger.info('controller stopped', { controller: this.opts.name });
  }

  private async worker(): Promise<void> {
    for (;;) {
      // After stop, queued keys are not drained: an operator that is stopping hands over to
      // its successor, which re-lists everything anyway.
      if (this.stopping) return;
      const key = await this.queue.get();
      if (key === undefined) return;
      if (this.stopping) {
        this.queue.done(key);
        return;
      }
      await this.reconcileHandler(key);
    }
  }

  /** Reconciles one key and applies its outcome; the key is `done` afterwards in every case. */
  private async reconcileHandler(key: string): Promise<void> {
    const { reconciler, clock, metrics, name, logger } = this.opts;
    const started = clock.now();
    metrics?.activeWorkers.inc({ controller: name });
    let outcome: ReconcileOutcome;
    try {
      outcome = outcomeOf(await reconciler(parseRequestKey(key)));
    } catch (err) {
      outcome = outcomeOf(undefined, true, err);
    }
    metrics?.activeWorkers.dec({ controller: name });
    metrics?.reconcileDuration.observe({ controller: name }, (clock.now() - started) / 1000);
    applyOutcome({ queue: this.queue, controller: name, metrics, logger }, key, outcome);
    this.queue.done(key);
  }
}
