/**
 * The delivery contract under faults, in the simulator (`npm run bench:faults`): members running
 * the sidecar's own member core (src/member) switch live through all four topologies under steady
 * app traffic while one kind of fault, then all of them, hits them (src/member/sim/fault-run.ts:
 * member crashes, sidecar restarts with state lost, frame loss, a partition that heals, delay and
 * reordering, slow and absent subscribers, full queues). Every delivery is audited: a
 * `contractViolation` is a loss the receiving app was not told about, or a duplicate. Target: 0 in
 * every scenario.
 *
 *   npm run bench:faults -- --nodes 1000 --out bench/results/faults-1000.json [--seed 1] [--rate 40] [--scenarios a,b]
 *
 * Prints a table as each scenario finishes; writes one JSON row per scenario:
 * `{scenario, members, faults, accepted, delivered, lost, duplicated, contractViolations, ...}`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FAULT_SCENARIOS, runFaultScenario, type FaultRow, type FaultScenario } from '../src/member/sim/fault-run.js';
import { packageRoot } from '../src/paths.js';

interface Args {
  nodes: number;
  seed: number;
  rate: number;
  scenarios: FaultScenario[];
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, fallback: number): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`--${name} must be an integer >= 2, got ${v}`);
    return n;
  };
  const nodes = int('nodes', 1000);
  const names = get('scenarios')?.split(',') ?? [...FAULT_SCENARIOS];
  for (const n of names)
    if (!(FAULT_SCENARIOS as readonly string[]).includes(n)) throw new RangeError(`--scenarios: unknown ${n}; known: ${FAULT_SCENARIOS.join(', ')}`);
  return {
    nodes,
    seed: int('seed', 1),
    rate: int('rate', 40),
    scenarios: names as FaultScenario[],
    out: get('out') ?? join(packageRoot(), 'bench', 'results', `faults-${nodes}.json`),
  };
}

const COLUMNS = [
  'scenario',
  'members',
  'accepted',
  'expected',
  'delivered',
  'lost',
  'duplicated',
  'contractViolations',
  'gaps',
  'switches',
  'cpuSeconds',
] as const;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rows: (FaultRow & { cpuSeconds: number; seed: number; ratePerSecond: number })[] = [];
  console.log(`bench:faults — ${args.nodes} members, seed ${args.seed}, ${args.rate} app messages/s, ${args.scenarios.length} scenarios`);
  console.log(COLUMNS.join('\t'));
  for (const scenario of args.scenarios) {
    const started = process.cpuUsage();
    const row = runFaultScenario({ scenario, nodes: args.nodes, seed: args.seed, ratePerSecond: args.rate });
    const used = process.cpuUsage(started);
    const full = { ...row, cpuSeconds: Math.round((used.user + used.system) / 1e4) / 100, seed: args.seed, ratePerSecond: args.rate };
    rows.push(full);
    console.log(COLUMNS.map((c) => String(full[c])).join('\t'));
    for (const e of row.examples) console.log(`  violation: ${e}`);
    console.log(`  faults: ${row.faults}`);
  }
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(rows, null, 2) + '\n');
  const bad = rows.filter((r) => r.contractViolations > 0);
  console.log(`wrote ${args.out}; ${bad.length === 0 ? 'no contract violations' : `${bad.length} scenarios with contract violations`}`);
  if (bad.length > 0) process.exitCode = 1;
}

main();
