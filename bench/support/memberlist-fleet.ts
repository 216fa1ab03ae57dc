/**
 * A loopback fleet of hashicorp/memberlist members (bench/memberlist-agent), the reference peer
 * `bench:peers` measures our sidecars against: members on their own 127.x.y.z addresses (the
 * loopback fleet's allocation, {@link fleetHost}), `perProcess` members per agent process, driven
 * through each agent's JSON-lines control channel on stdin/stdout.
 *
 * The agent is built by hack/build-memberlist-agent.sh into the project's cache when missing
 * (through the Go module proxy; ~30 s cold). Processes are stopped by pid only.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fleetHost, stopProcess, DEFAULT_STOP_TIMEOUT_MS, type FleetProcess } from '../../src/fleet/loopback-fleet.js';
import { packageRoot } from '../../src/paths.js';

/** memberlist's default port, used by every member on its own address. */
export const MEMBERLIST_PORT = 7946;
/** Seed members every member joins (the first few): a seed list, as Consul and Serf agents take. */
export const MEMBERLIST_SEEDS = 3;

/** What the agent's "ready" line says it was built with. */
export interface AgentVersion {
  readonly memberlist: string;
  readonly go: string;
}

/** One event line of the agent (bench/memberlist-agent/main.go documents them). */
interface AgentEvent {
  readonly ev: 'ready' | 'joined' | 'members' | 'sent' | 'delivered' | 'error';
  readonly m: number;
  readonly addr?: string;
  readonly memberlist?: string;
  readonly go?: string;
  readonly n?: number;
  readonly id?: string;
  readonly sentMs?: number;
  readonly atMs?: number;
  readonly error?: string;
}

/** One agent process and the members it runs, by fleet index. */
interface AgentProcess {
  readonly proc: FleetProcess;
  readonly members: readonly number[];
}

