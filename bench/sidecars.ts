/**
 * Benchmark of real sidecars on a loopback fleet (`npm run bench:sidecars -- --nodes N --out FILE`).
 *
 * For each topology (FullMesh, HyParView, ClientServer, PubSub, in that order, each reached by a
 * live phased switch from the previous one under steady app traffic) it measures: convergence
 * time, delivered app messages per second, broadcast delivery latency p50/p99 over a steady
 * window that follows `--warmup` seconds of traffic (whose own p99 is reported apart), connections
 * per member, the fleet's CPU use (`fleetCpuCores`, `fleetCpuMsPerMessage`) and RSS per member;
 * and for every switch its duration (prepare, converge, three route steps 10/50/100 %, commit; no
 * verification waits) and the messages lost or delivered twice during it, as recorded by one test
 * app per member. Writes JSON (default bench/results/sidecars.json) and prints a table.
 *
 * Sidecars share processes to fit the machine (`--per-process`), so `rssMiBPerMember` is the
 * fleet's RSS over its members; the first `--standalone K` members run alone, with the image's
 * Node.js flags, and give what one sidecar costs by itself: `standaloneRssMiB` (VmRSS, which
 * includes ~44 MiB of the node binary's and its libraries' pages, shared by every Node.js process) and
 * `standalonePrivateMiB` (RssAnon: memory that sidecar alone holds) and `standalonePssMiB` (PSS:
 * private pages plus its share of the pages it shares with the other Node.js processes, which is
 * what a node's memory actually pays per sidecar). App traffic is spread evenly
 * over time (TrafficGenerator), at `--rate` messages per second per member.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { LoopbackFleet } from '../src/fleet/loopback-fleet.js';
import { FleetControl } from '../src/fleet/fleet-control.js';
import { FleetOperator, type FleetSwitchReport } from '../src/fleet/fleet-operator.js';
import { AppClient, TrafficGenerator, auditWhenSettled } from '../src/fleet/app-traffic.js';
import { quantile } from '../src/sidecar/latency-window.js';
import { packageRoot } from '../src/paths.js';
import { cpuMs, pssMiB, statusMiB } from './support/proc-stats.js';
import type { OverlayKind } from '../src/overlays/types.js';

/** Topologies in benchmark order; each is reached by a switch from the previous one (the first by bootstrap), and a last switch returns to the first. */
const ORDER: OverlayKind[] = ['FullMesh', 'HyParView', 'ClientServer', 'PubSub'];
/** The CRD's rollout steps used for every switch. */
const STEPS = [10, 50, 100];

