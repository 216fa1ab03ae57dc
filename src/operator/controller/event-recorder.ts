/**
 * Kubernetes Events (`events.k8s.io/v1`) so `kubectl describe` tells the story of an object.
 *
 * - `regarding` carries apiVersion, kind, namespace, name, uid and resourceVersion: `kubectl
 *   describe` finds events by the regarded object's uid/name/kind, so a reference without the uid
 *   would not show.
 * - Aggregation like client-go's events/v1 recorder: an event with the same (regarding, type,
 *   reason, action, note) as one recorded less than `seriesWindowMs` (10 min) ago does not create a
 *   new Event; it bumps that Event's `series.count` and `series.lastObservedTime` instead (merge
 *   patch). A controller that retries in a loop therefore leaves one line with a count.
 * - Spam filter like client-go's `EventSourceObjectSpamFilter`: per regarded object a token bucket
 *   of 25 events refilled at 1 per 5 minutes; events beyond it (different notes in a hot loop) are
 *   dropped, logged at debug and counted. Series bumps of an existing Event are not limited.
 * - Recording never throws: an Event is diagnostic, so a failure is logged and counted, and the
 *   reconcile goes on.
 */
import {
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type EventsV1Event,
  type KubernetesObject,
  type V1ObjectReference,
} from '@kubernetes/client-node';
import type winston from 'winston';
import { isNotFound } from './api-errors.js';
import { systemClock, type Clock } from './clock.js';
import { defaultLogger, errorMessage } from './log.js';
import type { ControllerMetrics } from './metrics.js';
import { BucketRateLimiter } from './rate-limiter.js';

/** The reportingController of every Event this operator writes. */
export const REPORTING_CONTROLLER = 'topology.foundation.dev/operator';
/** Repeats less than this long after the last one join its series (the brief's 10 minutes; client-go's event correlator also uses 10 min). */
export const DEFAULT_SERIES_WINDOW_MS = 10 * 60_000;
/** client-go's spam filter: events per object allowed at once. */
export const DEFAULT_SPAM_BURST = 25;
/** client-go's spam filter: refill rate, 1 event per 5 minutes. */
export const DEFAULT_SPAM_QPS = 1 / 300;
/** The API server rejects notes over 1 kB. */
export const MAX_NOTE_LENGTH = 1024;

/** Normal (expected progress) or Warning (something needs attention). */
export type EventType = 'Normal' | 'Warning';

/** What an Event says. */
export interface EventInput {
  type: EventType;
  /** UpperCamelCase machine-readable cause, e.g. "SwitchStarted". */
  reason: string;
  /** UpperCamelCase action taken, e.g. "Prepare". */
  action: string;
  /** Human-readable detail (truncated to 1 kB). */
  note: string;
  /** A second object involved, e.g. the Pod of a member. */
  related?: V1ObjectReference;
}

/** A full reference to `object` (apiVersion, kind, namespace, name, uid, resourceVersion). */
export function referenceTo(object: KubernetesObject): V1ObjectReference {
  const md = object.metadata ?? {};
  const ref: V1ObjectReference = {};
  if (object.apiVersion !== undefined) ref.apiVersion = object.apiVersion;
  if (object.kind !== undefined) ref.kind = object.kind;
  if (md.namespace !== undefined) ref.namespace = md.namespace;
  if (md.name !== undefined) ref.name = md.name;
  if (md.uid !== undefined) ref.uid = md.uid;
  if (md.resourceVersion !== undefined) ref.resourceVersion = md.resourceVersion;
  return ref;
}

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** This replica, e.g. the pod name. Defaults to POD_NAME, else "topology-operator". */
  reportingInstance?: string;
  /** Defaults to {@link REPORTING_CONTROLLER}. */
  reportingController?: string;
  /** Defaults to 10 minutes. */
  seriesWindowMs?: number;
  /** Entries kept for aggregation; the oldest are dropped beyond it. Defaults to 4096 (client-go's LRU size). */
  maxSeries?: number;
  /** New Events allowed at once per regarded object. Defaults to 25 (client-go). */
  spamBurst?: number;
  /** Refill rate of that allowance per second. Defaults to 1/300 (one per 5 minutes, client-go). */
  spamQps?: number;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Defaults to no metrics. */
  metrics?: ControllerMetrics;
  /** Defaults to the shared JSON logger. */
  logger?: winston.Logger;
}

interface SeriesEntry {
  namespace: string;
  name: string;
  count: number;
  lastObservedMs: number;
}

/** Writes Events about objects, aggregating repeats into series. */
export class EventRecorder {
  private readonly api: EventsV1Api;
  private readonly reportingInstance: string;
  private readonly reportingController: string;
  private readonly seriesWindowMs: number;
  private readonly maxSeries: number;
  private readonly clock: Clock;
  private readonly logger: winston.Logger;
  private readonly series = new Map<string, SeriesEntry>();
  private readonly spamBuckets = new Map<string, BucketRateLimiter<string>>();
  private readonly spamBurst: number;
  private readonly spamQps: number;
  private lastNameMs = 0;

