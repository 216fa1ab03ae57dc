/**
 * Benchmark of the operator's reconcile pass against real sidecars on a loopback fleet, without
 * Kubernetes (`npm run bench:operator -- --nodes N --out FILE`).
 *
 * The pass is the reconciler's own (src/operator/reconcile/reconcile-pass.ts: observe every sidecar, plan,
 * carry out the member actions, move the verification on), driven as the loopback fleet drives it
 * (src/fleet/fleet-operator.ts): the resource is a status kept in memory instead of the API
 * server, and the wait between passes is the pass's own requeueAfter, cut short when a probe
 * round returns (as the operator's controller is woken). It measures, for the
 * first overlay and for a chain of phased switches (rollout steps 10/50/100 %, 1 s health window
 * per step): wall time, passes, and the duration of one pass (p50/p99) — the operator-side cost of
 * a switch as the fleet grows. Writes JSON (default bench/results/operator.json) and prints a table.
 *
 * Scenarios (`--scenario switch|resources|cluster-switch|members|all`, default all; `members` only when named):
 * - `switch`: the above (`--nodes N`, `--per-process N`, `--out FILE`).
 * - `resources`: bench/operator-resources.ts — `--count N` (default 1000) ClusterTopologies on a
 *   local cluster against the real operator executable: settle time, reconcile throughput and p99,
 *   operator RSS (`--create-concurrency N`, `--workers N`, `--operator-node-args "FLAGS"`, `--timeout-s S`; `--out FILE` when it
 *   runs alone, else `--resources-out FILE`; default bench/results/operator-<count>.json).
 * - `cluster-switch`: bench/operator-cluster-switch.ts — a switch end to end on a local cluster
 *   (`kubectl apply` → status Ready) with the real operator executable, N sidecar pods with app
 *   containers and audited app traffic: `--nodes 10,50` when it runs alone, else `--cluster-nodes`
 *   (default 10,50); `--steps 25,50,100`, `--window-s 2`, `--rate` (msg/s per member, default 0.5),
 *   `--heartbeat-ms` (app container heartbeat, default 10000; 0: no app container),
 *   `--apply kubectl|patch` (default kubectl apply; patch: a merge patch through the API),
 *   `--trace` (time every reconcile pass, sidecar fan-out and status write of the operator),
 *   `--progress-deadline-s` (default 60), `--switch-timeout-s` (default 120). Writes bench/results/operator-switch-<N>.json
 *   (operator-switch-<N>-sidecar-only.json with `--heartbeat-ms 0`, `-rate<r>` with another `--rate`).
 * - `members`: bench/operator-members.ts — one ClusterTopology of `--members 500,1000,2000` virtual
 *   members (Control served by `--hosts N` processes, the real switch engine behind each) through
 *   a switch on a local cluster with the real operator: pass p50/p99, Control calls and bytes per
 *   pass, time to Ready, operator RSS, sampled-metrics cost and error (`--sample-size`,
 *   `--timeout-s`; `--out FILE` with `{n}` for the count; default bench/results/operator-members-<n>.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FleetOperator } from '../src/fleet/fleet-operator.js';
import { LoopbackFleet } from '../src/fleet/loopback-fleet.js';
import type { OverlayKind } from '../src/api/types.js';
import { quantile } from '../src/sidecar/latency-window.js';
import { packageRoot } from '../src/paths.js';
import {
  DEFAULT_CLUSTER_SWITCH_NODES,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_RATE_PER_MEMBER,
  DEFAULT_SWITCH_STEPS,
  DEFAULT_WINDOW_SECONDS,
  defaultClusterSwitchOut,
  runClusterSwitchBench,
  type ClusterSwitchOptions,
} from './operator-cluster-switch.js';
import { DEFAULT_HOSTS, DEFAULT_MEMBER_COUNTS, DEFAULT_SAMPLE_SIZE, defaultMembersOut, runMembersBench, type MembersBenchOptions } from './operator-members.js';
import {
  DEFAULT_CREATE_CONCURRENCY,
  DEFAULT_RESOURCE_COUNT,
  defaultResourcesOut,
  runResourcesBench,
  type ResourcesBenchOptions,
} from './operator-resources.js';

/** The chain of switches after the first overlay (FullMesh). */
const CHAIN: OverlayKind[] = ['HyParView', 'PubSub', 'ClientServer', 'FullMesh'];

