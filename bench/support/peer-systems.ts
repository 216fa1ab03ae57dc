/**
 * The systems `bench:peers` compares, behind one shape so that every measurement (convergence,
 * idle CPU, traffic, memory, a crash) is made by the same code for each: our sidecars running one
 * overlay (a loopback fleet switched to it by the operator's own reconcile pass), and
 * hashicorp/memberlist members gossiping through its TransmitLimitedQueue.
 */
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { FleetControl } from '../../src/fleet/fleet-control.js';
import { FleetOperator, type FleetSwitchReport } from '../../src/fleet/fleet-operator.js';
import { AppClient } from '../../src/fleet/app-traffic.js';
import { MemberlistFleet, type MemberlistFleetOptions } from './memberlist-fleet.js';

/** Name of the memberlist system in rows and on the command line. */
export const MEMBERLIST = 'memberlist';
/** A system the bench can run: one of our overlays, or memberlist. */
export type PeerSystemName = 'FullMesh' | 'HyParView' | typeof MEMBERLIST;
/** App payload of every broadcast (bytes), as bench:sidecars sends. */
export const PAYLOAD_BYTES = 64;
/** How often convergence is polled (ms). */
const CONVERGE_POLL_MS = 50;

/** One process of a running system and the members it holds. */
export interface PeerProcess {
  readonly pid: number;
  readonly members: readonly number[];
  readonly exited: boolean;
}

/** A running fleet of one system, members indexed 0..size-1. */
export interface PeerSystem {
  readonly name: PeerSystemName;
  readonly size: number;
  /** Extra fields for the row (versions, packing). */
  readonly info: Record<string, string>;
  /** Forms the overlay / joins the cluster and resolves when every member sees all `size` members; returns the seconds it took. */
  converge(timeoutMs: number): Promise<number>;
  processes(): PeerProcess[];
  /** Broadcasts from member `index`; resolves to the message id (undefined: the send was refused). */
  broadcast(index: number): Promise<string | undefined>;
  /** What member `index` received since the last reset: message id → deliveries. */
  received(index: number): ReadonlyMap<string, number>;
  /** Send → delivery latencies (ms) since the last reset. */
  latencies(): readonly number[];
  reset(): void;
  /** SIGKILLs process `processIndex` (every member in it). */
  kill(processIndex: number): Promise<void>;
  stop(): Promise<void>;
}

/** Options common to both kinds of fleet. */
export interface PeerStartOptions {
  readonly size: number;
  readonly perProcess: number;
  readonly startTimeoutMs: number;
  readonly callTimeoutMs: number;
}

/** Starts `name` with `size` members, not yet converged. */
export async function startPeerSystem(name: PeerSystemName, options: PeerStartOptions): Promise<PeerSystem> {
  if (name === MEMBERLIST) return MemberlistSystem.start(options);
  return SidecarSystem.start(name, options);
}

/** Our sidecars, one overlay: a loopback fleet switched to `kind` by the operator's reconcile pass. */
class SidecarSystem implements PeerSystem {
  readonly info: Record<string, string> = {};
  private switching: Promise<FleetSwitchReport> | undefined;

  private constructor(
    readonly name: 'FullMesh' | 'HyParView',
    private readonly fleet: LoopbackFleet,
    private readonly apps: readonly AppClient[],
    private readonly operator: FleetOperator,
    private readonly control: FleetControl,
  ) {}

  get size(): number {
    return this.fleet.members.length;
  }

  static async start(kind: 'FullMesh' | 'HyParView', options: PeerStartOptions): Promise<SidecarSystem> {
    const fleet = await LoopbackFleet.start({ size: options.size, perProcess: options.perProcess, startTimeoutMs: options.startTimeoutMs });
    const apps = fleet.members.map((m) => new AppClient(m.id, m.appAddress));
    const operator = new FleetOperator(fleet.ids(), { token: fleet.token, callTimeoutMs: options.callTimeoutMs });
    const control = new FleetControl(fleet.token, options.callTimeoutMs);
    const system = new SidecarSystem(kind, fleet, apps, operator, control);
    try {
      await Promise.all(apps.map((a) => a.subscribe()));
    } catch (err) {
      await system.stop();
      throw err;
    }
    return system;
  }

