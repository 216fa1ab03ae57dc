/**
 * The fleet the fuzz suite attacks: a loopback fleet of real sidecar processes (one per process),
 * the first `overlaySize` of them forming an overlay that the operator's own reconcile pass
 * switches (FleetOperator), the rest outside it (the Control target), plus what the properties
 * need to judge a sidecar after each batch: is its process alive and serving gRPC health, what do
 * its refusal and last-resort counters say, how much memory does it hold.
 *
 * A sidecar that a case killed is recorded as a crash (with the tail of its log, which has the
 * stack) and started again on the same address and flags, then brought back into the overlay by
 * the operator's pass: fast-check can then go on shrinking the case that killed it against a live
 * sidecar, and the suite's last check fails on any crash recorded. Processes are stopped by pid
 * only (the fleet's own `stopProcess`).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildRoot } from '../../../src/paths.js';
import { loadProto } from '../../../src/rpc/proto.js';
import {
  LoopbackFleet,
  FLEET_APP_PORT,
  FLEET_METRICS_PORT,
  FLEET_PEER_PORT,
  stopProcess,
  type FleetMember,
  type FleetProcess,
} from '../../../src/fleet/loopback-fleet.js';
import { FleetOperator } from '../../../src/fleet/fleet-operator.js';
import { FleetControl } from '../../../src/fleet/fleet-control.js';
import { ControlClient } from '../../../src/rpc/control-client.js';
import { AppClient, waitUntil } from '../../../src/fleet/app-traffic.js';
import { SIDECAR_NODE_FLAGS } from '../../../src/sidecar/node-flags.js';
import type { OverlayKind } from '../../../src/overlays/types.js';
import type { HealthClient } from '../../../src/rpc/generated/grpc/health/v1/Health.js';

/** Deadline of a liveness check (ms): generous for a loaded 2-core machine, short next to a run. */
export const HEALTH_DEADLINE_MS = 5_000;
/** How long a restarted sidecar may take to serve and rejoin the overlay (ms). */
export const RECOVERY_TIMEOUT_MS = 60_000;
/** How long SIGTERM may take before SIGKILL (ms), as the loopback fleet's own stop. */
const STOP_TIMEOUT_MS = 5_000;
/** Log lines of a crashed sidecar kept in its crash record: enough for Node's uncaught-exception stack. */
const CRASH_LOG_LINES = 30;

/** A sidecar process that ended while the suite ran. */
export interface CrashRecord {
  readonly pod: string;
  /** What the suite was doing when the crash was noticed. */
  readonly context: string;
  readonly exit: string;
  /** The end of its log, from a little before the last error (Node's uncaught-exception report). */
  readonly logTail: string;
  /** The error's message up to its first quote, and the sidecar functions it was thrown through: crashes with one cause share it. */
  readonly signature: string;
}

/**
 * The signature of the crash whose log ends with `tail`: the last error's message up to its first
 * quote (what it quotes is the input, which varies), and the functions of the sidecar's own code
 * (dist/src) on its stack, innermost first.
 */
export function crashSignature(tail: string): string {
  const lines = tail.split('\n');
  let at = -1;
  for (let i = 0; i < lines.length; i++) if (/^\w*Error\b.*:/.test(lines[i] as string)) at = i;
  if (at < 0) return 'no error in the log';
  const message = (lines[at] as string).split('"')[0]!.trim();
  const frames: string[] = [];
  for (const line of lines.slice(at + 1)) {
    const m = /^\s+at (?:new )?([\w.<>]+) \(.*\/dist\/src\//.exec(line);
    if (m !== null && frames.length < 8) frames.push(m[1] as string);
  }
  return `${message} (${frames.join(' < ') || 'outside the sidecar code'})`;
}

/**
 * Counters of one sidecar from its /metrics. `refusals` sums every counter of refused input
 * (topology_sidecar_malformed_messages_total, topology_sidecar_unauthenticated_requests_total,
 * and any topology_sidecar_refused_*_total the hardening adds); `uncaught` is
 * topology_sidecar_uncaught_errors_total, undefined while the sidecar does not export it.
 */
export interface SidecarCounters {
  readonly refusals: number;
  readonly malformed: number;
  readonly unauthenticated: number;
  readonly uncaught: number | undefined;
}

/** Counter families that count refused input. */
const REFUSAL_FAMILY = /^topology_sidecar_(malformed_messages|unauthenticated_requests|refused_[a-z_]+)_total$/;
/** The last-resort handler's counter (issue #13: logs and counts rather than exits). */
export const UNCAUGHT_FAMILY = 'topology_sidecar_uncaught_errors_total';

/** Sums the samples of Prometheus text `text` by family name. */
export function sumFamilies(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.set(m[1] as string, (out.get(m[1] as string) ?? 0) + value);
  }
  return out;
}

