/**
 * `npm run bench:overlays`: every overlay in the deterministic simulator, measured the way the
 * HyParView and Plumtree papers measure, printed next to the papers' published numbers.
 *
 *   npm run bench:overlays                          # N = 100, 1,000, 10,000; crashes of 20/50/80%
 *   npm run bench:overlays -- --nodes 1000 --out r.json
 *   npm run bench:overlays -- --overlays HyParView,PubSub --failures 50 --broadcasts 50
 *   npm run bench:overlays -- --overlays HyParView,PubSub --no-catch-up   # the papers' conditions
 *
 * Our HyParView and PubSub resend recent broadcasts over links made by repair ("catch-up"), and a
 * broadcast here may take its full window (3 s of virtual time) while failures are detected
 * (20 ms after a send fails) and repaired. PeerSim's broadcasts are instantaneous, so the papers'
 * first-broadcast-after-failure numbers measure the flood alone: `--no-catch-up` is the
 * comparable setting.
 *
 * Each (overlay, N, failure) runs in its own child process, so wall time and peak RSS are per run.
 * The first failure percentage runs in the same child as the 100 stable broadcasts (the row's
 * `wallSeconds`: joins + broadcasts + one failure scenario); each further percentage rebuilds the
 * overlay from the same seed in another child (10 warm-up broadcasts, then the crash). FullMesh is
 * not run above 1,000 members: its row reports the N − 1 links per member it would need.
 * Progress goes to stderr; the table to stdout; JSON to `--out` (default bench/results/overlays.json).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OVERLAY_KINDS, type OverlayKind } from '../src/overlays/types.js';
import { runScenario, type FailureResult, type ScenarioResult } from '../src/overlays/sim/scenario.js';
import { PAPER } from './support/paper.js';

/** Command-line settings. */
interface Args {
  nodes: number[];
  overlays: OverlayKind[];
  failures: number[];
  broadcasts: number;
  seed: number;
  out: string;
  fullMeshMax: number;
  catchUp: boolean;
  child?: { kind: OverlayKind; nodes: number; failure: number | undefined; broadcasts: number };
}

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: `dist/bench/overlays.js` → two levels up. */
const root = resolve(here, '..', '..');

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    nodes: [100, 1000, 10000],
    overlays: [...OVERLAY_KINDS],
    failures: [20, 50, 80],
    broadcasts: 100,
    seed: 20070625,
    out: resolve(root, 'bench/results/overlays.json'),
    fullMeshMax: 1000,
    catchUp: true,
  };
  const list = (v: string): string[] =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--nodes':
        args.nodes = list(value()).map(Number);
        break;
      case '--overlays':
        args.overlays = list(value()).map((k) => {
          if (!(OVERLAY_KINDS as readonly string[]).includes(k)) throw new Error(`unknown overlay ${k}; one of ${OVERLAY_KINDS.join(', ')}`);
          return k as OverlayKind;
        });
        break;
      case '--failures':
        args.failures = list(value()).map(Number);
        break;
      case '--broadcasts':
        args.broadcasts = Number(value());
        break;
      case '--seed':
        args.seed = Number(value());
        break;
      case '--out':
        args.out = resolve(value());
        break;
      case '--no-catch-up':
        args.catchUp = false;
        break;
      case '--full-mesh-max':
        args.fullMeshMax = Number(value());
        break;
      case '--child': {
        const [kind, nodes, failure, broadcasts] = list(value());
        args.child = {
          kind: kind as OverlayKind,
          nodes: Number(nodes),
          failure: failure === '-' ? undefined : Number(failure),
          broadcasts: Number(broadcasts),
        };
        break;
      }
      default:
        throw new Error(`unknown flag ${flag}; see the header of bench/overlays.ts`);
    }
  }
  for (const n of args.nodes) if (!Number.isInteger(n) || n < 2) throw new Error(`--nodes: ${n} is not an integer >= 2`);
  return args;
}