  /**
   * The operator's pass prepares and routes the overlay; converged once every member's app sees
   * all members on its routed epoch and that epoch's overlay is formed (every link of a FullMesh,
   * a connected graph of HyParView). The switch's own verification windows come after and are
   * not counted; the switch must then succeed.
   */
  async converge(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    const deadline = Date.now() + timeoutMs;
    this.switching = this.operator.switchTo(this.name, { timeoutMs });
    const ids = this.fleet.ids();
    let epoch: number | undefined;
    while (epoch === undefined) {
      const views = await Promise.all(this.apps.map((a) => a.members().catch(() => ({ epoch: 0, members: [] as string[] }))));
      const first = views[0]?.epoch ?? 0;
      if (first > 0 && views.every((v) => v.epoch === first && v.members.length === ids.length)) {
        epoch = first;
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${this.name}: members did not all see ${ids.length} members within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, CONVERGE_POLL_MS));
    }
    await this.control.waitFormed(epoch, ids, Math.max(1, deadline - Date.now()), this.name);
    const seconds = (performance.now() - t0) / 1000;
    const report = await this.switching;
    if (!report.ok) throw new Error(`switch to ${this.name} ended ${report.result}: ${report.reason}`);
    return seconds;
  }

  processes(): PeerProcess[] {
    return this.fleet.processes.map((p) => ({
      pid: p.pid,
      exited: p.exited,
      members: this.fleet.members.filter((m) => m.proc === p).map((m) => m.index),
    }));
  }

  async broadcast(index: number): Promise<string | undefined> {
    const app = this.apps[index];
    if (app === undefined) throw new Error(`no sidecar ${index}`);
    return (await app.send(undefined, Buffer.alloc(PAYLOAD_BYTES, 7)))?.id;
  }

  received(index: number): ReadonlyMap<string, number> {
    return this.apps[index]?.received ?? new Map();
  }

  latencies(): readonly number[] {
    return this.apps.flatMap((a) => a.latencies);
  }

  reset(): void {
    for (const a of this.apps) {
      a.received.clear();
      a.latencies.length = 0;
      a.sent.length = 0;
    }
  }

  async kill(processIndex: number): Promise<void> {
    const p = this.fleet.processes[processIndex];
    const m = this.fleet.members.find((x) => x.proc === p);
    if (m !== undefined) await this.fleet.kill(m.index, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await this.switching?.catch(() => undefined);
    for (const a of this.apps) a.close();
    this.control.close();
    this.operator.close();
    await this.fleet.stop();
  }
}

/** hashicorp/memberlist members (bench/memberlist-agent). */
class MemberlistSystem implements PeerSystem {
  readonly name = MEMBERLIST;
  readonly info: Record<string, string>;

  private constructor(private readonly fleet: MemberlistFleet) {
    this.info = { version: `memberlist ${fleet.version.memberlist} (${fleet.version.go}, DefaultLANConfig)` };
  }

  get size(): number {
    return this.fleet.size;
  }

  static async start(options: PeerStartOptions): Promise<MemberlistSystem> {
    const fleetOptions: MemberlistFleetOptions = { size: options.size, perProcess: options.perProcess, startTimeoutMs: options.startTimeoutMs };
    return new MemberlistSystem(await MemberlistFleet.start(fleetOptions));
  }

  /** Every member joins the seed list; converged once every member counts all members alive. */
  async converge(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    const deadline = Date.now() + timeoutMs;
    this.fleet.join();
    while (!this.fleet.counts.every((n) => n === this.size)) {
      if (Date.now() > deadline) {
        const short = this.fleet.counts.filter((n) => n !== this.size).length;
        throw new Error(`memberlist: ${short} members did not see ${this.size} within ${timeoutMs} ms; ${this.fleet.errors.slice(0, 3).join('; ')}`);
      }
      await new Promise((r) => setTimeout(r, CONVERGE_POLL_MS));
    }
    return (performance.now() - t0) / 1000;
  }

  processes(): PeerProcess[] {
    return this.fleet.processes();
  }

  broadcast(index: number): Promise<string | undefined> {
    return Promise.resolve(this.fleet.broadcast(index));
  }

  received(index: number): ReadonlyMap<string, number> {
    return this.fleet.received[index] ?? new Map();
  }

  latencies(): readonly number[] {
    return this.fleet.latencies;
  }

  reset(): void {
    this.fleet.reset();
  }

  kill(processIndex: number): Promise<void> {
    return this.fleet.kill(processIndex);
  }

  stop(): Promise<void> {
    return this.fleet.stop();
  }
}
