/**
 * Our sidecars side by side with hashicorp/memberlist in one run
 * (`npm run bench:peers -- --nodes 30,200 --out FILE`), for issue #15's targets, which are ratios
 * of the same run: idle CPU per member ≤ 1.0× memberlist, broadcast p99 ≤ 0.5× memberlist at 200,
 * CPU per delivered message ≤ 2× memberlist, and a lone idle sidecar's private memory ≤ 20 MiB.
 *
 * For each size and each system (our FullMesh and HyParView overlays, memberlist via
 * bench/memberlist-agent) it starts a fresh fleet on loopback, one member per process unless
 * `--per-process K` packs both systems alike, and measures (bench/support/peer-measure.ts):
 * convergence, idle CPU, the same seeded broadcast traffic (CPU per delivery, p50/p99 latency),
 * RSS and private memory per member, and reliability after SIGKILLing 20 % of the processes.
 * Then a lone idle sidecar, a lone memberlist agent and a bare Node.js process (the runtime's
 * memory floor) side by side. Writes JSON (default bench/results/peers-<sizes>.json), prints a
 * table and the ratios. bench/README.md explains every column.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { LoopbackFleet, stopProcess, DEFAULT_STOP_TIMEOUT_MS, type FleetProcess } from '../src/fleet/loopback-fleet.js';
import { packageRoot } from '../src/paths.js';
import { MemberlistFleet } from './support/memberlist-fleet.js';
import { measureSystem, type MeasureSettings, type PeerRow } from './support/peer-measure.js';
import { MEMBERLIST, startPeerSystem, type PeerSystemName } from './support/peer-systems.js';
import { cpuMs, privateMiB, statusMiB } from './support/proc-stats.js';

/** Sizes above this run HyParView only of ours by default: a FullMesh of 200 is 40,000 connections (ask with --systems). */
const FULL_MESH_DEFAULT_MAX_NODES = 50;
/** The issue's targets, as ours / memberlist of the same run (the p99 one at 200 members). */
const TARGETS = { idleCpu: 1.0, broadcastP99: 0.5, broadcastP99AtNodes: 200, cpuPerDelivery: 2.0, loneSidecarPrivateMiB: 20 } as const;
/** The bare Node.js process whose memory is the runtime's floor; it says when it runs, so its start-up CPU stays out of the idle window. */
const NODE_FLOOR_SCRIPT = "setInterval(() => {}, 1000); process.stdout.write('ready\\n')";