/** Options of {@link FuzzFleet.start}. */
export interface FuzzFleetOptions {
  /** Members of the overlay. */
  readonly overlaySize: number;
  /** Sidecars outside the overlay. */
  readonly outsiders: number;
  /** The cluster token (default: the loopback fleet's random one). */
  readonly token?: string;
}

/** The fleet, its operator, and the judgement of each sidecar; see the file comment. */
export class FuzzFleet {
  readonly crashes: CrashRecord[] = [];
  /** The process now running each member (a restart replaces it). */
  private readonly procs: FleetProcess[];
  private readonly exits = new Map<FleetProcess, string>();
  /** Clients of each member, by the pid they were made for: a restarted sidecar gets fresh channels, not ones backing off from the dead one. */
  private readonly health = new Map<number, { pid: number; client: HealthClient }>();
  private readonly controls = new Map<number, { pid: number; client: ControlClient }>();
  private restarts = 0;
  /**
   * Brings a restarted sidecar outside the overlay into the state the running properties expect
   * (say, an overlay of its own): a sidecar restarted after a crash must meet the next cases the
   * way the one that crashed did, or shrinking cannot reproduce the crash.
   */
  outsiderSetup: ((index: number) => Promise<void>) | undefined;

  private constructor(
    readonly fleet: LoopbackFleet,
    readonly operator: FleetOperator,
    readonly control: FleetControl,
    readonly overlaySize: number,
    /** The app of each overlay member, subscribed, recording what it receives. */
    readonly apps: AppClient[],
  ) {
    this.procs = fleet.members.map((m) => m.proc);
    for (const p of this.procs) this.watchExit(p);
  }

  /** Starts every sidecar and waits until each serves; the overlay is formed by {@link switchTo}. */
  static async start(options: FuzzFleetOptions): Promise<FuzzFleet> {
    const fleet = await LoopbackFleet.start({
      size: options.overlaySize + options.outsiders,
      ...(options.token !== undefined ? { token: options.token } : {}),
    });
    const ids = fleet.ids().slice(0, options.overlaySize);
    const operator = new FleetOperator(ids, { token: fleet.token });
    const control = new FleetControl(fleet.token);
    const apps = fleet.members.slice(0, options.overlaySize).map((m) => new AppClient(m.id, m.appAddress));
    await Promise.all(apps.map((a) => a.subscribe()));
    return new FuzzFleet(fleet, operator, control, options.overlaySize, apps);
  }

  get token(): string {
    return this.fleet.token;
  }

  get members(): readonly FleetMember[] {
    return this.fleet.members;
  }

  /** Second octet of the fleet's loopback /16 (`127.B.0.0`). */
  block(): number {
    return Number((this.fleet.members[0] as FleetMember).host.split('.')[1]);
  }

  /** Peer addresses of the overlay's members. */
  overlayIds(): string[] {
    return this.fleet.ids().slice(0, this.overlaySize);
  }

  /** Indices of the overlay's members. */
  overlayIndices(): number[] {
    return this.fleet.members.slice(0, this.overlaySize).map((m) => m.index);
  }

  /** The committed epoch of the overlay, as the operator's status has it. */
  epoch(): number {
    return this.operator.status.epoch ?? 0;
  }

  /** The current topology of the overlay. */
  topology(): OverlayKind | undefined {
    return this.operator.status.currentTopology as OverlayKind | undefined;
  }

