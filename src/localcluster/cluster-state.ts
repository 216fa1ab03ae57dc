/**
 * The record of what `cluster up` started, so `down` stops exactly those processes and a stale
 * cluster (left by a crash or a killed test run) can be recognised and cleaned up safely.
 *
 * A pid alone is not an identity (pids are reused), so each process is recorded with its start
 * time from /proc/<pid>/stat; a recorded process counts as ours only if a process with that pid
 * exists now *and* started at that time. Stopping never signals a process that is not ours.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One process the cluster started. */
export interface ManagedProcess {
  role: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot): with the pid, a unique identity. */
  startTime: string;
  logFile: string;
}

/** Contents of `<clusterDir>/state.json`. */
export interface ClusterState {
  name: string;
  dir: string;
  kubeconfig: string;
  server: string;
  binDir: string;
  /** The process that owns the cluster's lifetime (a test run); absent for `cluster:up`. */
  ownerPid?: number;
  ownerStartTime?: string;
  nodeName: string;
  /** Unique per start: tags the node agent's pod processes (see CLUSTER_TAG_ENV). */
  id: string;
  /** Second octet N of this cluster's pod IPs (127.N.x.y); absent in old state files = 0. */
  podNetwork?: number;
  createdAt: string;
  processes: ManagedProcess[];
}

/** The start time of a live process, or undefined if there is none with that pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after its closing parenthesis.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 is rest[19].
    if (rest[0] === 'Z') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

/** True if the recorded process is still running (same pid, same start time). */
export function isAlive(p: { pid: number; startTime: string }): boolean {
  return processStartTime(p.pid) === p.startTime;
}

/** Reads a cluster's state file, or undefined if it has none (or it is unreadable). */
export function readState(dir: string): ClusterState | undefined {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Writes the state file atomically (rename), so a crash never leaves half a record. */
export function writeState(state: ClusterState): void {
  const file = join(state.dir, 'state.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/** How long a cluster may take to record its first process before it counts as abandoned. */
export const START_GRACE_MS = 5 * 60_000;

/**
 * A cluster is stale — safe to tear down — when its owner (if any) is gone, when any recorded
 * process is no longer running (a half-dead cluster is broken; tearing it down stops the rest), or
 * when it recorded no process at all within START_GRACE_MS of its creation. A cluster still
 * starting (all recorded processes alive) is never stale.
 */
export function isStale(state: ClusterState, now: number = Date.now()): boolean {
  if (state.ownerPid !== undefined && state.ownerStartTime !== undefined && !isAlive({ pid: state.ownerPid, startTime: state.ownerStartTime })) return true;
  if (state.processes.length === 0) return now - Date.parse(state.createdAt) > START_GRACE_MS;
  return !state.processes.every(isAlive);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Stops the recorded processes in reverse start order: SIGTERM to each process (its own process
 * group when it leads one), then SIGKILL after `graceMs`. Only processes that are still ours are
 * signalled.
 */
export async function stopProcesses(processes: ManagedProcess[], graceMs = 10_000): Promise<void> {
  for (const p of [...processes].reverse()) {
    if (!isAlive(p)) continue;
    signal(p, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(p) && Date.now() < deadline) await delay(50);
    if (isAlive(p)) signal(p, 'SIGKILL');
    while (isAlive(p) && Date.now() < deadline + 5000) await delay(50);
  }
}

/** Synchronous last-resort kill for process exit handlers (no waiting possible there). */
export function killProcessesSync(processes: ManagedProcess[]): void {
  for (const p of [...processes].reverse()) if (isAlive(p)) signal(p, 'SIGKILL');
}

function signal(p: ManagedProcess, sig: NodeJS.Signals): void {
  // Processes are spawned detached, so each leads its own group: signal the group (children too).
  try {
    process.kill(-p.pid, sig);
  } catch {
    try {
      process.kill(p.pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** The environment variable the node agent sets on every pod process it starts. */
export const CLUSTER_TAG_ENV = 'TOPOLOGY_LOCAL_CLUSTER_ID';

/**
 * Finds processes carrying `TOPOLOGY_LOCAL_CLUSTER_ID=<id>` in their environment: the pod
 * processes of one cluster's node agent. Used to clean up after an agent that died without
 * stopping its pods (the id is unique per cluster start, so nothing else can match).
 */
export function taggedProcesses(id: string): number[] {
  const needle = `${CLUSTER_TAG_ENV}=${id}`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`, 'utf8').split('\0');
      if (env.includes(needle)) found.push(Number(e));
    } catch {
      /* not ours to read, or gone */
    }
  }
  return found;
}

/** SIGKILLs the tagged pod processes of a cluster (after its agent is gone). */
export function killTaggedProcesses(id: string): number {
  const pids = taggedProcesses(id);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return pids.length;
}