  constructor(private readonly options: EventRecorderOptions) {
    this.api = options.kubeConfig.makeApiClient(EventsV1Api);
    this.reportingInstance = options.reportingInstance ?? process.env['POD_NAME'] ?? 'topology-operator';
    this.reportingController = options.reportingController ?? REPORTING_CONTROLLER;
    this.seriesWindowMs = options.seriesWindowMs ?? DEFAULT_SERIES_WINDOW_MS;
    this.maxSeries = options.maxSeries ?? 4096;
    this.spamBurst = options.spamBurst ?? DEFAULT_SPAM_BURST;
    this.spamQps = options.spamQps ?? DEFAULT_SPAM_QPS;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger();
  }

  /** Records an event about `regarding` (an object or a full reference). Never throws. */
  async record(regarding: KubernetesObject | V1ObjectReference, event: EventInput): Promise<void> {
    const ref = isReference(regarding) ? regarding : referenceTo(regarding);
    if (ref.kind === undefined || ref.uid === undefined) {
      this.logger.warn('event regarding an incomplete reference will not show in kubectl describe', { reason: event.reason, regarding: ref });
    }
    const note = event.note.length > MAX_NOTE_LENGTH ? `${event.note.slice(0, MAX_NOTE_LENGTH - 3)}...` : event.note;
    const key = JSON.stringify([ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, event.type, event.reason, event.action, note]);
    const now = this.clock.now();
    const existing = this.series.get(key);
    try {
      if (existing !== undefined && now - existing.lastObservedMs < this.seriesWindowMs) {
        if (await this.bumpSeries(existing, now)) {
          this.options.metrics?.eventsTotal.inc({ type: event.type, outcome: 'aggregated' });
          return;
        }
      }
      if (!this.allowNew(ref)) {
        this.options.metrics?.eventsTotal.inc({ type: event.type, outcome: 'dropped' });
        this.logger.debug('event dropped by the spam filter', {
          reason: event.reason,
          regarding: `${ref.kind ?? ''}/${ref.namespace ?? ''}/${ref.name ?? ''}`,
        });
        return;
      }
      const created = await this.create(ref, { ...event, note }, now);
      this.remember(key, created);
      this.options.metrics?.eventsTotal.inc({ type: event.type, outcome: 'created' });
    } catch (err) {
      this.options.metrics?.eventsTotal.inc({ type: event.type, outcome: 'failed' });
      this.logger.warn('failed to record event', {
        reason: event.reason,
        regarding: `${ref.kind}/${ref.namespace ?? ''}/${ref.name ?? ''}`,
        error: errorMessage(err),
      });
    }
  }

  /** Shorthand for a Normal event. */
  normal(regarding: KubernetesObject | V1ObjectReference, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, { type: 'Normal', reason, action, note });
  }

  /** Shorthand for a Warning event. */
  warning(regarding: KubernetesObject | V1ObjectReference, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, { type: 'Warning', reason, action, note });
  }

  private async create(ref: V1ObjectReference, event: EventInput, now: number): Promise<SeriesEntry> {
    const namespace = ref.namespace ?? 'default';
    // client-go names events "<object name>.<unix nanos in hex>"; make the time strictly increasing.
    const nameMs = Math.max(now, this.lastNameMs + 1);
    this.lastNameMs = nameMs;
    const name = `${ref.name ?? 'unknown'}.${(BigInt(nameMs) * 1_000_000n).toString(16)}`;
    const body: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: new V1MicroTime(now),
      reportingController: this.reportingController,
      reportingInstance: this.reportingInstance,
      action: event.action,
      reason: event.reason,
      note: event.note,
      type: event.type,
      regarding: ref,
      ...(event.related !== undefined ? { related: event.related } : {}),
    };
    await this.api.createNamespacedEvent({ namespace, body });
    return { namespace, name, count: 1, lastObservedMs: now };
  }

  /** Bumps the series of an existing Event; false when that Event is gone (then a new one is created). */
  private async bumpSeries(entry: SeriesEntry, now: number): Promise<boolean> {
    const count = entry.count + 1;
    const patch = { series: { count, lastObservedTime: new V1MicroTime(now) } };
    try {
      await this.api.patchNamespacedEvent(
        { name: entry.name, namespace: entry.namespace, body: patch },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    entry.count = count;
    entry.lastObservedMs = now;
    return true;
  }

  /** Takes a token from the regarded object's bucket; false when it is empty. */
  private allowNew(ref: V1ObjectReference): boolean {
    const key = ref.uid ?? `${ref.kind ?? ''}/${ref.namespace ?? ''}/${ref.name ?? ''}`;
    let bucket = this.spamBuckets.get(key);
    if (bucket === undefined) {
      bucket = new BucketRateLimiter<string>(this.spamQps, this.spamBurst, this.clock);
      this.spamBuckets.set(key, bucket);
      if (this.spamBuckets.size > this.maxSeries) {
        const oldest = this.spamBuckets.keys().next().value;
        if (oldest !== undefined) this.spamBuckets.delete(oldest);
      }
    }
    return bucket.tryTake();
  }

  private remember(key: string, entry: SeriesEntry): void {
    this.series.delete(key);
    this.series.set(key, entry);
    while (this.series.size > this.maxSeries) {
      const oldest = this.series.keys().next().value;
      if (oldest === undefined) break;
      this.series.delete(oldest);
    }
  }
}

function isReference(x: KubernetesObject | V1ObjectReference): x is V1ObjectReference {
  return !('metadata' in x) && ('uid' in x || 'name' in x);
}
