/**
 * The loopback fleet: N real sidecars on their own 127.x.y.z addresses, one process each by
 * default or several per process (`perProcess`) to save memory on large benchmarks.
 *
 * Addresses come from a /16 of loopback picked from the runner's pid, so concurrent fleets (other
 * test runs, the local node agent's pod IPs in 127.0.0.x) do not collide; every sidecar uses the
 * fixed ports below on its own address. Processes are stopped by pid only: SIGTERM, then SIGKILL
 * after a deadline. Logs go to files in the fleet's temp directory. A fault test signals one
 * member's process by pid (SIGKILL, SIGSTOP/SIGCONT) and restarts it on the same address with the
 * same flags, as a kubelet restarts a container.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { buildRoot } from '../paths.js';
import { loadProto } from '../rpc/proto.js';
import { DEFAULT_APP_PORT, DEFAULT_PEER_PORT } from '../sidecar/config.js';
import { SIDECAR_NODE_FLAGS } from '../sidecar/node-flags.js';

/** Peer + Control port of every fleet sidecar (on its own address): the sidecar's default. */
export const FLEET_PEER_PORT = DEFAULT_PEER_PORT;
/** Overlay API port: the sidecar's default. */
export const FLEET_APP_PORT = DEFAULT_APP_PORT;
/** /metrics port. */
export const FLEET_METRICS_PORT = 9464;
/** How long to wait for every sidecar to report SERVING (ms). */
export const DEFAULT_START_TIMEOUT_MS = 60_000;
/** How long stop() waits after SIGTERM before SIGKILL (ms). */
export const DEFAULT_STOP_TIMEOUT_MS = 5_000;

/** One sidecar of the fleet. */
export interface FleetMember {
  readonly index: number;
  readonly pod: string;
  /** Peer address = NodeId = Control address. */
  readonly id: string;
  readonly host: string;
  readonly appAddress: string;
  readonly metricsUrl: string;
  /** The process running it (shared when several run per process). */
  readonly proc: FleetProcess;
}

/** A fleet process. */
export interface FleetProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  exited: boolean;
  /** The command it runs (Node.js flags, entry, arguments), to restart it; set for the fleet's own processes. */
  readonly argv?: readonly string[];
}

/** Options of {@link LoopbackFleet.start}. */
export interface FleetOptions {
  readonly size: number;
  /** Sidecars per process (default 1). */
  readonly perProcess?: number;
  /**
   * The first this many members run alone, one process each, whatever `perProcess` says: a large
   * benchmark packs sidecars to fit the machine yet still measures what one sidecar costs alone.
   */
  readonly standalone?: number;
  /** Cluster token (default: random). */
  readonly token?: string;
  readonly logLevel?: string;
  readonly drainQuietMs?: number;
  readonly pingIntervalMs?: number;
  readonly startTimeoutMs?: number;
  /** Extra flags for every sidecar (say, `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-server-name`). */
  readonly extraArgs?: readonly string[];
  /** Extra flags for the sidecar of member `index`, after `extraArgs` (say, a small `--subscriber-buffer-bytes` for one slow app). */
  readonly memberArgs?: (index: number) => readonly string[];
  /**
   * How the readiness check (gRPC Health on each sidecar's Peer address) connects. Default:
   * plaintext, which sidecars started with TLS flags in `extraArgs` refuse, so a TLS fleet passes
   * the credentials (and server-name channel options) a client of its sidecars needs.
   */
  readonly readinessClient?: FleetReadinessClient;
  /**
   * Node.js flags of every fleet process (say, `--cpu-prof` to profile a benchmark). Default: the
   * sidecar's own ({@link SIDECAR_NODE_FLAGS}) for one sidecar per process, a 2 MiB semi-space
   * when several share a process (more allocation per process).
   */
  readonly nodeArgs?: readonly string[];
  /** Node.js flags added to every process's (e.g. `--cpu-prof`, for bench:sidecars' profiles). */
  readonly extraNodeArgs?: readonly string[];
}

