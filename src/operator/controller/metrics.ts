/**
 * Prometheus metrics of the controller plumbing, named after controller-runtime's and client-go's
 * (`controller_runtime_reconcile_total` → `topology_operator_reconcile_total`,
 * `workqueue_depth` → `topology_operator_workqueue_depth`, ...), registered on an injected
 * prom-client `Registry` so tests and several operators in one process do not collide.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WorkQueueMetrics } from './work-queue.js';

/** Prefix of every metric name. */
export const METRIC_PREFIX = 'topology_operator_';

/** Reconcile outcomes as they appear in the `result` label. */
export type ReconcileResultLabel = 'success' | 'requeue_after' | 'error' | 'terminal_error';

// Exponential buckets like client-go's workqueue metrics: 1 µs ... ~16 min would be too wide;
// 1 ms ... ~65 s in 17 powers of two covers reconciles and queue waits.
const DURATION_BUCKETS = Array.from({ length: 17 }, (_, i) => 0.001 * 2 ** i);

/** All metrics of the controller plumbing, on one registry. */
export class ControllerMetrics {
  /** Reconciles by controller and result. */
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  /** Reconciles that threw (retried and terminal). */
  readonly reconcileErrorsTotal: Counter<'controller'>;
  /** Reconciles that threw a TerminalError (not retried). */
  readonly terminalReconcileErrorsTotal: Counter<'controller'>;
  /** Seconds per reconcile call. */
  readonly reconcileDuration: Histogram<'controller'>;
  /** Workers currently inside the reconciler. */
  readonly activeWorkers: Gauge<'controller'>;
  /** Configured worker count. */
  readonly maxConcurrentReconciles: Gauge<'controller'>;
  /** Keys waiting in a work queue. */
  readonly workqueueDepth: Gauge<'name'>;
  /** Keys added to a work queue. */
  readonly workqueueAdds: Counter<'name'>;
  /** Keys re-added after a failure. */
  readonly workqueueRetries: Counter<'name'>;
  /** Seconds a key waited before being handed out. */
  readonly workqueueQueueDuration: Histogram<'name'>;
  /** Seconds a key was being processed. */
  readonly workqueueWorkDuration: Histogram<'name'>;
  /** 1 while this process holds the lease, else 0. */
  readonly leader: Gauge<'lease'>;
  /** Informer restarts after a list/watch error. */
  readonly informerRestarts: Counter<'resource'>;
  /** Events by type and outcome: created, aggregated (into a series), dropped (spam filter), failed. */
  readonly eventsTotal: Counter<'type' | 'outcome'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.reconcileTotal = new Counter({
      name: `${METRIC_PREFIX}reconcile_total`,
      help: 'Total number of reconciliations per controller and result.',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrorsTotal = new Counter({
      name: `${METRIC_PREFIX}reconcile_errors_total`,
      help: 'Total number of reconciliation errors per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.terminalReconcileErrorsTotal = new Counter({
      name: `${METRIC_PREFIX}terminal_reconcile_errors_total`,
      help: 'Total number of terminal reconciliation errors (not retried) per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: `${METRIC_PREFIX}reconcile_duration_seconds`,
      help: 'Length of time per reconciliation per controller.',
      labelNames: ['controller'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.activeWorkers = new Gauge({
      name: `${METRIC_PREFIX}active_workers`,
      help: 'Number of currently used workers per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.maxConcurrentReconciles = new Gauge({
      name: `${METRIC_PREFIX}max_concurrent_reconciles`,
      help: 'Maximum number of concurrent reconciles per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.workqueueDepth = new Gauge({
      name: `${METRIC_PREFIX}workqueue_depth`,
      help: 'Current depth of the work queue.',
      labelNames: ['name'],
      registers,
    });
    this.workqueueAdds = new Counter({
      name: `${METRIC_PREFIX}workqueue_adds_total`,
      help: 'Total number of adds handled by the work queue.',
      labelNames: ['name'],
      registers,
    });
    this.workqueueRetries = new Counter({
      name: `${METRIC_PREFIX}workqueue_retries_total`,
      help: 'Total number of retries handled by the work queue.',
      labelNames: ['name'],
      registers,
    });
    this.workqueueQueueDuration = new Histogram({
      name: `${METRIC_PREFIX}workqueue_queue_duration_seconds`,
      help: 'How long in seconds an item stays in the work queue before being requested.',
      labelNames: ['name'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.workqueueWorkDuration = new Histogram({
      name: `${METRIC_PREFIX}workqueue_work_duration_seconds`,
      help: 'How long in seconds processing an item from the work queue takes.',
      labelNames: ['name'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.leader = new Gauge({
      name: `${METRIC_PREFIX}leader`,
      help: 'Whether this process holds the leader-election lease (1) or not (0).',
      labelNames: ['lease'],
      registers,
    });
    this.informerRestarts = new Counter({
      name: `${METRIC_PREFIX}informer_restarts_total`,
      help: 'Total number of informer restarts after a list or watch error, per resource.',
      labelNames: ['resource'],
      registers,
    });
    this.eventsTotal = new Counter({
      name: `${METRIC_PREFIX}events_total`,
      help: 'Kubernetes Events recorded, by type and outcome (created, aggregated, dropped, failed).',
      labelNames: ['type', 'outcome'],
      registers,
    });
  }

  /** Work queue hooks that feed this registry under the queue's `name` label. */
  workQueue(name: string): WorkQueueMetrics {
    return {
      depth: (n) => this.workqueueDepth.set({ name }, n),
      added: () => this.workqueueAdds.inc({ name }),
      retried: () => this.workqueueRetries.inc({ name }),
      queueLatency: (s) => this.workqueueQueueDuration.observe({ name }, s),
      workDuration: (s) => this.workqueueWorkDuration.observe({ name }, s),
    };
  }
}