const SCENARIOS = ['switch', 'resources', 'cluster-switch', 'members', 'all'] as const;

interface Args {
  scenario: (typeof SCENARIOS)[number];
  nodes: number;
  perProcess: number;
  out: string;
  resources: ResourcesBenchOptions;
  clusterSwitch: ClusterSwitchOptions;
  members: MembersBenchOptions;
}

function positiveInt(text: string | undefined, def: number, flag: string): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer, got "${text}"`);
  return n;
}

/** A comma-separated list of positive integers (e.g. `10,50`). */
function intList(text: string | undefined, def: number[], flag: string): number[] {
  if (text === undefined) return def;
  const list = text.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`--${flag} must be a comma-separated list of positive integers, got "${text}"`);
  return list;
}

function positiveNumber(text: string | undefined, def: number, flag: string): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number, got "${text}"`);
  return n;
}

function nonNegativeInt(text: string | undefined, def: number, flag: string): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a non-negative integer, got "${text}"`);
  return n;
}

function applyMethod(text: string | undefined): ClusterSwitchOptions['apply'] {
  if (text === undefined || text === 'kubectl' || text === 'patch') return text ?? 'kubectl';
  throw new Error(`--apply must be kubectl or patch, got "${text}"`);
}

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const scenario = (get('scenario') ?? 'all') as Args['scenario'];
  if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}`);
  const nodes = Number((scenario === 'cluster-switch' ? undefined : get('nodes')) ?? 25);
  if (!Number.isInteger(nodes) || nodes < 2) throw new Error('--nodes must be an integer >= 2');
  const clusterNodes = intList(
    get(scenario === 'cluster-switch' ? 'nodes' : 'cluster-nodes'),
    DEFAULT_CLUSTER_SWITCH_NODES,
    scenario === 'cluster-switch' ? 'nodes' : 'cluster-nodes',
  );
  if (clusterNodes.some((n) => n < 2)) throw new Error('cluster-switch member counts must be >= 2');
  const steps = intList(get('steps'), DEFAULT_SWITCH_STEPS, 'steps');
  if (steps.some((x) => x > 100) || steps[steps.length - 1] !== 100) throw new Error('--steps must be percentages ending with 100');
  const heartbeatMs = nonNegativeInt(get('heartbeat-ms'), DEFAULT_HEARTBEAT_MS, 'heartbeat-ms');
  const ratePerMember = positiveNumber(get('rate'), DEFAULT_RATE_PER_MEMBER, 'rate');
  const clusterSwitch: ClusterSwitchOptions = {
    nodes: clusterNodes,
    steps,
    windowSeconds: nonNegativeInt(get('window-s'), DEFAULT_WINDOW_SECONDS, 'window-s'),
    progressDeadlineSeconds: positiveInt(get('progress-deadline-s'), 60, 'progress-deadline-s'),
    ratePerMember,
    heartbeatMs,
    apply: applyMethod(get('apply')),
    trace: argv.includes('--trace'),
    switchTimeoutMs: positiveInt(get('switch-timeout-s'), 120, 'switch-timeout-s') * 1000,
    out: (n) => defaultClusterSwitchOut(n, heartbeatMs, ratePerMember),
  };
  const count = positiveInt(get('count'), DEFAULT_RESOURCE_COUNT, 'count');
  const workers = get('workers');
  const resources: ResourcesBenchOptions = {
    count,
    createConcurrency: positiveInt(get('create-concurrency'), DEFAULT_CREATE_CONCURRENCY, 'create-concurrency'),
    workers: workers === undefined ? undefined : positiveInt(workers, 1, 'workers'),
    operatorNodeArgs: (get('operator-node-args') ?? '').split(' ').filter((a) => a !== ''),
    timeoutMs: positiveInt(get('timeout-s'), 120, 'timeout-s') * 1000,
    out: get('resources-out') ?? (scenario === 'resources' ? get('out') : undefined) ?? defaultResourcesOut(count),
  };
  const members: MembersBenchOptions = {
    members: intList(get('members'), DEFAULT_MEMBER_COUNTS, 'members'),
    hosts: positiveInt(get('hosts'), DEFAULT_HOSTS, 'hosts'),
    sampleSize: positiveInt(get('sample-size'), DEFAULT_SAMPLE_SIZE, 'sample-size'),
    timeoutMs: positiveInt(get('timeout-s'), 300, 'timeout-s') * 1000,
    out: (n) => (scenario === 'members' && get('out') !== undefined ? (get('out') as string).replace('{n}', String(n)) : defaultMembersOut(n)),
  };
  return {
    scenario,
    clusterSwitch,
    members,
    nodes,
    perProcess: Number(get('per-process') ?? (nodes > 50 ? 10 : 1)),
    out: get('out') ?? join(packageRoot(), 'bench', 'results', 'operator.json'),
    resources,
  };
}