interface Args {
  nodes: number;
  out: string;
  perProcess: number;
  rate: number;
  windowSeconds: number;
  warmupSeconds: number;
  standalone: number;
  callTimeoutMs: number;
  /** Directory for a V8 CPU profile of every sidecar process (`--cpu-prof DIR`), written when they stop. */
  cpuProfDir?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const nodes = Number(get('nodes') ?? 50);
  if (!Number.isInteger(nodes) || nodes < 2) throw new Error(`--nodes must be an integer >= 2`);
  return {
    nodes,
    out: get('out') ?? join(packageRoot(), 'bench', 'results', 'sidecars.json'),
    // Several sidecars per process so the fleet fits a shared 2-core machine (5 up to 50, then 20).
    perProcess: Number(get('per-process') ?? (nodes > 50 ? 20 : 5)),
    // Offered load: app messages per second per member (half broadcasts). At 200 members on two
    // cores a HyParView broadcast costs the fleet ~0.1 s of CPU (~800 frames), hence the lower rate.
    rate: Number(get('rate') ?? (nodes > 50 ? 0.05 : 1)),
    windowSeconds: Number(get('window') ?? (nodes > 50 ? 10 : 5)),
    warmupSeconds: Number(get('warmup') ?? 5),
    standalone: Number(get('standalone') ?? (nodes > 50 ? 4 : 2)),
    // A 200-member FullMesh forms ~20,000 connections at once on two cores: Control calls wait.
    callTimeoutMs: Number(get('call-timeout-ms') ?? (nodes > 50 ? 60_000 : 30_000)),
    ...(get('cpu-prof') !== undefined ? { cpuProfDir: get('cpu-prof') as string } : {}),
  };
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const fleet = await LoopbackFleet.start({
    size: args.nodes,
    perProcess: args.perProcess,
    standalone: args.standalone,
    ...(args.cpuProfDir !== undefined ? { extraNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args.cpuProfDir}`] } : {}),
    drainQuietMs: 1000,
    pingIntervalMs: 5000,
    startTimeoutMs: 300_000,
  });
  process.stderr.write(
    `fleet of ${args.nodes} up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${fleet.processes.length} processes, ${args.standalone} sidecars alone)\n`,
  );
  const orch = new FleetControl(fleet.token, args.callTimeoutMs);
  // The operator's own pass switches the fleet: the first overlay at once, then STEPS with the
  // shortest health window the CRD allows (1 s), probes verifying every stage.
  const operator = new FleetOperator(fleet.ids(), {
    token: fleet.token,
    callTimeoutMs: args.callTimeoutMs,
    rollout: { steps: STEPS, stepVerificationSeconds: 1, progressDeadlineSeconds: 120 },
  });
  const fleetPids = fleet.processes.map((p) => p.pid);
  const alonePids = fleet.members.slice(0, args.standalone).map((m) => m.proc.pid);
  const ids = fleet.ids();
  const apps = fleet.members.map((m) => new AppClient(m.id, m.appAddress));
  const topologies: Record<string, unknown>[] = [];
  const switches: Record<string, unknown>[] = [];
  const reset = (): void => {
    for (const a of apps) {
      a.sent.length = 0;
      a.received.clear();
      a.latencies.length = 0;
    }
  };
  const receivers = (): Map<string, Map<string, number>> => new Map(apps.map((a) => [a.member, a.received]));
  const settled = (): ReturnType<typeof auditWhenSettled> => auditWhenSettled(() => apps.flatMap((a) => a.sent), receivers, 20_000, 200);
  const stageMs = (r: FleetSwitchReport, stage: string): number => r.stages.filter((x) => x.stage === stage).reduce((n, x) => n + x.ms, 0);
  try {
    await Promise.all(apps.map((a) => a.subscribe()));
    let epoch = 0;
    for (let i = 0; i <= ORDER.length; i++) {
      const kind = ORDER[i % ORDER.length] as OverlayKind;
      reset();
      const traffic = i === 0 ? undefined : new TrafficGenerator(apps, { ratePerMember: args.rate, seed: epoch + 1 });
      // Traffic runs from 2 s before the switch to 2 s after it (a steady flow, spread evenly).
      const tickMs = 2000;
      traffic?.start();
      if (traffic !== undefined) await new Promise((r) => setTimeout(r, tickMs));
      const report = await operator.switchTo(kind);
      epoch = report.epoch;
      if (traffic !== undefined) await new Promise((r) => setTimeout(r, tickMs));
      await traffic?.stop();
      if (!report.ok) throw new Error(`switch to ${kind} ended ${report.result}: ${report.reason}`);
      if (traffic !== undefined) {
        const audit = await settled();
        const from = ORDER[(i - 1) % ORDER.length] as OverlayKind;
        switches.push({
          from,
          to: kind,
          switchSeconds: round(report.totalMs / 1000),
          passes: report.passes,
          stages: report.stages,
          sent: audit.sent,
          lost: audit.lost,
          duplicated: audit.duplicated,
        });
        process.stderr.write(
          `switch ${from} → ${kind}: ${(report.totalMs / 1000).toFixed(2)} s in ${report.passes} passes (${report.stages.map((x) => `${x.stage} ${x.percent}% ${x.ms} ms`).join(', ')}), sent ${audit.sent}, lost ${audit.lost}, duplicated ${audit.duplicated}\n`,
        );
      }
      if (i === ORDER.length) break;
      // Warm-up: the first seconds of traffic on a fresh overlay run cold code in every process
      // (V8 tiers the gossip and delivery paths up only under load): at 200 members the broadcasts
      // of the first ~4 s had p50 40-140 ms, against ~20 ms afterwards. Their p99 is reported on
      // its own (warmupLatencyP99Ms) rather than mixed into the steady window's.
      let warmupP99: number | undefined;
      if (args.warmupSeconds > 0) {
        reset();
        const warm = new TrafficGenerator(apps, { ratePerMember: args.rate, seed: 2000 + epoch });
        warm.start();
        await new Promise((r) => setTimeout(r, args.warmupSeconds * 1000));
        await warm.stop();
        await settled();
        warmupP99 = round(
          quantile(
            apps.flatMap((a) => a.latencies),
            0.99,
          ),
        );
      }
      // Steady-state window on this topology.
      reset();
      const steady = new TrafficGenerator(apps, { ratePerMember: args.rate, seed: 1000 + epoch });
      const w0 = Date.now();
      const cpu0 = cpuMs(fleetPids);
      steady.start();
      await new Promise((r) => setTimeout(r, args.windowSeconds * 1000));
      await steady.stop();
      const audit = await settled();
      const elapsed = (Date.now() - w0) / 1000;
      const fleetCpuMs = cpuMs(fleetPids) - cpu0;
      const latencies = apps.flatMap((a) => a.latencies);
      const metrics = await orch.each(ids, (c) => c.getMetrics());
      const conns = [...metrics.values.values()].map((m) => m.overlays.find((o) => o.epoch === epoch)?.connections ?? 0);
      const row = {
        topology: kind,
        // Forming the overlay and verifying it: Preparing for a switch, Committing for the first overlay.
        convergenceSeconds: round((i === 0 ? stageMs(report, 'Committing') : stageMs(report, 'Preparing')) / 1000),
        throughputMsgsPerSec: round(audit.delivered / elapsed, 1),
        latencyP50Ms: round(quantile(latencies, 0.5)),
        latencyP99Ms: round(quantile(latencies, 0.99)),
        ...(warmupP99 !== undefined ? { warmupLatencyP99Ms: warmupP99 } : {}),
        // What the window cost the machine: CPU-seconds per second over all sidecar processes, and
        // per app message sent (a HyParView broadcast's flood dominates it). Against the machine's
        // cores this bounds how fast a flood can finish.
        fleetCpuCores: round(fleetCpuMs / 1000 / elapsed),
        fleetCpuMsPerMessage: round(fleetCpuMs / Math.max(1, audit.sent), 1),
        connectionsPerMember: round(conns.reduce((a, b) => a + b, 0) / Math.max(1, conns.length), 1),
        rssMiBPerMember: round(statusMiB(fleetPids, 'VmRSS') / args.nodes, 1),
        standaloneRssMiB: round(Math.max(0, ...alonePids.map((p) => statusMiB([p], 'VmRSS'))), 1),
        standalonePrivateMiB: round(Math.max(0, ...alonePids.map((p) => statusMiB([p], 'RssAnon'))), 1),
        standalonePssMiB: round(Math.max(0, ...alonePids.map((p) => pssMiB([p]))), 1),
        sent: audit.sent,
        lost: audit.lost,
        duplicated: audit.duplicated,
      };
      topologies.push(row);
      process.stderr.write(`${kind}: ${JSON.stringify(row)}\n`);
    }
  } finally {
    for (const a of apps) a.close();
    orch.close();
    operator.close();
    await fleet.stop();
  }
  const result = {
    nodes: args.nodes,
    perProcess: args.perProcess,
    standalone: args.standalone,
    ratePerMember: args.rate,
    warmupSeconds: args.warmupSeconds,
    windowSeconds: args.windowSeconds,
    steps: STEPS,
    loadAverage: loadavg().map((x) => round(x)),
    measuredAt: new Date().toISOString(),
    topologies,
    switches,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  const pad = (s: unknown, n: number): string => String(s).padEnd(n);
  console.log(`\nsidecars: ${args.nodes} members (${args.perProcess} per process), ${args.rate} msg/s per member`);
  console.log(
    `${pad('topology', 14)}${pad('converge s', 12)}${pad('deliv/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('warm-up p99', 13)}${pad('cpu cores', 11)}${pad('cpu ms/msg', 12)}${pad('conns', 8)}${pad('RSS/member', 12)}${pad('alone RSS', 11)}${pad('alone private', 14)}${pad('alone PSS', 10)}`,
  );
  for (const t of topologies)
    console.log(
      `${pad(t.topology, 14)}${pad(t.convergenceSeconds, 12)}${pad(t.throughputMsgsPerSec, 10)}${pad(t.latencyP50Ms, 9)}${pad(t.latencyP99Ms, 9)}${pad(t.warmupLatencyP99Ms ?? '-', 13)}${pad(t.fleetCpuCores, 11)}${pad(t.fleetCpuMsPerMessage, 12)}${pad(t.connectionsPerMember, 8)}${pad(t.rssMiBPerMember, 12)}${pad(t.standaloneRssMiB, 11)}${pad(t.standalonePrivateMiB, 14)}${pad(t.standalonePssMiB, 10)}`,
    );
  console.log(`\n${pad('switch', 28)}${pad('seconds', 9)}${pad('sent', 8)}${pad('lost', 6)}${pad('dup', 6)}`);
  for (const s of switches) console.log(`${pad(`${s.from} → ${s.to}`, 28)}${pad(s.switchSeconds, 9)}${pad(s.sent, 8)}${pad(s.lost, 6)}${pad(s.duplicated, 6)}`);
  console.log(`\nwritten to ${args.out}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:sidecars failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