/** Runs one scenario in this process and prints its JSON on stdout (child mode). */
function child(args: Args): void {
  const c = args.child as NonNullable<Args['child']>;
  const result = runScenario({
    kind: c.kind,
    nodes: c.nodes,
    seed: args.seed,
    broadcasts: c.broadcasts,
    failure: c.failure === undefined ? undefined : c.failure / 100,
    broadcastsAfterFailure: 10,
    joinGapMs: 10,
    stabiliseMs: 60_000,
    windowMs: 3_000,
    settleMs: 500,
    servers: 3,
    latency: { kind: 'uniform', minMs: 1, maxMs: 10, perLink: true },
    catchUp: args.catchUp,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function spawnChild(args: Args, kind: OverlayKind, nodes: number, failure: number | undefined, broadcasts: number): ScenarioResult {
  const childArgs = [
    fileURLToPath(import.meta.url),
    '--seed',
    String(args.seed),
    ...(args.catchUp ? [] : ['--no-catch-up']),
    '--child',
    `${kind},${nodes},${failure ?? '-'},${broadcasts}`,
  ];
  const res = spawnSync(process.execPath, ['--max-old-space-size=4096', ...childArgs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`${kind} ${nodes} failed with status ${res.status}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() as string) as ScenarioResult;
}

/** One row of the JSON output. */
interface Row extends Omit<ScenarioResult, 'failures'> {
  failures: (FailureResult & { wallSeconds: number })[];
  /** Wall time of all children of this row (rebuilds for further failure percentages included). */
  totalWallSeconds: number;
  /** Set when the row was not simulated (FullMesh above --full-mesh-max). */
  notRun?: string;
  /** PubSub: LDH of plain flooding (HyParView row, same N and seed). */
  floodingLdh?: number;
}

function runRow(args: Args, kind: OverlayKind, nodes: number): Row {
  if (kind === 'FullMesh' && nodes > args.fullMeshMax) {
    const links = (nodes * (nodes - 1)) / 2;
    process.stderr.write(`[FullMesh ${nodes}] not run: ${links.toLocaleString('en-US')} links (N−1 = ${nodes - 1} per member)\n`);
    return {
      overlay: kind,
      nodes,
      catchUp: args.catchUp,
      connectionsMean: nodes - 1,
      connectionsMax: nodes - 1,
      components: 1,
      reliability: 1,
      rmr: 0,
      rmrSeries: [],
      ldh: 1,
      ldhSeries: [],
      maxLdh: 1,
      latencyP50Ms: 0,
      latencyP99Ms: 0,
      duplicateDeliveries: 0,
      failures: [],
      events: 0,
      virtualSeconds: 0,
      joinWallSeconds: 0,
      wallSeconds: 0,
      cpuSeconds: 0,
      peakRssMiB: 0,
      totalWallSeconds: 0,
      notRun: `N² cost: ${links} links, ${nodes - 1} per member; by design reliability 1, RMR 0, LDH 1`,
    };
  }
  const [first, ...rest] = args.failures;
  const main = spawnChild(args, kind, nodes, first, args.broadcasts);
  const failures = main.failures.map((f) => ({ ...f, wallSeconds: main.wallSeconds }));
  let total = main.wallSeconds;
  let rss = main.peakRssMiB;
  for (const pct of rest) {
    const extra = spawnChild(args, kind, nodes, pct, Math.min(10, args.broadcasts));
    for (const f of extra.failures) failures.push({ ...f, wallSeconds: extra.wallSeconds });
    total += extra.wallSeconds;
    rss = Math.max(rss, extra.peakRssMiB);
  }
  return { ...main, failures, totalWallSeconds: total, peakRssMiB: rss };
}

/** Row name: the overlay, marked when its catch-up was switched off. */
const label = (r: Row): string => (r.catchUp === false && (r.overlay === 'HyParView' || r.overlay === 'PubSub') ? `${r.overlay} (no catch-up)` : r.overlay);
const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(x >= 0.9995 && x < 1 ? 2 : 1)}`);
const num = (x: number | undefined, d = 2): string => (x === undefined ? '-' : x.toFixed(d));

function failureCell(row: Row, p: number): string {
  const f = row.failures.find((x) => x.crashedPercent === p);
  if (f === undefined) return '-';
  const servers = f.serversAlive === undefined ? '' : ` (${f.serversAlive} srv)`;
  return `${pct(f.firstReliability)}→${f.broadcastsToFullReliability ?? 'never'}${servers}`;
}

function paperFailureCell(kind: OverlayKind, p: number): string {
  const ref = PAPER[kind];
  const first = ref.firstAfterFailure?.[p];
  const full = ref.toFull?.[p];
  if (first === undefined && full === undefined) return '-';
  return `${first === undefined ? '?' : pct(first)}→${full ?? '?'}`;
}

/** Prints the table: one line per run, and under it the paper's (or the design's) numbers. */
function printTable(rows: readonly Row[], args: Args): void {
  const head = [
    'overlay',
    'N',
    'conns mean/max',
    'reliab %',
    'RMR',
    'LDH',
    'p50 ms',
    'p99 ms',
    ...args.failures.map((p) => `fail ${p}%`),
    'wall s',
    'cpu s',
    'RSS MiB',
  ];
  const lines: string[][] = [head];
  for (const r of rows) {
    if (r.notRun !== undefined) {
      lines.push([r.overlay, String(r.nodes), `${r.nodes - 1} (N², not run)`, '100', '0', '1', '-', '-', ...args.failures.map(() => '-'), '-', '-', '-']);
      continue;
    }
    const conns =
      r.overlay === 'ClientServer'
        ? `${num(r.connectionsMean)}/${r.connectionsMax} (client ${num(r.connectionsPerClient, 1)})`
        : `${num(r.connectionsMean)}/${r.connectionsMax}`;
    const ldh = r.overlay === 'PubSub' && r.floodingLdh !== undefined ? `${num(r.ldh, 1)} (flood ${num(r.floodingLdh, 1)})` : num(r.ldh, 1);
    lines.push([
      label(r),
      String(r.nodes),
      conns,
      pct(r.reliability),
      num(r.rmr, 3),
      ldh,
      num(r.latencyP50Ms, 1),
      num(r.latencyP99Ms, 1),
      ...args.failures.map((p) => failureCell(r, p)),
      num(r.wallSeconds, 1),
      num(r.cpuSeconds, 1),
      num(r.peakRssMiB, 0),
    ]);
    const ref = PAPER[r.overlay];
    lines.push([
      '  paper',
      '',
      ref.connections ?? '-',
      pct(ref.reliability),
      ref.rmr === undefined ? '-' : String(ref.rmr),
      ref.ldh === undefined ? '-' : String(ref.ldh),
      '',
      '',
      ...args.failures.map((p) => paperFailureCell(r.overlay, p)),
      '',
      '',
      '',
    ]);
  }
  const widths = head.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
  const out = lines.map((l) => l.map((cell, c) => (c < 1 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  '));
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  process.stdout.write(`${out.join('\n')}\n\n`);
  for (const r of rows) {
    if (r.notRun !== undefined || (r.overlay !== 'PubSub' && r.overlay !== 'HyParView')) continue;
    const paper = r.overlay === 'PubSub' ? `   paper: ${(PAPER.PubSub.rmrSeries ?? []).join(' ')}` : '   paper (eager): 2.03 2.90 2.94 … 2.99';
    process.stdout.write(
      `${label(r)} N=${String(r.nodes).padEnd(6)} RMR by broadcast 1..6: ${r.rmrSeries.map((x) => x.toFixed(2)).join(' ')}${paper}; LDH 1..6: ${r.ldhSeries.join(' ')}\n`,
    );
  }
  for (const r of rows) {
    for (const f of r.failures) {
      if (r.overlay !== 'HyParView' && r.overlay !== 'PubSub') continue;
      process.stdout.write(
        `${label(r)} N=${String(r.nodes).padEnd(6)} after ${f.crashedPercent}% crash, reliability by broadcast: ${f.reliabilitySeries.map((x) => (x * 100).toFixed(1)).join(' ')}; RMR: ${f.rmrSeries.map((x) => x.toFixed(2)).join(' ')}\n`,
      );
    }
  }
  process.stdout.write(
    '\nfail X%: reliability (%) of the 1st broadcast right after X% of the members crash at once → index of the first broadcast that reached every live member (srv: ClientServer servers left of 3).\n',
  );
  process.stdout.write(
    'Stable RMR/LDH: broadcasts from the 6th on, from random live members. Latencies in virtual ms (links 1–10 ms). Paper rows: published numbers at 10,000 nodes (PeerSim) or the design guarantee.\n',
  );
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.child !== undefined) {
    child(args);
    return;
  }
  const rows: Row[] = [];
  const kinds = [...args.overlays];
  // Flooding LDH for the PubSub comparison comes from the HyParView row: run it first.
  kinds.sort((a, b) => OVERLAY_KINDS.indexOf(a) - OVERLAY_KINDS.indexOf(b));
  for (const kind of kinds) {
    for (const nodes of args.nodes) {
      const row = runRow(args, kind, nodes);
      if (kind === 'PubSub') {
        const flood = rows.find((r) => r.overlay === 'HyParView' && r.nodes === nodes);
        if (flood !== undefined) row.floodingLdh = flood.ldh;
      }
      rows.push(row);
    }
  }
  printTable(rows, args);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify({ seed: args.seed, generatedBy: 'npm run bench:overlays', results: rows }, null, 2)}\n`);
  process.stderr.write(`wrote ${args.out}\n`);
}

main();
