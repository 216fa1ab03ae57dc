/**
 * One container of a pod as a local process: start, probes, restarts with back-off, and stop.
 *
 * Mirrors the kubelet's container lifecycle closely enough for an operator to be tested against it:
 *   - `restartPolicy` Always restarts on any exit, OnFailure on a non-zero exit, Never never; a
 *     restart waits a back-off (base × 2^n, capped; kubelet: 10 s doubling to 300 s, reset after
 *     10 minutes of running), during which the state is Waiting/CrashLoopBackOff.
 *   - startup probe gates liveness and readiness; readiness sets `ready`; `failureThreshold`
 *     consecutive liveness failures kill the process (SIGTERM, then SIGKILL after the grace period)
 *     and the restart policy applies.
 *   - stop: SIGTERM to the process group, SIGKILL after the grace period.
 * stdout and stderr are appended to a log file per container.
 *
 * The runner only reports changes through `onChange`; turning them into a Pod status is
 * node-agent-status.ts's job.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { V1ContainerPort, V1ContainerState, V1Probe } from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { probeTiming, runProbe, type ProbeTarget } from './node-agent-probes.js';
import { HealthProber } from './grpc-health.js';

/** What a container runner needs to run one container. */
export interface ContainerSpec {
  name: string;
  image: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  ports: V1ContainerPort[];
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readinessProbe?: V1Probe;
  livenessProbe?: V1Probe;
  startupProbe?: V1Probe;
  terminationGraceSeconds: number;
  podIP: string;
  rewrite: (s: string) => string;
}

/** Back-off between restarts (kubelet defaults unless configured). */
export interface BackoffConfig {
  baseMs: number;
  maxMs: number;
  /** Running this long without exiting resets the back-off. */
  resetAfterMs: number;
}

/** The kubelet's restart back-off: 10 s doubling to 5 min, reset after 10 min running. */
export const KUBELET_BACKOFF: BackoffConfig = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** The observable state of a container, in the shape of V1ContainerStatus. */
export interface ContainerSnapshot {
  name: string;
  image: string;
  state: V1ContainerState;
  lastState: V1ContainerState;
  restartCount: number;
  ready: boolean;
  started: boolean;
  pid?: number;
  /** True once the container has finished for good (no restart will follow). */
  done: boolean;
}

/** Runs one container; see the file comment. */
export class ContainerRunner {
  private child: ChildProcess | undefined;
  private state: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
  private lastState: V1ContainerState = {};
  private restartCount = 0;
  private ready = false;
  private started = false;
  private done = false;
  private stopping = false;
  private killedByLiveness = false;
  private generation = 0;
  /** Probe loops of one incarnation run while this equals the value they captured. */
  private probeEpoch = 0;
  private consecutiveCrashes = 0;
  private startedAt = 0;
  private timers = new Set<NodeJS.Timeout>();
  private exitWaiters: (() => void)[] = [];

  /** The grpc probes' kept channels. */
  private readonly prober = new HealthProber();

  constructor(
    private readonly spec: ContainerSpec,
    private readonly log: Logger,
    private readonly onChange: () => void,
    private readonly backoff: BackoffConfig = KUBELET_BACKOFF,
  ) {}

  /** A copy of the current state for status reporting. */
  snapshot(): ContainerSnapshot {
    return {
      name: this.spec.name,
      image: this.spec.image,
      state: this.state,
      lastState: this.lastState,
      restartCount: this.restartCount,
      ready: this.ready,
      started: this.started,
      done: this.done,
      ...(this.child?.pid !== undefined && this.state.running ? { pid: this.child.pid } : {}),
    };
  }