/** Credentials and channel options of the fleet's readiness check ({@link FleetOptions.readinessClient}). */
export interface FleetReadinessClient {
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
}

/** The address of the `i`-th sidecar in a /16 of loopback chosen by `block`. */
export function fleetHost(block: number, i: number): string {
  return `127.${block}.${2 + Math.floor(i / 250)}.${2 + (i % 250)}`;
}

/** A running loopback fleet. */
export class LoopbackFleet {
  private constructor(
    readonly members: FleetMember[],
    readonly processes: FleetProcess[],
    readonly token: string,
    readonly dir: string,
  ) {}

  /** Starts the fleet and waits until every sidecar serves. */
  static async start(options: FleetOptions): Promise<LoopbackFleet> {
    const dir = mkdtempSync(join(tmpdir(), 'topology-fleet-'));
    const token = options.token ?? randomBytes(16).toString('hex');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const block = 100 + (process.pid % 150);
    const perProcess = Math.max(1, options.perProcess ?? 1);
    const members: FleetMember[] = [];
    const processes: FleetProcess[] = [];
    const fleet = new LoopbackFleet(members, processes, token, dir);
    try {
      const standalone = Math.max(0, Math.min(options.size, options.standalone ?? 0));
      for (let first = 0; first < options.size;) {
        const count = first < standalone ? 1 : perProcess;
        const argvs: string[][] = [];
        const hosts: number[] = [];
        for (let i = first; i < Math.min(options.size, first + count); i++) {
          const host = fleetHost(block, i);
          hosts.push(i);
          const args = [
            '--pod-name',
            `sidecar-${i}`,
            '--namespace',
            'fleet',
            '--pod-ip',
            host,
            '--peer-port',
            String(FLEET_PEER_PORT),
            '--app-address',
            `${host}:${FLEET_APP_PORT}`,
            '--metrics-port',
            String(FLEET_METRICS_PORT),
            '--token-file',
            tokenFile,
            '--log-level',
            options.logLevel ?? 'warn',
          ];
          if (options.drainQuietMs !== undefined) args.push('--drain-quiet-ms', String(options.drainQuietMs));
          if (options.pingIntervalMs !== undefined) args.push('--ping-interval-ms', String(options.pingIntervalMs));
          args.push(...(options.extraArgs ?? []), ...(options.memberArgs?.(i) ?? []));
          argvs.push(args);
        }
        const logFile = join(dir, `proc-${hosts[0] ?? first}.log`);
        first += count;
        const entry =
          argvs.length === 1
            ? [join(buildRoot(), 'src', 'sidecar', 'main.js'), ...(argvs[0] as string[])]
            : [join(buildRoot(), 'src', 'fleet', 'fleet-host.js'), JSON.stringify(argvs)];
        const flags = options.nodeArgs ?? (argvs.length === 1 ? SIDECAR_NODE_FLAGS : ['--max-semi-space-size=2']);
        const proc = spawnProcess([...flags, ...(options.extraNodeArgs ?? []), ...entry], logFile);
        processes.push(proc);
        for (const i of hosts) {
          const host = fleetHost(block, i);
          members.push({
            index: i,
            pod: `sidecar-${i}`,
            id: `${host}:${FLEET_PEER_PORT}`,
            host,
            appAddress: `${host}:${FLEET_APP_PORT}`,
            metricsUrl: `http://${host}:${FLEET_METRICS_PORT}/metrics`,
            proc,
          });
        }
      }
      await fleet.waitServing(members, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, options.readinessClient);
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** Peer addresses of all members. */
  ids(): string[] {
    return this.members.map((m) => m.id);
  }

  /** Members whose process is still running. */
  alive(): FleetMember[] {
    return this.members.filter((m) => !m.proc.exited);
  }

  /** Kills the process of member `index` (and any other sidecars sharing it) and waits for its exit. */
  async kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.members[index];
    if (m === undefined || m.proc.exited) return;
    await stopProcess(m.proc, signal, DEFAULT_STOP_TIMEOUT_MS);
  }

  /** Sends `signal` to the process of member `index` by pid (SIGSTOP freezes it, SIGCONT thaws it); false when it is not running. */
  signal(index: number, signal: NodeJS.Signals): boolean {
    const m = this.members[index];
    if (m === undefined || m.proc.exited) return false;
    try {
      process.kill(m.proc.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Starts the exited process of member `index` again with the same command, on the same address
   * (a sidecar restarted in place: new session, state lost), and waits until it serves. Only for
   * a member that runs alone in its process.
   */
  async restart(index: number, timeoutMs = DEFAULT_START_TIMEOUT_MS, readiness?: FleetReadinessClient): Promise<void> {
    const m = this.members[index];
    if (m === undefined) throw new Error(`no member ${index}`);
    if (!m.proc.exited) throw new Error(`${m.pod} is still running (pid ${m.proc.pid}); kill it first`);
    const sharing = this.members.filter((x) => x.proc === m.proc);
    if (sharing.length !== 1) throw new Error(`${m.pod} shares its process with ${sharing.length - 1} other sidecars`);
    if (m.proc.argv === undefined) throw new Error(`${m.pod} was not started by this fleet`);
    const proc = spawnProcess(m.proc.argv, m.proc.logFile);
    this.processes[this.processes.indexOf(m.proc)] = proc;
    const restarted: FleetMember = { ...m, proc };
    this.members[index] = restarted;
    await this.waitServing([restarted], timeoutMs, readiness);
  }

  /** Stops every process: SIGTERM, then SIGKILL after the deadline. Removes the temp dir. */
  async stop(keepLogs = process.env.KEEP_FLEET_LOGS === '1'): Promise<void> {
    await Promise.all(this.processes.map((p) => stopProcess(p, 'SIGTERM', DEFAULT_STOP_TIMEOUT_MS)));
    if (!keepLogs) rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitServing(members: readonly FleetMember[], timeoutMs: number, readiness: FleetReadinessClient | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const Health = loadProto().grpc.health.v1.Health;
    await Promise.all(
      members.map(async (m) => {
        const client = new Health(m.id, readiness?.credentials ?? grpc.credentials.createInsecure(), readiness?.channelOptions ?? {});
        try {
          for (;;) {
            if (m.proc.exited) throw new Error(`sidecar ${m.pod} exited during start; see ${m.proc.logFile}:\n${logTail(m.proc.logFile)}`);
            const status = await new Promise<string>((resolve) => {
              client.Check({ service: '' }, { deadline: Date.now() + 1000 }, (err, res) => resolve(err ? `DOWN (${err.message})` : String(res?.status)));
            });
            if (status === 'SERVING') return;
            if (Date.now() > deadline)
              throw new Error(`sidecar ${m.pod} not serving after ${timeoutMs} ms (last check: ${status}); see ${m.proc.logFile}:\n${logTail(m.proc.logFile)}`);
            await new Promise((r) => setTimeout(r, 100));
          }
        } finally {
          client.close();
        }
      }),
    );
  }
}

/** Lines of a process log shown in a start failure: the error is usually at the end. */
const LOG_TAIL_LINES = 20;

/** The last {@link LOG_TAIL_LINES} lines of `file`, or why it could not be read. */
function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  } catch (err) {
    return `(log unreadable: ${(err as Error).message})`;
  }
}

/** Spawns `node argv…` with its output appended to `logFile`. */
function spawnProcess(argv: readonly string[], logFile: string): FleetProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...argv], { stdio: ['ignore', fd, fd], env: { ...process.env } });
  closeSync(fd);
  if (child.pid === undefined) throw new Error('failed to spawn a sidecar process');
  const proc: FleetProcess = { pid: child.pid, child, logFile, exited: false, argv };
  child.once('exit', () => {
    proc.exited = true;
  });
  return proc;
}

/** Signals one process by pid and waits for it to exit; escalates to SIGKILL at the deadline. */
export async function stopProcess(p: FleetProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (p.exited) return;
  const exited = new Promise<void>((resolve) => {
    if (p.exited) resolve();
    else p.child.once('exit', () => resolve());
  });
  try {
    process.kill(p.pid, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (!p.exited) process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}
