/**
 * The measurements of `bench:peers`, made the same way on every system (bench/support/peer-systems.ts):
 * convergence, idle CPU, CPU per delivery and broadcast latency under the same seeded traffic,
 * memory per member, and the broadcasts survivors still receive after 20 % of the processes are
 * SIGKILLed. Each returns one row of the bench's JSON.
 */
import { SeededRandom } from '../../src/overlays/random.js';
import { quantile } from '../../src/sidecar/latency-window.js';
import { cpuMs, privateMiB, statusMiB } from './proc-stats.js';
import type { PeerSystem } from './peer-systems.js';

/** Share of the processes SIGKILLed by the crash measurement (the 20 %). */
export const CRASH_FRACTION = 0.2;
/** How often deliveries are counted while waiting for them to land (ms). */
const DELIVERY_POLL_MS = 50;

/** How long each phase runs and how fast traffic goes. */
export interface MeasureSettings {
  readonly convergeTimeoutMs: number;
  /** Wait after convergence before the idle window (joins' follow-up gossip, the switch's last probes). */
  readonly quietSeconds: number;
  readonly idleSeconds: number;
  /** Broadcasts per second, over the whole fleet. */
  readonly rate: number;
  /** Traffic before the measured window, not measured (cold code paths; see bench:sidecars). */
  readonly warmupSeconds: number;
  readonly trafficSeconds: number;
  /** Longest wait for the deliveries of a window to land (s). */
  readonly settleSeconds: number;
  /** Broadcasts sent after the crash. */
  readonly crashBroadcasts: number;
  readonly seed: number;
}

/** One row of the bench's JSON (the fields, then extras). */
export interface PeerRow {
  system: string;
  nodes: number;
  convergeSeconds: number;
  idleCpuMsPerSecPerMember: number;
  cpuMsPerDelivery: number;
  broadcastP50Ms: number;
  broadcastP99Ms: number;
  rssMiBPerMember: number;
  privateMiBPerMember: number;
  reliabilityAfter20pctCrash: number;
  /** CPU per delivery with the idle baseline taken out: what a delivery adds. */
  cpuMsPerDeliveryAboveIdle: number;
  broadcastsSent: number;
  deliveries: number;
  /** Deliveries over those expected (every member but the origin, for every broadcast) in the traffic window. */
  deliveredFraction: number;
  killedProcesses: number;
  survivors: number;
  packing: string;
  version?: string;
}

/** A broadcast the traffic sent, by origin member. */
interface Sent {
  readonly id: string;
  readonly origin: number;
}

/** Progress line writer. */
export type Progress = (line: string) => void;

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alivePids(system: PeerSystem): number[] {
  return system
    .processes()
    .filter((p) => !p.exited)
    .map((p) => p.pid);
}

/**
 * Sends `count` broadcasts at `rate` per second from members drawn from `origins` by `random`,
 * one every 1/rate s (a late timer catches up rather than lowering the rate).
 */
async function sendTraffic(
  system: PeerSystem,
  origins: readonly number[],
  rate: number,
  count: number,
  random: SeededRandom,
): Promise<{ sent: Sent[]; attempted: number }> {
  const sent: Sent[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const origin = origins[random.int(origins.length)] as number;
    pending.push(
      system.broadcast(origin).then((id) => {
        if (id !== undefined) sent.push({ id, origin });
      }),
    );
  }
  await Promise.all(pending);
  return { sent, attempted: count };
}

/** Deliveries of `sent` at `receivers` (the origin excluded; a duplicate counts once). */
function countDelivered(system: PeerSystem, sent: readonly Sent[], receivers: readonly number[]): number {
  let n = 0;
  for (const r of receivers) {
    const got = system.received(r);
    for (const s of sent) if (s.origin !== r && got.has(s.id)) n++;
  }
  return n;
}

/** Expected deliveries of `sent` at `receivers`. */
function countExpected(sent: readonly Sent[], receivers: readonly number[]): number {
  const set = new Set(receivers);
  return sent.reduce((n, s) => n + receivers.length - (set.has(s.origin) ? 1 : 0), 0);
}

/** Waits until every expected delivery landed or `timeoutMs` passed; returns the deliveries counted. */
async function waitDelivered(system: PeerSystem, sent: readonly Sent[], receivers: readonly number[], timeoutMs: number): Promise<number> {
  const expected = countExpected(sent, receivers);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = countDelivered(system, sent, receivers);
    if (n >= expected || Date.now() > deadline) return n;
    await sleep(DELIVERY_POLL_MS);
  }
}

