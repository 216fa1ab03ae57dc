/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's algorithm
 * (`tools/leaderelection`), so only one operator replica reconciles at a time.
 *
 * - Every `retryPeriod` (jittered by up to 1.2×, client-go's JitterFactor) a candidate reads the
 *   Lease and {@link decideLeadership} says: **acquire** (no lease, released, or expired),
 *   **renew** (it is ours) or **wait** (someone else holds a valid lease).
 * - Expiry is judged by *when this process observed the record change* plus
 *   `leaseDurationSeconds`, not by the `renewTime` written by another machine: clocks of
 *   different machines are not compared (client-go's `observedTime`).
 * - Writes are optimistic: the Lease is replaced with the resourceVersion that was read; a 409
 *   Conflict means another candidate wrote first, and this attempt simply failed.
 * - The leader renews every `retryPeriod`; if it cannot renew within `renewDeadline` of its last
 *   successful renewal it stops leading and calls `onStoppedLeading` (the operator should then
 *   exit or stop its controllers: another replica may soon be leading).
 * - On graceful shutdown the leader releases the lease (empty holder, `leaseDurationSeconds: 1`)
 *   so a standby takes over within a retry period instead of a lease duration.
 * - **Acting only while leadership is valid.** {@link LeaderElector.grant} is what a leader acts
 *   with: its identity, the Lease's `leaseTransitions` (the fencing generation: it grows on every
 *   change of holder, so a newer leader always has a greater one) and the time until which it may
 *   act, {@link leadershipValidUntil}: the start of its last successful renewal plus
 *   `renewDeadline`. A standby takes over only after it saw that renewal's record unchanged for
 *   `leaseDuration` (> `renewDeadline`), so the old leader's validity ends at least
 *   `leaseDuration − renewDeadline` (5 s by default) before the standby can act, whatever stopped
 *   it renewing (a partition, a paused process). Callers check the grant before every action and
 *   cap their deadlines at its end; its signal aborts when leading stops.
 *
 * Defaults are client-go's: lease 15 s, renew deadline 10 s, retry period 2 s.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { CoordinationV1Api, KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type winston from 'winston';
import { isConflict, isNotFound } from './api-errors.js';
import { systemClock, type Clock } from './clock.js';
import { defaultLogger, errorMessage } from './log.js';
import type { ControllerMetrics } from './metrics.js';

/** client-go's default LeaseDuration: how long a lease is valid after it was last seen renewed. */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
/** client-go's default RenewDeadline: how long the leader keeps retrying a renewal before giving up. */
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
/** client-go's default RetryPeriod: the pause between attempts. */
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go's JitterFactor: waits are `retryPeriod * (1 + random * 1.2)` while not leading. */
export const JITTER_FACTOR = 1.2;
/** Largest `leaseTransitions`: an int32 in coordination.k8s.io/v1. */
export const MAX_LEASE_TRANSITIONS = 2_147_483_647;

/** The leader-election fields of a Lease, times in ms since the epoch. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTimeMs?: number;
  renewTimeMs?: number;
  leaseTransitions: number;
}

/** A record as this process last saw it, and when it first saw that version. */
export interface ObservedLease {
  record: LeaseRecord;
  /** The Lease's resourceVersion (used to detect change and for the optimistic write). */
  resourceVersion: string;
  /** Local time at which this record (this resourceVersion) was first observed. */
  observedAtMs: number;
}

/** What to do with the lease now. */
export type LeaderDecision = 'acquire' | 'renew' | 'wait';

/**
 * The pure decision: given the lease as last observed (undefined: no Lease object exists), the
 * local time and our identity.
 */
export function decideLeadership(observed: ObservedLease | undefined, nowMs: number, identity: string): LeaderDecision {
  if (observed === undefined) return 'acquire';
  const { record } = observed;
  if (record.holderIdentity === identity) return 'renew';
  if (record.holderIdentity === '') return 'acquire';
  const expiresAt = observed.observedAtMs + record.leaseDurationSeconds * 1000;
  return nowMs >= expiresAt ? 'acquire' : 'wait';
}

/** Folds a freshly read record into the observation: the timestamp moves only when the record changed. */
export function observe(previous: ObservedLease | undefined, record: LeaseRecord, resourceVersion: string, nowMs: number): ObservedLease {
  if (previous !== undefined && previous.resourceVersion === resourceVersion) return previous;
  return { record, resourceVersion, observedAtMs: nowMs };
}

/**
 * The record to write for an `acquire` or `renew` decision. `minTransitions` raises
 * `leaseTransitions` to at least that value ({@link LeaderElector.raiseGeneration}).
 */
export function nextRecord(
  current: LeaseRecord | undefined,
  decision: 'acquire' | 'renew',
  identity: string,
  nowMs: number,
  leaseDurationMs: number,
  minTransitions = 0,
): LeaseRecord {
  const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
  if (decision === 'renew' && current !== undefined) {
    return { ...current, leaseDurationSeconds, renewTimeMs: nowMs, leaseTransitions: Math.max(current.leaseTransitions, minTransitions) };
  }
  const transitions = current === undefined ? 0 : current.holderIdentity === identity ? current.leaseTransitions : current.leaseTransitions + 1;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTimeMs: nowMs,
    renewTimeMs: nowMs,
    leaseTransitions: Math.max(transitions, minTransitions),
  };
}