/** Builds the agent when missing (the project script) and returns its path; prints the build's progress to stderr. */
export function memberlistAgentBinary(): string {
  const script = join(packageRoot(), 'hack', 'build-memberlist-agent.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = out.trim().split('\n').pop();
  if (path === undefined || path === '') throw new Error(`${script} printed no binary path`);
  return path;
}

/** Options of {@link MemberlistFleet.start}. */
export interface MemberlistFleetOptions {
  readonly size: number;
  /** Members per agent process (default 1). */
  readonly perProcess?: number;
  /** Which /16 of loopback (default: from this process's pid, as the sidecar fleet's). */
  readonly block?: number;
  readonly startTimeoutMs?: number;
}

/** A running memberlist fleet. */
export class MemberlistFleet {
  /** Member count each member last reported. */
  readonly counts: number[];
  /** Deliveries per member: message id → count. */
  readonly received: Map<string, number>[];
  /** Send → delivery latency of every delivery since the last {@link reset} (ms). */
  readonly latencies: number[] = [];
  /** Errors the agents reported (join failures, bad commands). */
  readonly errors: string[] = [];
  version: AgentVersion = { memberlist: 'unknown', go: 'unknown' };
  private readonly agents: AgentProcess[] = [];
  private readonly agentOf: AgentProcess[] = [];
  private readonly addresses: string[] = [];
  private ready = 0;
  private nextId = 0;

  private constructor(
    readonly size: number,
    private readonly dir: string,
  ) {
    this.counts = new Array<number>(size).fill(0);
    this.received = Array.from({ length: size }, () => new Map<string, number>());
  }

  /** Starts the agents (members not yet joined) and waits until every member listens. */
  static async start(options: MemberlistFleetOptions): Promise<MemberlistFleet> {
    const binary = memberlistAgentBinary();
    const dir = mkdtempSync(join(tmpdir(), 'memberlist-fleet-'));
    const fleet = new MemberlistFleet(options.size, dir);
    const block = options.block ?? 100 + (process.pid % 150);
    const perProcess = Math.max(1, options.perProcess ?? 1);
    try {
      for (let first = 0; first < options.size; first += perProcess) {
        const members: number[] = [];
        for (let i = first; i < Math.min(options.size, first + perProcess); i++) members.push(i);
        for (const i of members) fleet.addresses[i] = fleetHost(block, i);
        fleet.spawnAgent(binary, members);
      }
      const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
      while (fleet.ready < options.size) {
        const dead = fleet.agents.find((a) => a.proc.exited);
        if (dead !== undefined) throw new Error(`memberlist agent ${dead.proc.pid} exited during start; see ${dead.proc.logFile}`);
        if (Date.now() > deadline)
          throw new Error(`${options.size - fleet.ready} memberlist members not listening after ${options.startTimeoutMs ?? 60_000} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** The member processes: pid and fleet indices of the members each runs. */
  processes(): { pid: number; members: readonly number[]; exited: boolean }[] {
    return this.agents.map((a) => ({ pid: a.proc.pid, members: a.members, exited: a.proc.exited }));
  }

  /** Every member joins the seed list (the first {@link MEMBERLIST_SEEDS} members). */
  join(): void {
    const seeds = this.addresses.slice(0, MEMBERLIST_SEEDS).map((a) => `${a}:${MEMBERLIST_PORT}`);
    for (const a of this.agents) this.command(a, { cmd: 'join', seeds });
  }

  /** Queues a broadcast at member `index`; returns its id. */
  broadcast(index: number): string {
    const agent = this.agentOf[index];
    if (agent === undefined) throw new Error(`no memberlist member ${index}`);
    const id = `ml-${this.nextId++}`;
    this.command(agent, { cmd: 'broadcast', m: agent.members.indexOf(index), id });
    return id;
  }

  /** Forgets deliveries and latencies (a new measurement window). */
  reset(): void {
    for (const r of this.received) r.clear();
    this.latencies.length = 0;
  }

  /** SIGKILLs agent process `processIndex` and waits for its exit. */
  async kill(processIndex: number): Promise<void> {
    const a = this.agents[processIndex];
    if (a !== undefined) await stopProcess(a.proc, 'SIGKILL', DEFAULT_STOP_TIMEOUT_MS);
  }

  /** Stops every agent (SIGTERM, SIGKILL after the deadline) and removes the log directory. */
  async stop(keepLogs = process.env.KEEP_FLEET_LOGS === '1'): Promise<void> {
    await Promise.all(this.agents.map((a) => stopProcess(a.proc, 'SIGTERM', DEFAULT_STOP_TIMEOUT_MS)));
    if (!keepLogs) rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnAgent(binary: string, members: readonly number[]): void {
    const logFile = join(this.dir, `agent-${members[0] ?? 0}.log`);
    const fd = openSync(logFile, 'a');
    const argv = ['--addrs', members.map((i) => this.addresses[i]).join(','), '--port', String(MEMBERLIST_PORT)];
    const child = spawn(binary, argv, { stdio: ['pipe', 'pipe', fd] });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`failed to spawn ${binary}`);
    const proc: FleetProcess = { pid: child.pid, child, logFile, exited: false };
    child.once('exit', () => (proc.exited = true));
    // A killed agent's stdin closes under a write in flight: not an error of the bench.
    child.stdin?.on('error', () => undefined);
    const agent: AgentProcess = { proc, members };
    this.agents.push(agent);
    for (const i of members) this.agentOf[i] = agent;
    if (child.stdout === null) throw new Error('agent has no stdout');
    createInterface({ input: child.stdout }).on('line', (line) => this.onEvent(agent, line));
  }

  private command(agent: AgentProcess, cmd: Record<string, unknown>): void {
    if (!agent.proc.exited) agent.proc.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  private onEvent(agent: AgentProcess, line: string): void {
    let e: AgentEvent;
    try {
      e = JSON.parse(line) as AgentEvent;
    } catch {
      this.errors.push(`agent ${agent.proc.pid}: unparsable line ${line.slice(0, 200)}`);
      return;
    }
    const index = agent.members[e.m];
    switch (e.ev) {
      case 'ready':
        this.ready++;
        this.version = { memberlist: e.memberlist ?? 'unknown', go: e.go ?? 'unknown' };
        break;
      case 'members':
        if (index !== undefined) this.counts[index] = e.n ?? 0;
        break;
      case 'delivered': {
        const r = index === undefined ? undefined : this.received[index];
        if (r === undefined || e.id === undefined) break;
        r.set(e.id, (r.get(e.id) ?? 0) + 1);
        if (e.atMs !== undefined && e.sentMs !== undefined) this.latencies.push(e.atMs - e.sentMs);
        break;
      }
      case 'error':
        this.errors.push(`member ${index ?? e.m}: ${e.error ?? 'unknown error'}`);
        break;
      default:
        break;
    }
  }
}