interface Args {
  nodes: number[];
  systems: PeerSystemName[] | undefined;
  out: string;
  perProcess: number;
  settings: (nodes: number) => MeasureSettings;
  startTimeoutMs: number;
  callTimeoutMs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number): number => {
    const raw = get(name);
    const v = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number >= 0, got ${raw}`);
    return v;
  };
  const nodes = (get('nodes') ?? '30,200').split(',').map(Number);
  if (nodes.some((n) => !Number.isInteger(n) || n < 3)) throw new Error(`--nodes must be a comma-separated list of integers >= 3, got ${get('nodes')}`);
  const allowed: PeerSystemName[] = ['FullMesh', 'HyParView', MEMBERLIST];
  const systems = get('systems')
    ?.split(',')
    .map((s) => {
      if (!allowed.includes(s as PeerSystemName)) throw new Error(`--systems takes ${allowed.join(', ')}; got ${s}`);
      return s as PeerSystemName;
    });
  const perProcess = num('per-process', 1);
  if (!Number.isInteger(perProcess) || perProcess < 1) throw new Error(`--per-process must be an integer >= 1`);
  return {
    nodes,
    systems,
    out: get('out') ?? join(packageRoot(), 'bench', 'results', `peers-${nodes.join('-')}.json`),
    perProcess,
    settings: (n) => ({
      convergeTimeoutMs: num('converge-timeout-s', Math.max(60, n)) * 1000,
      quietSeconds: num('quiet-seconds', 3),
      idleSeconds: num('idle-seconds', 20),
      // Broadcasts per second over the fleet: at 200 members a HyParView broadcast costs the
      // fleet ~0.1 s of CPU (bench:sidecars), so 2/s keeps a 2-core machine below saturation.
      rate: num('rate', n > FULL_MESH_DEFAULT_MAX_NODES ? 2 : 5),
      warmupSeconds: num('warmup-seconds', 5),
      trafficSeconds: num('traffic-seconds', 20),
      settleSeconds: num('settle-seconds', 15),
      crashBroadcasts: num('crash-broadcasts', 20),
      seed: num('seed', 1),
    }),
    startTimeoutMs: 300_000,
    callTimeoutMs: Math.max(...nodes) > FULL_MESH_DEFAULT_MAX_NODES ? 60_000 : 30_000,
  };
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

const started = performance.now();
const progress = (line: string): void => {
  process.stderr.write(`[bench:peers +${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
};

/** A lone member's idle cost: the issue's "lone sidecar" beside memberlist's lone agent and Node.js's floor. */
interface LoneRow {
  system: 'sidecar-lone' | 'memberlist-lone' | 'node-floor';
  nodes: 1;
  idleCpuMsPerSecPerMember: number;
  rssMiBPerMember: number;
  privateMiBPerMember: number;
}

/** Starts one idle sidecar, one memberlist agent and one bare Node.js process, and measures them over the same idle window. */
async function measureLone(s: MeasureSettings): Promise<LoneRow[]> {
  const sidecar = await LoopbackFleet.start({ size: 1 });
  const memberlist = await MemberlistFleet.start({ size: 1, block: 100 + ((process.pid + 1) % 150) });
  const child = spawn(process.execPath, ['-e', NODE_FLOOR_SCRIPT], { stdio: ['ignore', 'pipe', 'ignore'] });
  if (child.pid === undefined) throw new Error('could not start the bare Node.js process');
  const floor: FleetProcess = { pid: child.pid, child, logFile: '', exited: false };
  child.once('exit', () => (floor.exited = true));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the bare Node.js process exited with ${code} before it ran`)));
    });
    const pids: [LoneRow['system'], number][] = [
      ['sidecar-lone', sidecar.processes[0]?.pid ?? 0],
      ['memberlist-lone', memberlist.processes()[0]?.pid ?? 0],
      ['node-floor', floor.pid],
    ];
    await new Promise((r) => setTimeout(r, s.quietSeconds * 1000));
    const cpu0 = pids.map(([, pid]) => cpuMs([pid]));
    await new Promise((r) => setTimeout(r, s.idleSeconds * 1000));
    return pids.map(([system, pid], i) => ({
      system,
      nodes: 1,
      idleCpuMsPerSecPerMember: round((cpuMs([pid]) - (cpu0[i] ?? 0)) / s.idleSeconds, 3),
      rssMiBPerMember: round(statusMiB([pid], 'VmRSS'), 1),
      privateMiBPerMember: round(privateMiB([pid]), 1),
    }));
  } finally {
    await stopProcess(floor, 'SIGTERM', DEFAULT_STOP_TIMEOUT_MS);
    await memberlist.stop();
    await sidecar.stop();
  }
}

/** ours / theirs, or null when theirs is 0. */
const ratio = (ours: number, theirs: number): number | null => (theirs > 0 ? round(ours / theirs, 3) : null);

/** The issue's ratios for every row of ours against memberlist at the same size. */
function ratios(rows: readonly PeerRow[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const ours of rows.filter((r) => r.system !== MEMBERLIST)) {
    const ml = rows.find((r) => r.system === MEMBERLIST && r.nodes === ours.nodes);
    if (ml === undefined) continue;
    const idleCpu = ratio(ours.idleCpuMsPerSecPerMember, ml.idleCpuMsPerSecPerMember);
    const broadcastP99 = ratio(ours.broadcastP99Ms, ml.broadcastP99Ms);
    const cpuPerDelivery = ratio(ours.cpuMsPerDelivery, ml.cpuMsPerDelivery);
    out.push({
      system: ours.system,
      nodes: ours.nodes,
      idleCpu,
      broadcastP99,
      cpuPerDelivery,
      meetsIdleCpu: idleCpu !== null && idleCpu <= TARGETS.idleCpu,
      // The p99 target is stated at 200 members; at other sizes the ratio is informative.
      meetsBroadcastP99: ours.nodes === TARGETS.broadcastP99AtNodes ? broadcastP99 !== null && broadcastP99 <= TARGETS.broadcastP99 : null,
      meetsCpuPerDelivery: cpuPerDelivery !== null && cpuPerDelivery <= TARGETS.cpuPerDelivery,
    });
  }
  return out;
}

function systemsFor(args: Args, nodes: number): PeerSystemName[] {
  if (args.systems !== undefined) return args.systems;
  return nodes > FULL_MESH_DEFAULT_MAX_NODES ? ['HyParView', MEMBERLIST] : ['FullMesh', 'HyParView', MEMBERLIST];
}

const pad = (v: unknown, w: number): string => String(v).padEnd(w);

function printTables(rows: readonly PeerRow[], lone: readonly LoneRow[], rs: readonly Record<string, unknown>[], packing: string): void {
  console.log(`\nbench:peers (${packing})`);
  const cols: [string, number, (r: PeerRow) => unknown][] = [
    ['system', 12, (r) => r.system],
    ['nodes', 7, (r) => r.nodes],
    ['converge s', 12, (r) => r.convergeSeconds],
    ['idle ms/s/mbr', 15, (r) => r.idleCpuMsPerSecPerMember],
    ['cpu ms/deliv', 14, (r) => r.cpuMsPerDelivery],
    ['p50 ms', 9, (r) => r.broadcastP50Ms],
    ['p99 ms', 9, (r) => r.broadcastP99Ms],
    ['RSS MiB/mbr', 13, (r) => r.rssMiBPerMember],
    ['private MiB/mbr', 17, (r) => r.privateMiBPerMember],
    ['reliab. after crash', 20, (r) => r.reliabilityAfter20pctCrash],
    ['delivered', 10, (r) => r.deliveredFraction],
  ];
  console.log(cols.map(([h, w]) => pad(h, w)).join(''));
  for (const r of rows) console.log(cols.map(([, w, f]) => pad(f(r), w)).join(''));
  console.log(`\n${pad('lone member', 17)}${pad('idle ms/s', 11)}${pad('VmRSS MiB', 11)}${pad('private MiB', 12)}`);
  for (const l of lone) console.log(`${pad(l.system, 17)}${pad(l.idleCpuMsPerSecPerMember, 11)}${pad(l.rssMiBPerMember, 11)}${pad(l.privateMiBPerMember, 12)}`);
  console.log(`\n${pad('ours / memberlist', 22)}${pad('idle CPU (≤1)', 15)}${pad('p99 (≤0.5 at 200)', 19)}${pad('cpu/deliv (≤2)', 15)}`);
  for (const r of rs)
    console.log(`${pad(`${String(r.system)} ×${String(r.nodes)}`, 22)}${pad(r.idleCpu, 15)}${pad(r.broadcastP99, 19)}${pad(r.cpuPerDelivery, 15)}`);
  const loneSidecar = lone.find((l) => l.system === 'sidecar-lone');
  if (loneSidecar !== undefined) console.log(`lone sidecar private ${loneSidecar.privateMiBPerMember} MiB (target ≤ ${TARGETS.loneSidecarPrivateMiB})`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const packing = args.perProcess === 1 ? 'one member per process, both systems' : `${args.perProcess} members per process, both systems`;
  const rows: PeerRow[] = [];
  for (const nodes of args.nodes) {
    const settings = args.settings(nodes);
    for (const name of systemsFor(args, nodes)) {
      progress(`${name} ×${nodes}: starting ${nodes} members (${packing})`);
      const system = await startPeerSystem(name, {
        size: nodes,
        perProcess: args.perProcess,
        startTimeoutMs: args.startTimeoutMs,
        callTimeoutMs: args.callTimeoutMs,
      });
      try {
        progress(`${name} ×${nodes}: ${system.processes().length} processes up`);
        rows.push(await measureSystem(system, settings, packing, progress));
      } finally {
        await system.stop();
      }
    }
  }
  progress('lone members: one idle sidecar, one memberlist agent, a bare Node.js process');
  const lone = await measureLone(args.settings(1));
  const rs = ratios(rows);
  const loneSidecar = lone.find((l) => l.system === 'sidecar-lone');
  const memberlistRow = rows.find((r) => r.system === MEMBERLIST);
  const result = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, loadAverage: loadavg().map((x) => round(x)) },
    packing,
    memberlistVersion: memberlistRow?.version,
    settings: Object.fromEntries(args.nodes.map((x) => [String(x), args.settings(x)])),
    targets: TARGETS,
    rows,
    lone,
    ratios: rs,
    loneSidecarPrivateMiB: loneSidecar?.privateMiBPerMember,
    meetsLoneSidecarPrivate: loneSidecar !== undefined && loneSidecar.privateMiBPerMember <= TARGETS.loneSidecarPrivateMiB,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  printTables(rows, lone, rs, packing);
  console.log(`\nwritten to ${args.out}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:peers failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