/**
 * Until when a leader may act (local ms): the start of its last successful acquire or renew
 * (taken before the read, so it is never later than the write other candidates observe) plus
 * `renewDeadline`. See the file comment for why this ends before any standby can take over.
 */
export function leadershipValidUntil(renewStartedAtMs: number, renewDeadlineMs: number): number {
  return renewStartedAtMs + renewDeadlineMs;
}

/** What a leader acts with, from {@link LeaderElector.grant}. */
export interface LeadershipGrant {
  /** The holder identity written to the Lease. */
  readonly identity: string;
  /** The Lease's `leaseTransitions` as this leader holds it: its fencing generation. */
  readonly generation: number;
  /** Local time (ms, the elector's clock) after which it must not act ({@link leadershipValidUntil}). */
  readonly validUntilMs: number;
  /** Aborts when this process stops leading (lost, or stopping). */
  readonly signal: AbortSignal;
}

/** The record a leader writes when it steps down: no holder, 1 s duration (client-go's release). */
export function releasedRecord(current: LeaseRecord, nowMs: number): LeaseRecord {
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTimeMs: nowMs, renewTimeMs: nowMs, leaseTransitions: current.leaseTransitions };
}

/** Storage of the lease record; `write` throws on a conflict (`isConflict`). */
export interface LeaseStore {
  /** The current record and its resourceVersion, or undefined when no Lease exists. */
  read(): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined>;
  /** Creates the Lease (resourceVersion undefined) or replaces it if unchanged since `resourceVersion`. Returns the new resourceVersion. */
  write(record: LeaseRecord, resourceVersion: string | undefined): Promise<string>;
  /** Human-readable name for logs and metric labels ("namespace/name"). */
  readonly description: string;
}

function toMs(t: unknown): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isNaN(ms) ? undefined : ms;
}

/** A {@link LeaseStore} on a real `coordination.k8s.io/v1` Lease. */
export function kubernetesLeaseStore(kubeConfig: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const toLease = (record: LeaseRecord, resourceVersion: string | undefined): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      leaseTransitions: record.leaseTransitions,
      ...(record.acquireTimeMs !== undefined ? { acquireTime: new V1MicroTime(record.acquireTimeMs) } : {}),
      ...(record.renewTimeMs !== undefined ? { renewTime: new V1MicroTime(record.renewTimeMs) } : {}),
    },
  });
  return {
    description: `${namespace}/${name}`,
    async read() {
      let lease: V1Lease;
      try {
        lease = await api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const spec = lease.spec ?? {};
      const acquireTimeMs = toMs(spec.acquireTime);
      const renewTimeMs = toMs(spec.renewTime);
      return {
        resourceVersion: lease.metadata?.resourceVersion ?? '',
        record: {
          holderIdentity: spec.holderIdentity ?? '',
          leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
          leaseTransitions: spec.leaseTransitions ?? 0,
          ...(acquireTimeMs !== undefined ? { acquireTimeMs } : {}),
          ...(renewTimeMs !== undefined ? { renewTimeMs } : {}),
        },
      };
    },
    async write(record, resourceVersion) {
      const body = toLease(record, resourceVersion);
      const written =
        resourceVersion === undefined ? await api.createNamespacedLease({ namespace, body }) : await api.replaceNamespacedLease({ name, namespace, body });
      return written.metadata?.resourceVersion ?? '';
    },
  };
}