/** Indices 0..n-1. */
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Runs every measurement on a started, not yet converged system, and returns its row. */
export async function measureSystem(system: PeerSystem, s: MeasureSettings, packing: string, progress: Progress): Promise<PeerRow> {
  const label = `${system.name} ×${system.size}`;
  const members = range(system.size);
  const convergeSeconds = await system.converge(s.convergeTimeoutMs);
  progress(`${label}: every member sees ${system.size} after ${convergeSeconds.toFixed(2)} s`);
  await sleep(s.quietSeconds * 1000);

  const idle0 = cpuMs(alivePids(system));
  await sleep(s.idleSeconds * 1000);
  const idleMs = cpuMs(alivePids(system)) - idle0;
  const idleCpuMsPerSecPerMember = idleMs / system.size / s.idleSeconds;
  progress(`${label}: idle ${idleCpuMsPerSecPerMember.toFixed(3)} ms CPU per second per member over ${s.idleSeconds} s`);

  const random = new SeededRandom(s.seed);
  if (s.warmupSeconds > 0) {
    const warm = await sendTraffic(system, members, s.rate, Math.round(s.rate * s.warmupSeconds), random.fork('warm-up'));
    await waitDelivered(system, warm.sent, members, s.settleSeconds * 1000);
    progress(`${label}: warm-up of ${warm.sent.length} broadcasts done`);
  }
  system.reset();
  const w0 = performance.now();
  const cpu0 = cpuMs(alivePids(system));
  const traffic = await sendTraffic(system, members, s.rate, Math.round(s.rate * s.trafficSeconds), random.fork('traffic'));
  const deliveries = await waitDelivered(system, traffic.sent, members, s.settleSeconds * 1000);
  const windowMs = cpuMs(alivePids(system)) - cpu0;
  const windowSeconds = (performance.now() - w0) / 1000;
  const expected = countExpected(traffic.sent, members);
  const latencies = system.latencies();
  const aboveIdle = Math.max(0, windowMs - idleCpuMsPerSecPerMember * system.size * windowSeconds);
  progress(
    `${label}: ${traffic.sent.length} broadcasts, ${deliveries}/${expected} deliveries, ${(windowMs / Math.max(1, deliveries)).toFixed(3)} ms CPU per delivery`,
  );

  const pids = alivePids(system);
  const rssMiBPerMember = statusMiB(pids, 'VmRSS') / system.size;
  const privateMiBPerMember = privateMiB(pids) / system.size;

  // The crash: SIGKILL 20 % of the processes (never the first, which holds memberlist's seeds),
  // then at once the same traffic from survivors; what fraction of survivors receives each.
  const procs = system.processes();
  const killCount = Math.max(1, Math.round(procs.length * CRASH_FRACTION));
  const crashRandom = random.fork('crash');
  const candidates = range(procs.length).slice(1);
  const victims: number[] = [];
  while (victims.length < Math.min(killCount, candidates.length)) {
    const [v] = candidates.splice(crashRandom.int(candidates.length), 1);
    if (v !== undefined) victims.push(v);
  }
  await Promise.all(victims.map((v) => system.kill(v)));
  const dead = new Set(victims.flatMap((v) => procs[v]?.members ?? []));
  const survivors = members.filter((m) => !dead.has(m));
  progress(`${label}: killed ${victims.length} of ${procs.length} processes (${dead.size} members); ${s.crashBroadcasts} broadcasts from survivors`);
  system.reset();
  const after = await sendTraffic(system, survivors, s.rate, s.crashBroadcasts, crashRandom.fork('after'));
  await waitDelivered(system, after.sent, survivors, s.settleSeconds * 1000);
  let reached = 0;
  for (const b of after.sent) {
    const others = survivors.filter((m) => m !== b.origin);
    reached += others.filter((m) => system.received(m).has(b.id)).length / Math.max(1, others.length);
  }
  const reliability = reached / Math.max(1, after.attempted);
  progress(`${label}: reliability after the crash ${reliability.toFixed(3)}`);

  return {
    system: system.name,
    nodes: system.size,
    convergeSeconds: round(convergeSeconds),
    idleCpuMsPerSecPerMember: round(idleCpuMsPerSecPerMember, 3),
    cpuMsPerDelivery: round(windowMs / Math.max(1, deliveries), 3),
    broadcastP50Ms: round(quantile(latencies, 0.5)),
    broadcastP99Ms: round(quantile(latencies, 0.99)),
    rssMiBPerMember: round(rssMiBPerMember, 1),
    privateMiBPerMember: round(privateMiBPerMember, 1),
    reliabilityAfter20pctCrash: round(reliability, 3),
    cpuMsPerDeliveryAboveIdle: round(aboveIdle / Math.max(1, deliveries), 3),
    broadcastsSent: traffic.sent.length,
    deliveries,
    deliveredFraction: round(deliveries / Math.max(1, expected), 4),
    killedProcesses: victims.length,
    survivors: survivors.length,
    packing,
    ...(system.info.version !== undefined ? { version: system.info.version } : {}),
  };
}
