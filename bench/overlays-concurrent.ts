/**
 * Broadcast trees under concurrent senders, in the simulator (`npm run bench:overlays:concurrent`).
 *
 * bench/overlays.ts sends one broadcast at a time, as the papers do; a pub/sub cluster has many
 * members publishing at once. This sends broadcasts from random members at a steady rate
 * (`--rates`, broadcasts per second over the whole cluster) and measures, over the broadcasts after
 * `--warmup` virtual seconds: delivery latency p50/p90/p99, lost deliveries, payload redundancy
 * (RMR over the payload copies received) and, at the end, how many pieces Plumtree's eager links
 * form (1: one tree). Variants: PubSub as shipped, PubSub with `pruneHoldMs: 0` (the paper's rule:
 * every duplicate prunes its link), and HyParView's flood for reference.
 *
 *   npm run bench:overlays:concurrent -- --nodes 50 --rates 1,5,25 --seconds 20 --out FILE
 *
 * Prints a table; writes JSON (default bench/results/overlays-concurrent.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { components, mutualLinks } from '../src/overlays/components.js';
import { HyParView } from '../src/overlays/hyparview.js';
import { PubSub } from '../src/overlays/pubsub.js';
import { SeededRandom, pickOne } from '../src/overlays/random.js';
import { Simulator, firstMemberContact, joinAll, nodeIds } from '../src/overlays/sim/index.js';
import type { NodeId, Overlay, OverlayCounters, WireMessage } from '../src/overlays/types.js';
import { packageRoot } from '../src/paths.js';

/** Ids remembered by every member: more than the run's broadcasts, so nothing is forgotten. */
const DEDUP = 100_000;

interface Args {
  nodes: number;
  rates: number[];
  seconds: number;
  warmup: number;
  seed: number;
  out: string;
}

interface Variant {
  readonly name: string;
  readonly make: (id: NodeId, random: SeededRandom) => Overlay<WireMessage, unknown>;
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'PubSub',
    make: (id, random) => new PubSub(id, random, { dedupCapacity: DEDUP }, { dedupCapacity: DEDUP }) as unknown as Overlay<WireMessage, unknown>,
  },
  {
    name: 'PubSub pruneHoldMs 0',
    make: (id, random) =>
      new PubSub(id, random, { dedupCapacity: DEDUP }, { dedupCapacity: DEDUP, pruneHoldMs: 0 }) as unknown as Overlay<WireMessage, unknown>,
  },
  { name: 'HyParView (flood)', make: (id, random) => new HyParView(id, random, { dedupCapacity: DEDUP }) as unknown as Overlay<WireMessage, unknown> },
];

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const args: Args = {
    nodes: Number(get('nodes') ?? 50),
    rates: (get('rates') ?? '1,5,25').split(',').map(Number),
    seconds: Number(get('seconds') ?? 20),
    warmup: Number(get('warmup') ?? 5),
    seed: Number(get('seed') ?? 7),
    out: get('out') ?? join(packageRoot(), 'bench', 'results', 'overlays-concurrent.json'),
  };
  if (!Number.isInteger(args.nodes) || args.nodes < 2) throw new Error('--nodes must be an integer >= 2');
  if (args.rates.some((r) => !(r > 0))) throw new Error('--rates must be positive numbers, e.g. 1,5,25');
  if (!(args.seconds > args.warmup) || args.warmup < 0) throw new Error('--seconds must exceed --warmup');
  return args;
}

/** Sum of every member's counters. */
function total(overlays: ReadonlyMap<NodeId, Overlay<WireMessage, unknown>>): OverlayCounters {
  const sum: OverlayCounters = { messagesSent: 0, messagesReceived: 0, appDelivered: 0, duplicatesDropped: 0, neighborUps: 0, neighborDowns: 0 };
  for (const o of overlays.values()) {
    const c = o.counters();
    for (const k of Object.keys(sum) as (keyof OverlayCounters)[]) sum[k] += c[k];
  }
  return sum;
}

