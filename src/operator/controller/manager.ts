/**
 * The manager: runs an operator replica's controllers under leader election, next to its health
 * endpoint (controller-runtime's `manager`).
 *
 * Life of a replica:
 * 1. The health server starts at once: `/healthz` answers, `/readyz` fails until every informer
 *    has synced, `/metrics` serves the registry.
 * 2. Shared informers start at once too, so a standby keeps a warm cache and can take over fast.
 * 3. Leader election runs; on winning, the controllers start (each waits for its caches).
 *    Without leader election (a single replica, tests) the controllers start right away.
 *    While leading, {@link Manager.leadership} is what the controllers' actions carry and are
 *    bounded by (a fencing generation, and the time until which leadership is valid).
 * 4. On losing the lease, the controllers stop and `done()` resolves `lost-leadership`: the
 *    process should exit (non-zero) and let Kubernetes restart it as a fresh standby, because
 *    another replica may already be reconciling.
 * 5. `stop()` (SIGTERM): controllers stop (in-flight reconciles finish), the lease is released so
 *    a standby takes over within a retry period, informers and the health server close.
 */
import type { Registry } from 'prom-client';
import type winston from 'winston';
import type { Controller } from './controller.js';
import { startHealthServer, type HealthCheck, type HealthServer } from './health.js';
import { LeaderElector, type LeaderElectorOptions, type LeadershipGrant } from './leader-election.js';
import { defaultLogger, errorMessage } from './log.js';
import type { ControllerMetrics } from './metrics.js';

/** Anything with a cache to start and wait for (a `ResourceInformer`). */
export interface ManagedInformer {
  start(): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
}

/** Why a manager finished. */
export type ManagerExit = { reason: 'stopped' } | { reason: 'lost-leadership' } | { reason: 'failed'; error: unknown };

/** Options of {@link Manager}. */
export interface ManagerOptions {
  /** Started while this replica leads. */
  controllers: Controller[];
  /** Started at once and gating `/readyz`. Defaults to none. */
  informers?: ManagedInformer[];
  /** Lease to compete for. Defaults to none: this replica always leads. */
  leaderElection?: Omit<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading' | 'metrics' | 'logger'>;
  /** Served at `/metrics`. */
  registry: Registry;
  /** Leader gauge. Defaults to none. */
  metrics?: ControllerMetrics;
  /** Health server address, or false for none. Defaults to port 8081 on 0.0.0.0. */
  health?: { port?: number; host?: string } | false;
  /** Extra readiness checks. Defaults to none. */
  readyChecks?: HealthCheck[];
  /** Defaults to the shared JSON logger. */
  logger?: winston.Logger;
}

/** Runs controllers under leader election with health endpoints. */
export class Manager {
  private readonly logger: winston.Logger;
  private readonly informers: ManagedInformer[];
  private elector: LeaderElector | undefined;
  private server: HealthServer | undefined;
  private controllersRunning = false;
  private finished = false;
  private resolveDone: (exit: ManagerExit) => void = () => {};
  private readonly donePromise: Promise<ManagerExit>;

  constructor(private readonly options: ManagerOptions) {
    this.logger = options.logger ?? defaultLogger();
    this.informers = options.informers ?? [];
    this.donePromise = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Starts the health server, informers and leader election; resolves once they are under way. */
  async start(): Promise<void> {
    if (this.options.health !== false) {
      this.server = await startHealthServer({
        registry: this.options.registry,
        port: this.options.health?.port ?? 8081,
        host: this.options.health?.host ?? '0.0.0.0',
        readyChecks: [{ name: 'informers-synced', check: () => this.informers.every((i) => i.hasSynced()) }, ...(this.options.readyChecks ?? [])],
      });
    }
    await Promise.all(this.informers.map((i) => i.start()));
    const le = this.options.leaderElection;
    if (le === undefined) {
      this.startControllers();
      return;
    }
    this.elector = new LeaderElector({
      ...le,
      logger: this.logger,
      ...(this.options.metrics !== undefined ? { metrics: this.options.metrics } : {}),
      onStartedLeading: () => this.startControllers(),
      onStoppedLeading: () => {
        if (!this.finished) void this.finish({ reason: 'lost-leadership' });
      },
    });
    void this.elector.run();
  }

  /** The health server's port (useful with port 0), or undefined without one. */
  healthPort(): number | undefined {
    return this.server?.port;
  }

  /**
   * What this replica acts with under leader election ({@link LeaderElector.grant}): undefined
   * when it does not lead, or its leadership is no longer valid. Without leader election there is
   * no grant either; {@link leaderElected} tells the two apart.
   */
  leadership(): LeadershipGrant | undefined {
    return this.elector?.grant();
  }

  /** Asks the elector to raise the Lease generation (`LeaderElector.raiseGeneration`); no-op without election. */
  raiseGeneration(generation: number): void {
    this.elector?.raiseGeneration(generation);
  }

  /** Whether this replica competes for a Lease (its actions must carry a grant). */
  get leaderElected(): boolean {
    return this.options.leaderElection !== undefined;
  }

  /** Whether this replica currently runs the controllers. */
  isLeading(): boolean {
    return this.controllersRunning;
  }

  /** Resolves when the manager finished: stopped, lost the lease, or failed to start a controller. */
  done(): Promise<ManagerExit> {
    return this.donePromise;
  }

  /** Graceful shutdown: stop controllers, release the lease, stop informers and the server. */
  async stop(): Promise<void> {
    await this.finish({ reason: 'stopped' });
  }

  private startControllers(): void {
    if (this.finished || this.controllersRunning) return;
    this.controllersRunning = true;
    this.logger.info('starting controllers', { controllers: this.options.controllers.map((c) => c.name) });
    for (const controller of this.options.controllers) {
      controller.start().catch((error: unknown) => {
        this.logger.error('controller failed to start', { controller: controller.name, error: errorMessage(error) });
        void this.finish({ reason: 'failed', error });
      });
    }
  }

  private async finish(exit: ManagerExit): Promise<void> {
    if (this.finished) return this.donePromise.then(() => undefined);
    this.finished = true;
    this.logger.info('manager stopping', { reason: exit.reason });
    if (this.controllersRunning) await Promise.all(this.options.controllers.map((c) => c.stop()));
    this.controllersRunning = false;
    // Release the lease only after the controllers stopped, so two replicas never reconcile at once.
    await this.elector?.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.server?.close();
    this.resolveDone(exit);
  }
}