  /** Starts the process (first start). */
  start(): void {
    this.launch();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private launch(): void {
    if (this.stopping) return;
    const gen = ++this.generation;
    const [exe, ...args] = this.spec.argv;
    const fd = openSync(this.spec.logFile, 'a');
    writeSync(fd, `--- ${new Date().toISOString()} starting ${this.spec.argv.join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(exe ?? '', args, { cwd: this.spec.cwd, env: this.spec.env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.ready = false;
    this.started = false;
    this.killedByLiveness = false;
    child.once('error', (err) => {
      // Spawn failures (ENOENT, EACCES) end here without an 'exit'.
      if (gen !== this.generation) return;
      this.exited(gen, 128, null, 'StartError', `failed to start ${exe}: ${err.message}`);
    });
    child.once('exit', (code, signal) => this.exited(gen, code, signal));
    if (child.pid === undefined) return;
    this.startedAt = Date.now();
    this.state = { running: { startedAt: new Date() } };
    this.log.info('container started', { container: this.spec.name, pid: child.pid, argv: this.spec.argv });
    this.onChange();
    this.startProbes(++this.probeEpoch);
  }

  private exited(gen: number, code: number | null, signal: NodeJS.Signals | null, reason?: string, message?: string): void {
    if (gen !== this.generation || this.state.terminated) return;
    this.generation++; // a second exit/error event of this process is ignored
    this.probeEpoch++; // and its probe loops stop
    const exitCode = code ?? (signal ? 128 + (signalNumber(signal) ?? 15) : 1);
    const startedAt = this.state.running?.startedAt ?? new Date();
    const why = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    this.state = {
      terminated: {
        exitCode,
        reason: why,
        startedAt,
        finishedAt: new Date(),
        ...(signal ? { signal: signalNumber(signal) ?? 0 } : {}),
        ...(message ? { message } : {}),
      },
    };
    this.ready = false;
    this.log.info('container exited', { container: this.spec.name, exitCode, signal, reason: why });
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    waiters.forEach((w) => w());
    if (this.stopping) {
      this.done = true;
      this.onChange();
      return;
    }
    const policy = this.spec.restartPolicy;
    const restart = policy === 'Always' || (policy === 'OnFailure' && (exitCode !== 0 || this.killedByLiveness));
    if (!restart) {
      this.done = true;
      this.onChange();
      return;
    }
    if (Date.now() - this.startedAt > this.backoff.resetAfterMs) this.consecutiveCrashes = 0;
    const delay = Math.min(this.backoff.baseMs * 2 ** this.consecutiveCrashes, this.backoff.maxMs);
    this.consecutiveCrashes++;
    this.lastState = this.state;
    this.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.spec.name}` } };
    this.onChange();
    this.later(delay, () => {
      if (this.stopping) return;
      this.restartCount++;
      this.launch();
    });
  }

  private startProbes(gen: number): void {
    const { startupProbe, readinessProbe, livenessProbe } = this.spec;
    const target: ProbeTarget = {
      podIP: this.spec.podIP,
      ports: this.spec.ports,
      env: this.spec.env,
      cwd: this.spec.cwd,
      rewrite: this.spec.rewrite,
      grpc: this.prober,
    };
    const afterStartup = (): void => {
      this.started = true;
      if (!readinessProbe) this.ready = true;
      this.onChange();
      if (readinessProbe)
        this.probeLoop(gen, readinessProbe, target, (ok) => {
          if (ok !== this.ready) {
            this.ready = ok;
            this.onChange();
          }
        });
      if (livenessProbe)
        this.probeLoop(gen, livenessProbe, target, (ok, message) => {
          if (!ok) this.livenessFailed(gen, message);
        });
    };
    if (startupProbe) {
      this.probeLoop(gen, startupProbe, target, (ok, message, stop) => {
        if (ok) {
          stop();
          afterStartup();
        } else this.livenessFailed(gen, `startup probe failed: ${message}`);
      });
    } else afterStartup();
  }

  /**
   * Runs a probe every period; reports a result only after the success/failure threshold is met
   * (a transition), as the kubelet does. `stop` ends the loop (startup probe).
   */
  private probeLoop(gen: number, probe: V1Probe, target: ProbeTarget, report: (ok: boolean, message: string, stop: () => void) => void): void {
    const t = probeTiming(probe);
    let successes = 0;
    let failures = 0;
    let stopped = false;
    const stop = (): void => void (stopped = true);
    const tick = async (): Promise<void> => {
      if (stopped || gen !== this.probeEpoch) return;
      const r = await runProbe(probe, target);
      if (stopped || gen !== this.probeEpoch) return;
      if (r.ok) {
        failures = 0;
        if (++successes >= t.successThreshold) report(true, '', stop);
      } else {
        successes = 0;
        if (++failures >= t.failureThreshold) {
          this.log.info('probe failed', { container: this.spec.name, detail: r.message });
          report(false, r.message, stop);
          failures = 0;
        }
      }
      this.later(t.periodMs, () => void tick());
    };
    this.later(t.initialDelayMs, () => void tick());
  }

  private livenessFailed(gen: number, message: string): void {
    if (gen !== this.probeEpoch || !this.child) return;
    this.log.info('liveness failed; killing container', { container: this.spec.name, detail: message });
    this.killedByLiveness = true;
    this.probeEpoch++; // stop this incarnation's probes at once; its exit handler still runs
    void this.kill(this.child, this.spec.terminationGraceSeconds * 1000);
  }

  private async kill(child: ChildProcess, graceMs: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    signalGroup(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      signalGroup(child.pid, 'SIGKILL');
      await exited;
    }
  }

  /** Stops the container for good: SIGTERM, SIGKILL after `graceMs`; resolves when it exited. */
  async stop(graceMs: number = this.spec.terminationGraceSeconds * 1000): Promise<void> {
    this.stopping = true;
    this.prober.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const child = this.child;
    if (child && this.state.running) await this.kill(child, graceMs);
    if (!this.done) {
      this.done = true;
      if (!this.state.terminated) {
        this.lastState = this.state.waiting ? this.lastState : this.state;
      }
      this.onChange();
    }
  }
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return table[sig];
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}