interface Phase {
  to: OverlayKind;
  seconds: number;
  passes: number;
  passP50Ms: number;
  passP99Ms: number;
  result: string;
  reason: string;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.scenario === 'switch' || args.scenario === 'all') await runSwitchBench(args);
  if (args.scenario === 'resources' || args.scenario === 'all') await runResourcesBench(args.resources);
  if (args.scenario === 'cluster-switch' || args.scenario === 'all') await runClusterSwitchBench(args.clusterSwitch);
  // Not part of `all`: thousands of pods on the local API server take minutes to create and delete.
  if (args.scenario === 'members') await runMembersBench(args.members);
}

/** The switch scenario: reconcile passes against a loopback sidecar fleet. */
async function runSwitchBench(args: Args): Promise<void> {
  process.stderr.write(`starting ${args.nodes} sidecars (${args.perProcess} per process)...\n`);
  const fleet = await LoopbackFleet.start({ size: args.nodes, perProcess: args.perProcess });
  // The operator's pass over the fleet, the resource in memory (src/fleet/fleet-operator.ts).
  const operator = new FleetOperator(fleet.ids(), {
    token: fleet.token,
    callTimeoutMs: 5000,
    rollout: { steps: [10, 50, 100], stepVerificationSeconds: 1, progressDeadlineSeconds: 120 },
  });
  const phases: Phase[] = [];

  const settle = async (to: OverlayKind): Promise<void> => {
    const report = await operator.switchTo(to, { timeoutMs: 180_000 });
    if (report.result === 'Timeout') throw new Error(`switch to ${to} did not finish: ${report.reason}`);
    const phase: Phase = {
      to,
      seconds: report.totalMs / 1000,
      passes: report.passes,
      passP50Ms: quantile(report.passMs, 0.5),
      passP99Ms: quantile(report.passMs, 0.99),
      result: report.result,
      reason: report.reason,
    };
    phases.push(phase);
    process.stderr.write(
      `${to.padEnd(12)} ${phase.result.padEnd(10)} ${phase.seconds.toFixed(1).padStart(6)} s  ${String(phase.passes).padStart(4)} passes  pass p50 ${phase.passP50Ms.toFixed(0)} ms p99 ${phase.passP99Ms.toFixed(0)} ms\n`,
    );
  };

  try {
    await settle('FullMesh');
    for (const to of CHAIN) await settle(to);
  } finally {
    operator.close();
    await fleet.stop();
  }
  const out = {
    nodes: args.nodes,
    perProcess: args.perProcess,
    steps: operator.spec.rollout?.steps,
    stepVerificationSeconds: operator.spec.rollout?.stepVerificationSeconds,
    phases,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(out, null, 2)}\n`);
  process.stderr.write(`wrote ${args.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:operator failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