/** Pieces of the graph of links both ends keep eager (1: one tree); undefined for overlays without a tree. */
function eagerComponents(overlays: ReadonlyMap<NodeId, Overlay<WireMessage, unknown>>): number | undefined {
  const eager = new Map<NodeId, Set<NodeId>>();
  for (const [id, o] of overlays) {
    if (!(o instanceof PubSub)) return undefined;
    eager.set(id, new Set(o.treeLinks().eager));
  }
  return components([...eager.keys()], mutualLinks(eager)).length;
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

function run(args: Args, variant: Variant, rate: number): Record<string, unknown> {
  const ids = nodeIds(args.nodes);
  const overlays = new Map<NodeId, Overlay<WireMessage, unknown>>();
  const sim = new Simulator<WireMessage, unknown>({ seed: args.seed, latency: { kind: 'uniform', minMs: 1, maxMs: 10, perLink: true } }, (id, random) => {
    const o = variant.make(id, random);
    overlays.set(id, o);
    return o;
  });
  joinAll(sim, ids, { waveSize: 1, gapMs: 50, contacts: firstMemberContact });
  sim.runFor(5_000);
  const random = new SeededRandom(args.seed ^ 0x5eed);
  const periodMs = 1000 / rate;
  const measured: string[] = [];
  let before: OverlayCounters | undefined;
  for (let t = 0; t < args.seconds * 1000; t += periodMs) {
    if (before === undefined && t >= args.warmup * 1000) before = total(overlays);
    const id = sim.broadcast(pickOne(random, sim.aliveNodes()) as NodeId);
    if (t >= args.warmup * 1000) measured.push(id);
    sim.runFor(periodMs);
  }
  sim.runFor(3_000);
  const after = total(overlays);
  const latencies: number[] = [];
  let lost = 0;
  for (const id of measured) {
    const record = sim.deliveries(id);
    if (record === undefined) continue;
    for (const t of record.times) latencies.push(t - record.sentAt);
    lost += args.nodes - 1 - record.count;
  }
  latencies.sort((a, b) => a - b);
  const delivered = after.appDelivered - (before?.appDelivered ?? 0);
  const duplicates = after.duplicatesDropped - (before?.duplicatesDropped ?? 0);
  return {
    overlay: variant.name,
    nodes: args.nodes,
    broadcastsPerSecond: rate,
    broadcasts: measured.length,
    latencyP50Ms: round(percentile(latencies, 0.5)),
    latencyP90Ms: round(percentile(latencies, 0.9)),
    latencyP99Ms: round(percentile(latencies, 0.99)),
    lostDeliveries: lost,
    payloadRmr: round(delivered > 0 ? duplicates / delivered : 0, 3),
    eagerComponentsAtEnd: eagerComponents(overlays) ?? null,
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rows: Record<string, unknown>[] = [];
  for (const rate of args.rates) {
    for (const variant of VARIANTS) {
      process.stderr.write(`${variant.name}, ${args.nodes} members, ${rate} broadcasts/s ...\n`);
      rows.push(run(args, variant, rate));
    }
  }
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(
    args.out,
    `${JSON.stringify({ generatedBy: 'npm run bench:overlays:concurrent', seed: args.seed, seconds: args.seconds, warmupSeconds: args.warmup, latency: 'uniform 1-10 ms per link', results: rows }, null, 2)}\n`,
  );
  const pad = (s: unknown, n: number): string => String(s).padEnd(n);
  console.log(
    `\n${pad('overlay', 22)}${pad('bcast/s', 9)}${pad('p50 ms', 8)}${pad('p90 ms', 8)}${pad('p99 ms', 8)}${pad('lost', 6)}${pad('RMR', 8)}tree pieces`,
  );
  for (const r of rows)
    console.log(
      `${pad(r.overlay, 22)}${pad(r.broadcastsPerSecond, 9)}${pad(r.latencyP50Ms, 8)}${pad(r.latencyP90Ms, 8)}${pad(r.latencyP99Ms, 8)}${pad(r.lostDeliveries, 6)}${pad(r.payloadRmr, 8)}${r.eagerComponentsAtEnd ?? '-'}`,
    );
  console.log(`\nwritten to ${args.out}`);
}

main();