/** A unique candidate identity: the pod name (POD_NAME, else the hostname) plus a random suffix. */
export function defaultIdentity(podName = process.env['POD_NAME'] ?? hostname()): string {
  return `${podName}_${randomBytes(4).toString('hex')}`;
}

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  store: LeaseStore;
  /** Defaults to {@link defaultIdentity}(). */
  identity?: string;
  /** Defaults to 15,000 ms. Must exceed `renewDeadlineMs`. */
  leaseDurationMs?: number;
  /** Defaults to 10,000 ms. Must exceed `retryPeriodMs * 1.2`. */
  renewDeadlineMs?: number;
  /** Defaults to 2,000 ms. */
  retryPeriodMs?: number;
  /** Called when this process becomes leader; the signal aborts when it stops leading. */
  onStartedLeading?: (signal: AbortSignal) => void;
  /** Called when this process stops leading (lost the lease, or stopped). */
  onStoppedLeading?: () => void;
  /** Called when a different holder is observed (including this one). */
  onNewLeader?: (identity: string) => void;
  /** Release the lease when stopped while leading. Defaults to true. */
  releaseOnStop?: boolean;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Jitter source in [0, 1). Defaults to Math.random. */
  random?: () => number;
  /** Defaults to no metrics. */
  metrics?: ControllerMetrics;
  /** Defaults to the shared JSON logger. */
  logger?: winston.Logger;
}