  /** Switches the overlay with the operator's pass; throws when the switch does not succeed. */
  async switchTo(kind: OverlayKind): Promise<void> {
    const report = await this.operator.switchTo(kind);
    if (!report.ok) throw new Error(`switch to ${kind} ended ${report.result}: ${report.reason}`);
    await this.control.waitFormed(report.epoch, this.overlayIds(), RECOVERY_TIMEOUT_MS, kind);
  }

  /** Pid of the process running member `index` now. */
  pid(index: number): number {
    return (this.procs[index] as FleetProcess).pid;
  }

  /** Why member `index` is not up (its process ended, or it does not answer Health SERVING in time), or undefined. */
  async downReason(index: number): Promise<string | undefined> {
    const proc = this.procs[index] as FleetProcess;
    if (proc.exited) return `process ${proc.pid} exited (${this.exits.get(proc) ?? 'unknown'})`;
    const status = await new Promise<string>((resolve) => {
      this.healthClient(index).Check({ service: '' }, { deadline: Date.now() + HEALTH_DEADLINE_MS }, (err, res) =>
        resolve(err ? `error ${err.code}: ${err.details}` : String(res?.status)),
      );
    });
    if (status === 'SERVING') return undefined;
    // A process that is ending may still answer; its exit is the better explanation.
    await new Promise((r) => setTimeout(r, 100));
    if (proc.exited) return `process ${proc.pid} exited (${this.exits.get(proc) ?? 'unknown'})`;
    return `Health.Check answered ${status}`;
  }

  /** Members whose process has ended (no RPC: a cheap check before each run). */
  exited(): number[] {
    return this.procs.flatMap((p, i) => (p.exited ? [i] : []));
  }

  /**
   * Records member `index` as crashed (`context` says what was going on), restarts it and, for an
   * overlay member, waits until the operator's pass has brought it back onto the committed epoch.
   * Returns the crash record, whose log tail has the sidecar's last words.
   */
  async recover(index: number, context: string): Promise<CrashRecord> {
    const proc = this.procs[index] as FleetProcess;
    if (!proc.exited) await stopProcess(proc, 'SIGKILL', STOP_TIMEOUT_MS);
    const logTail = errorTail(proc.logFile, CRASH_LOG_LINES);
    const record: CrashRecord = {
      pod: (this.fleet.members[index] as FleetMember).pod,
      context,
      exit: this.exits.get(proc) ?? 'killed after it stopped serving',
      logTail,
      signature: crashSignature(logTail),
    };
    this.crashes.push(record);
    await this.respawn(index);
    return record;
  }

  /** Restarts member `index` cleanly (SIGTERM, a fresh process on the same address): a fresh switch state, no crash. */
  async restart(index: number): Promise<void> {
    await stopProcess(this.procs[index] as FleetProcess, 'SIGTERM', STOP_TIMEOUT_MS);
    await this.respawn(index);
  }

  /** The counters of member `index`, or undefined when /metrics does not answer. */
  async counters(index: number): Promise<SidecarCounters | undefined> {
    let text: string;
    try {
      const res = await fetch((this.fleet.members[index] as FleetMember).metricsUrl, { signal: AbortSignal.timeout(HEALTH_DEADLINE_MS) });
      text = await res.text();
    } catch {
      return undefined;
    }
    const sums = sumFamilies(text);
    let refusals = 0;
    for (const [name, v] of sums) if (REFUSAL_FAMILY.test(name)) refusals += v;
    return {
      refusals,
      malformed: sums.get('topology_sidecar_malformed_messages_total') ?? 0,
      unauthenticated: sums.get('topology_sidecar_unauthenticated_requests_total') ?? 0,
      uncaught: sums.get(UNCAUGHT_FAMILY),
    };
  }

  /** Resident set size of member `index`'s process (bytes), from /proc. */
  rss(index: number): number {
    const status = readFileSync(`/proc/${this.pid(index)}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (kb === null) throw new Error(`no VmRSS in /proc/${this.pid(index)}/status`);
    return Number(kb[1]) * 1024;
  }

  /** A Control client (with the fleet token) of member `index`'s current process. */
  controlClient(index: number): ControlClient {
    const pid = this.pid(index);
    const c = this.controls.get(index);
    if (c !== undefined && c.pid === pid) return c.client;
    c?.client.close();
    const client = new ControlClient((this.fleet.members[index] as FleetMember).id, { token: this.fleet.token, timeoutMs: HEALTH_DEADLINE_MS * 2 });
    this.controls.set(index, { pid, client });
    return client;
  }

  /** Closes clients and stops every process (the replacements too). */
  async stop(): Promise<void> {
    for (const a of this.apps) a.close();
    for (const h of this.health.values()) h.client.close();
    for (const c of this.controls.values()) c.client.close();
    this.operator.close();
    this.control.close();
    await this.fleet.stop();
  }

  private healthClient(index: number): HealthClient {
    const pid = this.pid(index);
    const c = this.health.get(index);
    if (c !== undefined && c.pid === pid) return c.client;
    c?.client.close();
    const Health = loadProto().grpc.health.v1.Health;
    const client = new Health((this.fleet.members[index] as FleetMember).id, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    this.health.set(index, { pid, client });
    return client;
  }

  private watchExit(p: FleetProcess): void {
    p.child.once('exit', (code, signal) => this.exits.set(p, signal !== null ? `signal ${signal}` : `exit code ${code}`));
  }

  /**
   * Starts member `index` again with the flags the loopback fleet gives it (src/fleet/loopback-fleet.ts),
   * adds the process to the fleet's list so the fleet's stop ends it too, and waits until it serves
   * and, for an overlay member, runs the committed epoch and its app is subscribed again.
   */
  private async respawn(index: number): Promise<void> {
    const m = this.fleet.members[index] as FleetMember;
    const args = [
      ...SIDECAR_NODE_FLAGS,
      join(buildRoot(), 'src', 'sidecar', 'main.js'),
      '--pod-name',
      m.pod,
      '--namespace',
      'fleet',
      '--pod-ip',
      m.host,
      '--peer-port',
      String(FLEET_PEER_PORT),
      '--app-address',
      `${m.host}:${FLEET_APP_PORT}`,
      '--metrics-port',
      String(FLEET_METRICS_PORT),
      '--token-file',
      join(this.fleet.dir, 'token'),
      '--log-level',
      'warn',
    ];
    const logFile = join(this.fleet.dir, `proc-${index}-restart-${++this.restarts}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], env: { ...process.env } });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`failed to restart ${m.pod}`);
    const proc: FleetProcess = { pid: child.pid, child, logFile, exited: false };
    child.once('exit', () => {
      proc.exited = true;
    });
    this.watchExit(proc);
    this.procs[index] = proc;
    this.fleet.processes.push(proc);
    await waitUntil(
      `${m.pod} serving again (log ${logFile})`,
      async () => !proc.exited && (await this.downReason(index)) === undefined,
      RECOVERY_TIMEOUT_MS,
      100,
    );
    if (index >= this.overlaySize) {
      await this.outsiderSetup?.(index);
      return;
    }
    if (this.epoch() === 0) return;
    const epoch = this.epoch();
    await waitUntil(
      `${m.pod} back on epoch ${epoch}`,
      async () => {
        await this.operator.reconcile();
        const s = await this.controlClient(index).getState(true);
        return s.ok && s.value.activeEpoch === epoch && s.value.routeEpoch === epoch && s.value.stagedEpoch === 0;
      },
      RECOVERY_TIMEOUT_MS,
      200,
    );
    await this.control.waitFormed(epoch, this.overlayIds(), RECOVERY_TIMEOUT_MS);
    // A fresh app client: the old one's channel is backing off from the dead process.
    (this.apps[index] as AppClient).close();
    const app = new AppClient(m.id, m.appAddress);
    this.apps[index] = app;
    await app.subscribe();
  }
}

/** The end of `file` from a few lines before its last error report (at most `lines` lines; '' when it cannot be read). */
function errorTail(file: string, lines: number): string {
  let all: string[];
  try {
    all = readFileSync(file, 'utf8').trimEnd().split('\n');
  } catch {
    return '';
  }
  let at = -1;
  for (let i = 0; i < all.length; i++) if (/^\w*Error\b.*:/.test(all[i] as string)) at = i;
  const from = at < 0 ? all.length - lines : Math.max(0, at - 4);
  return all.slice(Math.max(0, from), Math.max(0, from) + lines).join('\n');
}