/** Competes for a Lease and keeps renewing it while leading. */
export class LeaderElector {
  readonly identity: string;
  private readonly store: LeaseStore;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnStop: boolean;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: winston.Logger;
  private observed: ObservedLease | undefined;
  private leading = false;
  private lastReportedLeader: string | undefined;
  private leadershipAbort: AbortController | undefined;
  /** Start of the last successful acquire or renew (local ms). */
  private renewedAtMs: number | undefined;
  /** `leaseTransitions` the next write raises the Lease to ({@link raiseGeneration}). */
  private minTransitions = 0;
  private readonly stopAbort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.store = options.store;
    this.identity = options.identity ?? defaultIdentity();
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    this.releaseOnStop = options.releaseOnStop ?? true;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? defaultLogger();
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) throw new Error('renewDeadline must be greater than retryPeriod*1.2');
    if (this.identity === '') throw new Error('identity must not be empty');
  }

  /** Whether this process currently holds the lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /**
   * What this process may act with now: undefined unless it leads, has not been asked to stop,
   * and its leadership is still valid ({@link leadershipValidUntil}).
   */
  grant(): LeadershipGrant | undefined {
    const observed = this.observed;
    const signal = this.leadershipAbort?.signal;
    if (!this.leading || this.stopAbort.signal.aborted || signal === undefined || signal.aborted) return undefined;
    if (this.renewedAtMs === undefined || observed === undefined || observed.record.holderIdentity !== this.identity) return undefined;
    const validUntilMs = leadershipValidUntil(this.renewedAtMs, this.renewDeadlineMs);
    if (this.clock.now() >= validUntilMs) return undefined;
    return { identity: this.identity, generation: observed.record.leaseTransitions, validUntilMs, signal };
  }

  /**
   * Asks that the Lease's generation be raised to at least `generation` at the next acquire or
   * renew: a sidecar obeys a token at or above ours, which happens only when the Lease was deleted
   * and recreated (its `leaseTransitions` started again at 0). Only the holder's own successful
   * write raises it, so this never lets two leaders act. Ignored beyond {@link MAX_LEASE_TRANSITIONS}.
   */
  raiseGeneration(generation: number): void {
    if (!Number.isSafeInteger(generation) || generation > MAX_LEASE_TRANSITIONS) return;
    if (generation > this.minTransitions) {
      this.minTransitions = generation;
      this.logger.info('raising the Lease generation past one a sidecar obeys', { lease: this.store.description, generation });
    }
  }

  /** The holder this process last observed ('' when none). */
  observedLeader(): string {
    return this.observed?.record.holderIdentity ?? '';
  }

  /**
   * Acquires the lease (waiting as long as needed), then renews it until it is lost or `stop()` is
   * called. Resolves when this candidate stops leading or is stopped.
   */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops competing; a leader releases the lease first (unless `releaseOnStop` is false). */
  async stop(): Promise<void> {
    this.stopAbort.abort();
    // Nothing acts from here on, before the release lets a standby take over.
    this.leadershipAbort?.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const stop = this.stopAbort.signal;
    // Acquire.
    while (!stop.aborted) {
      if (await this.tryAcquireOrRenew()) break;
      await this.clock.sleep(this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR), stop);
    }
    if (stop.aborted) return;
    this.becomeLeader();
    // Renew.
    while (!stop.aborted) {
      const renewed = await this.renewWithinDeadline(stop);
      if (stop.aborted) break;
      if (!renewed) {
        this.logger.warn('failed to renew the lease within the renew deadline; stopping leading', { lease: this.store.description, identity: this.identity });
        this.loseLeadership();
        return;
      }
      await this.clock.sleep(this.retryPeriodMs, stop);
    }
    if (this.releaseOnStop) await this.release();
    this.loseLeadership();
  }

  /**
   * Retries the renewal every retryPeriod until it succeeds or the leadership's validity ends
   * (the last success + renewDeadline; client-go counts renewDeadline from the start of this
   * round instead, up to a retry period later). Giving up exactly when the grant expires leaves no
   * time in which this process leads but may not act.
   */
  private async renewWithinDeadline(stop: AbortSignal): Promise<boolean> {
    const deadline = leadershipValidUntil(this.renewedAtMs ?? this.clock.now(), this.renewDeadlineMs);
    for (;;) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return false;
      const ok = await this.withDeadline(this.tryAcquireOrRenew(), remaining);
      if (ok) return true;
      if (stop.aborted) return false;
      await this.clock.sleep(Math.min(this.retryPeriodMs, Math.max(0, deadline - this.clock.now())), stop);
      if (stop.aborted) return false;
    }
  }

  /** Resolves false when `attempt` has not resolved within `ms` (the attempt keeps running). */
  private withDeadline(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = this.clock.setTimer(ms, () => resolve(false));
      void attempt.then((ok) => {
        timer.cancel();
        resolve(ok);
      });
    });
  }

  /** One round of client-go's tryAcquireOrRenew: read, decide, write. True when we hold the lease. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    let current: Awaited<ReturnType<LeaseStore['read']>>;
    try {
      current = await this.store.read();
    } catch (err) {
      this.logger.warn('error reading the lease', { lease: this.store.description, error: errorMessage(err) });
      return false;
    }
    if (current !== undefined) {
      this.observed = observe(this.observed, current.record, current.resourceVersion, now);
      this.reportLeader(current.record.holderIdentity);
    } else {
      this.observed = undefined;
    }
    const decision = decideLeadership(this.observed, now, this.identity);
    if (decision === 'wait') return false;
    const record = nextRecord(current?.record, decision, this.identity, now, this.leaseDurationMs, this.minTransitions);
    try {
      const resourceVersion = await this.store.write(record, current?.resourceVersion);
      this.observed = { record, resourceVersion, observedAtMs: now };
      this.renewedAtMs = now;
      this.reportLeader(this.identity);
      return true;
    } catch (err) {
      if (isConflict(err)) {
        this.logger.debug('lease changed while writing; another candidate won this round', { lease: this.store.description });
      } else {
        this.logger.warn('error writing the lease', { lease: this.store.description, error: errorMessage(err) });
      }
      return false;
    }
  }

  /** Steps down: writes a released record if the lease is still ours. */
  private async release(): Promise<void> {
    const observed = this.observed;
    if (!this.leading || observed === undefined || observed.record.holderIdentity !== this.identity) return;
    try {
      await this.store.write(releasedRecord(observed.record, this.clock.now()), observed.resourceVersion);
      this.logger.info('released the lease', { lease: this.store.description, identity: this.identity });
    } catch (err) {
      this.logger.warn('failed to release the lease', { lease: this.store.description, error: errorMessage(err) });
    }
  }

  private becomeLeader(): void {
    this.leading = true;
    this.leadershipAbort = new AbortController();
    // Every Control call in flight listens on it (control-client.ts): no listener limit.
    setMaxListeners(0, this.leadershipAbort.signal);
    this.options.metrics?.leader.set({ lease: this.store.description }, 1);
    this.logger.info('became leader', { lease: this.store.description, identity: this.identity });
    this.options.onStartedLeading?.(this.leadershipAbort.signal);
  }

  private loseLeadership(): void {
    if (!this.leading) return;
    this.leading = false;
    this.leadershipAbort?.abort();
    this.options.metrics?.leader.set({ lease: this.store.description }, 0);
    this.logger.info('stopped leading', { lease: this.store.description, identity: this.identity });
    this.options.onStoppedLeading?.();
  }

  private reportLeader(holder: string): void {
    if (holder === this.lastReportedLeader || holder === '') return;
    this.lastReportedLeader = holder;
    this.options.onNewLeader?.(holder);
  }
}
