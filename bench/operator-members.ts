/**
 * The operator at the seed's scale (issue #15 item 6): one ClusterTopology of 500, 1,000 and 2,000
 * members through a switch (`npm run bench:operator -- --scenario members --members 500,1000,2000`).
 *
 * What is real: the local control plane (etcd, kube-apiserver, controller-manager, scheduler), the
 * operator executable (one replica, its reconcile passes timed by the trace preload), the Pod
 * objects it selects and their status, and each member's Control API semantics: the epoch state
 * machine, request validation and fencing of src/sidecar, over gRPC on its own loopback address.
 * What is generated: the members themselves. A few processes (bench/support/virtual-members)
 * serve Control for all of them, like kwok's fake kubelets; their pods are bound to a virtual Node
 * that this bench heartbeats, and their status (Running, Ready, podIP) is written by this bench.
 * Overlays are not run: views are the real overlays' plans, health figures are seeded per member,
 * and a probe reaches exactly the members that run its epoch.
 *
 * Per member count it reports: time to Ready for the first overlay (HyParView) and for a switch
 * to PubSub (steps 25/50/100, 2 s windows), reconcile pass p50/p99 (whole passes from the trace,
 * the operator's histogram beside them), Control calls and bytes per pass, the operator's RSS (peak
 * VmRSS sampled every 200 ms, and VmHWM), and the metrics collection: GetMetrics calls per
 * evaluation (sampleSize members, so constant in the member count) and the error of the sampled
 * status.metrics against a collection over every member computed from the same seeded figures.
 * Writes bench/results/operator-members-<n>.json and prints a table.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { ClusterTopologySpec, OverlayKind, TopologyMetrics } from '../src/api/types.js';
import { NodeHeartbeat } from '../src/localcluster/node-agent-node.js';
import { createLogger } from '../src/localcluster/logger.js';
import { fleetHost } from '../src/fleet/loopback-fleet.js';
import { SIDECAR_TOKEN_SECRET_TYPE } from '../src/operator/sidecars/token.js';
import { packageRoot } from '../src/paths.js';
import { plannedNeighbors } from '../src/overlays/hyparview-plan.js';
import { quantile } from '../src/sidecar/latency-window.js';
import { OperatorProcess, SIDECAR_PORT, installCrd, readStatus, readTopology, topologyManifest } from '../test/e2e/fixtures/operator-harness.js';
import type { TestCluster } from '../test/e2e/support/cluster-handle.js';
import { acquireCluster } from './support/bench-cluster.js';
import { processCpuSeconds, readTrace, settledOn, startOperator, waitSeen } from './operator-cluster-switch.js';
import type { TraceEvent } from './support/operator-trace-preload.js';
import { histogramQuantile, memoryMiB, parseMetrics, type Scrape } from './operator-resources.js';
import { StatusTimeline, seenStatus, type SeenStatus } from './support/status-timeline.js';
import { VirtualMemberHosts, type HostCounts } from './support/virtual-members/virtual-hosts.js';
import { DEFAULT_ACTIVE_VIEW_SIZE, fullCollection } from './support/virtual-members/synthetic-overlay.js';

/** Options of {@link runMembersBench}. */
export interface MembersBenchOptions {
  /** Member counts, one run each (one local cluster for all). */
  members: number[];
  /** Processes serving the virtual members. */
  hosts: number;
  /** spec.autoSwitch.sampleSize. */
  sampleSize: number;
  /** Give up on one overlay becoming Ready after this long (ms). */
  timeoutMs: number;
  /** JSON file for `n` members. */
  out: (n: number) => string;
}

/** Issue #15's targets at 2,000 members. */
export const TARGET_PASS_P99_SECONDS = 2;
export const TARGET_OPERATOR_RSS_MIB = 300;
export const DEFAULT_MEMBER_COUNTS = [500, 1000, 2000];
/** Virtual-member processes: about one per core, the bench's own share of the machine. */
export const DEFAULT_HOSTS = Math.max(2, cpus().length);
/** The sample size the scenario runs with (the CRD default). */
export const DEFAULT_SAMPLE_SIZE = 100;

const NAME = 'members';
const APP = 'vmember';
const TOKEN_SECRET = 'cluster-token';
const VIRTUAL_NODE = 'topology-virtual-members';
/** Loopback block of the virtual members (fleets take 100-249, local clusters' pods 127.N with small N). */
const ADDRESS_BLOCK = 251;
const FIRST: OverlayKind = 'HyParView';
const SECOND: OverlayKind = 'PubSub';
const STEPS = [25, 50, 100];
const WINDOW_SECONDS = 2;
/** Seconds between evaluations (the CRD minimum), so a run sees several metric collections. */
const EVALUATION_SECONDS = 5;
/** Creates and status writes in flight at once. */
const API_CONCURRENCY = 32;

const progress = (line: string): void => void process.stderr.write(`[bench:operator members ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The JSON this scenario writes for one member count. */
export interface MembersBenchResult {
  scenario: 'members';
  members: number;
  hostProcesses: number;
  podsCreatedSeconds: number;
  firstOverlay: { topology: OverlayKind; readySeconds: number };
  switch: { from: OverlayKind; to: OverlayKind; outcome: string; readySeconds: number; steps: number[]; stepVerificationSeconds: number };
  passes: {
    count: number;
    /** From the trace: whole passes that started after the apply (see reconcileSpans). */
    p50Seconds: number;
    p99Seconds: number;
    maxSeconds: number;
    /** From the operator's reconcile_duration histogram (coarse buckets), the same window. */
    histogramP50Seconds: number;
    histogramP99Seconds: number;
    planP50Seconds: number;
    planP99Seconds: number;
    controlCallsPerPass: Record<string, number>;
    controlBytesPerPass: number;
  };
  operator: { rssPeakMiB: number; vmHwmMiB: number; rssAtEndMiB: number; cpuSeconds: number };
  metrics: {
    sampleSize: number;
    evaluations: number;
    getMetricsCallsPerEvaluation: number;
    sampled?: TopologyMetrics;
    full: ReturnType<typeof fullCollection>;
    relativeError: Record<string, number>;
  };
  hostRssMiB: number[];
  controlRefused: number;
  targets: { passP99Seconds: number; operatorRssMiB: number; passP99Met: boolean; rssMet: boolean };
  machine: { cpus: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
}

function manifest(topology: OverlayKind, sampleSize: number): string {
  const spec: ClusterTopologySpec = {
    selector: { matchLabels: { app: APP } },
    mode: 'Manual',
    topology,
    sidecar: { port: SIDECAR_PORT, tokenSecretRef: { name: TOKEN_SECRET } },
    rollout: { steps: STEPS, stepVerificationSeconds: WINDOW_SECONDS, progressDeadlineSeconds: 120 },
    autoSwitch: { evaluationIntervalSeconds: EVALUATION_SECONDS, sampleSize },
  };
  return topologyManifest(NAME, spec);
}

/** Runs `f` over `items` with at most `limit` in flight. */
async function bounded<T>(items: readonly T[], limit: number, f: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await f(items[i] as T, i);
      }
    }),
  );
}

function podName(i: number): string {
  return `vm-${String(i).padStart(5, '0')}`;
}

/** A pod bound to the virtual node: no kubelet runs it; this bench writes its status. */
function virtualPod(i: number): V1Pod {
  return {
    metadata: { name: podName(i), labels: { app: APP } },
    spec: {
      nodeName: VIRTUAL_NODE,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'sidecar', image: 'topology-virtual-member:bench', ports: [{ name: 'control', containerPort: SIDECAR_PORT }] }],
      tolerations: [{ operator: 'Exists' }],
    },
  };
}

/** The status a kubelet would post for a running, Ready pod at `ip`. */
function runningStatus(ip: string, now: string): object {
  const cond = (type: string): object => ({ type, status: 'True', lastTransitionTime: now });
  return {
    status: {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(cond),
      containerStatuses: [
        {
          name: 'sidecar',
          ready: true,
          started: true,
          restartCount: 0,
          image: 'topology-virtual-member:bench',
          imageID: '',
          state: { running: { startedAt: now } },
        },
      ],
    },
  };
}

/**
 * Whole reconcile passes from the trace: a pass starts with its plan ('pass' event) and lasts
 * until the last status write or member action it started ended (the events that start before the
 * next plan). The operator's histogram has coarse buckets and counts a pass when it ends, so a
 * long pass of the first overlay could land in the switch's window; spans are exact. Pure.
 */
export function reconcileSpans(events: readonly TraceEvent[]): Array<{ start: number; end: number }> {
  const sorted = [...events].sort((a, b) => a.start - b.start);
  const spans: Array<{ start: number; end: number }> = [];
  for (const e of sorted) {
    if (e.kind === 'pass') spans.push({ start: e.start, end: e.end });
    else {
      const last = spans[spans.length - 1];
      if (last !== undefined) last.end = Math.max(last.end, e.end);
    }
  }
  return spans;
}

/** Buckets of `after` minus those of `before` (the passes in between). */
function bucketDelta(before: Scrape, after: Scrape): Array<[number, number]> {
  const prev = new Map(before.buckets.map(([le, c]) => [le, c]));
  return after.buckets.map(([le, c]) => [le, c - (prev.get(le) ?? 0)]);
}

function relErr(sampled: number | undefined, full: number): number {
  if (sampled === undefined || full === 0) return NaN;
  return Math.round((1000 * Math.abs(sampled - full)) / full) / 1000;
}

async function runOne(cluster: TestCluster, o: MembersBenchOptions, n: number): Promise<MembersBenchResult> {
  const kc: KubeConfig = cluster.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = `omembers-${n}-${randomBytes(3).toString('hex')}`;
  const token = randomBytes(16).toString('hex');
  const traceFile = join(tmpdir(), `${ns}-operator-trace.jsonl`);
  const logFile = join(tmpdir(), `${ns}-operator.log`);
  const loadAtStart = loadavg();
  let hosts: VirtualMemberHosts | undefined;
  let operator: OperatorProcess | undefined;
  let timeline: StatusTimeline | undefined;
  let rssTimer: NodeJS.Timeout | undefined;
  try {
    await cluster.kubectl(['create', 'namespace', ns]);
    await cluster.kubectl(['create', 'secret', 'generic', TOKEN_SECRET, '-n', ns, '--type', SIDECAR_TOKEN_SECRET_TYPE, `--from-literal=token=${token}`]);
    const addresses = Array.from({ length: n }, (_, i) => fleetHost(ADDRESS_BLOCK, i));
    hosts = await VirtualMemberHosts.start(
      addresses.map((ip, i) => ({ address: `${ip}:${SIDECAR_PORT}`, pod: podName(i) })),
      o.hosts,
      token,
    );
    progress(`[${n}] ${n} virtual members served by ${o.hosts} processes (pids ${hosts.pids().join(', ')})`);
    const tPods = Date.now();
    let made = 0;
    await bounded(addresses, API_CONCURRENCY, async (ip, i) => {
      await core.createNamespacedPod({ namespace: ns, body: virtualPod(i) });
      await core.patchNamespacedPodStatus(
        { name: podName(i), namespace: ns, body: runningStatus(ip, new Date().toISOString()) },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      if (++made % 250 === 0) progress(`[${n}]   ${made}/${n} pods created and Ready`);
    });
    const podsCreatedSeconds = (Date.now() - tPods) / 1000;
    progress(`[${n}] ${n} pods created and Ready in ${podsCreatedSeconds.toFixed(1)} s`);

    operator = await startOperator(`operator-members-${n}`, cluster.kubeconfig, ns, ['--leader-elect', 'false'], traceFile);
    const op = operator;
    const pid = op.pid!;
    let rssPeak = 0;
    rssTimer = setInterval(() => {
      const m = memoryMiB(pid);
      if (m !== undefined) rssPeak = Math.max(rssPeak, m.rss);
    }, 200);
    const scrape = async (): Promise<Scrape> => parseMetrics((await op.get('/metrics')).body);
    timeline = new StatusTimeline(kc, ns, NAME);
    await timeline.start();
    const tl = timeline;
    const read = async (): Promise<SeenStatus> => seenStatus(await readTopology(kc, ns, NAME), Date.now());

    const t1 = Date.now();
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest(FIRST, o.sampleSize) });
    const first = await waitSeen(`${FIRST} Ready on ${n} members`, tl, read, t1, o.timeoutMs, (s) => settledOn(s, FIRST, n, 1));
    const firstSeconds = (first.at - t1) / 1000;
    progress(`[${n}] first overlay ${FIRST} Ready in ${firstSeconds.toFixed(1)} s`);

    const metricsBefore = await scrape();
    const countsBefore = await hosts.counts();
    const cpuBefore = processCpuSeconds(pid);
    const t0 = Date.now();
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest(SECOND, o.sampleSize) });
    const ended = (s: SeenStatus): boolean => (s.generation ?? 0) >= 2 && s.lastHistory?.to === SECOND && s.lastHistory.result !== 'Succeeded';
    const done = await waitSeen(`${SECOND} Ready on ${n} members`, tl, read, t0, o.timeoutMs, (s) => settledOn(s, SECOND, n, 2) || ended(s));
    const outcome = done.lastHistory?.to === SECOND ? done.lastHistory.result : 'unknown';
    const switchSeconds = (done.at - t0) / 1000;
    progress(`[${n}] ${SECOND}: ${outcome} ${switchSeconds.toFixed(1)} s after the apply`);

    // At least two evaluations after the switch, so the sampled figures are of the committed overlay.
    const evalFrom = Date.now();
    let status = await readStatus(kc, ns, NAME);
    for (let waited = 0; waited < 3 * EVALUATION_SECONDS * 1000; waited += 500) {
      const at = Date.parse(status.metrics?.sampledAt ?? '');
      if (Number.isFinite(at) && at >= evalFrom + EVALUATION_SECONDS * 1000 - 1000) break;
      await delay(500);
      status = await readStatus(kc, ns, NAME);
    }
    const metricsAfter = await scrape();
    const countsAfter = await hosts.counts();
    const cpuAfter = processCpuSeconds(pid);
    const until = Date.now();

    const deltaBuckets = bucketDelta(metricsBefore, metricsAfter);
    const trace = readTrace(traceFile);
    const spans = reconcileSpans(trace)
      .filter((x) => x.start >= t0 && x.end <= until)
      .map((x) => (x.end - x.start) / 1000)
      .sort((a, b) => a - b);
    const passCount = spans.length;
    const events = trace.filter((e) => e.start >= t0 && e.end <= until);
    const plans = events
      .filter((e) => e.kind === 'pass')
      .map((e) => (e.end - e.start) / 1000)
      .sort((a, b) => a - b);
    const evaluations = events.filter((e) => e.kind === 'each' && e.method === 'GetMetrics').length;
    const calls: Record<string, number> = {};
    for (const [k, v] of Object.entries(countsAfter.calls)) calls[k] = Math.round((100 * (v - (countsBefore.calls[k] ?? 0))) / Math.max(1, passCount)) / 100;
    const bytes = (c: HostCounts): number => c.requestBytes + c.responseBytes;
    const getMetricsCalls = (countsAfter.calls['GetMetrics'] ?? 0) - (countsBefore.calls['GetMetrics'] ?? 0);

    // The full collection the sample stands for: every member's seeded figures, views of the committed overlay.
    const all = addresses.map((ip) => `${ip}:${SIDECAR_PORT}`);
    const full = fullCollection(all, (a) => plannedNeighbors(a, all, DEFAULT_ACTIVE_VIEW_SIZE).length);
    const sampled = status.metrics;
    const mem = memoryMiB(pid);
    const result: MembersBenchResult = {
      scenario: 'members',
      members: n,
      hostProcesses: o.hosts,
      podsCreatedSeconds,
      firstOverlay: { topology: FIRST, readySeconds: firstSeconds },
      switch: { from: FIRST, to: SECOND, outcome, readySeconds: switchSeconds, steps: STEPS, stepVerificationSeconds: WINDOW_SECONDS },
      passes: {
        count: passCount,
        p50Seconds: quantile(spans, 0.5),
        p99Seconds: quantile(spans, 0.99),
        maxSeconds: spans[spans.length - 1] ?? NaN,
        histogramP50Seconds: histogramQuantile(0.5, deltaBuckets),
        histogramP99Seconds: histogramQuantile(0.99, deltaBuckets),
        planP50Seconds: quantile(plans, 0.5),
        planP99Seconds: quantile(plans, 0.99),
        controlCallsPerPass: calls,
        controlBytesPerPass: Math.round((bytes(countsAfter) - bytes(countsBefore)) / Math.max(1, passCount)),
      },
      operator: {
        rssPeakMiB: Math.round(rssPeak * 10) / 10,
        vmHwmMiB: Math.round((mem?.hwm ?? NaN) * 10) / 10,
        rssAtEndMiB: Math.round((mem?.rss ?? NaN) * 10) / 10,
        cpuSeconds: cpuAfter - cpuBefore,
      },
      metrics: {
        sampleSize: o.sampleSize,
        evaluations,
        getMetricsCallsPerEvaluation: evaluations > 0 ? Math.round((10 * getMetricsCalls) / evaluations) / 10 : NaN,
        ...(sampled !== undefined ? { sampled } : {}),
        full,
        relativeError: {
          latencyP50Ms: relErr(sampled?.latencyP50Ms, full.latencyP50Ms),
          latencyP99Ms: relErr(sampled?.latencyP99Ms, full.latencyP99Ms),
          connectionsPerNode: relErr(sampled?.connectionsPerNode, full.connectionsPerNode),
          maxQueueLength: relErr(sampled?.maxQueueLength, full.maxQueueLength),
        },
      },
      hostRssMiB: countsAfter.hostRssBytes.map((b) => Math.round(b / 1048576)),
      controlRefused: countsAfter.refused,
      targets: {
        passP99Seconds: TARGET_PASS_P99_SECONDS,
        operatorRssMiB: TARGET_OPERATOR_RSS_MIB,
        passP99Met: quantile(spans, 0.99) < TARGET_PASS_P99_SECONDS,
        rssMet: rssPeak < TARGET_OPERATOR_RSS_MIB,
      },
      machine: { cpus: cpus().length, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
    };
    mkdirSync(dirname(o.out(n)), { recursive: true });
    writeFileSync(o.out(n), `${JSON.stringify(result, null, 2)}\n`);
    progress(`[${n}] wrote ${o.out(n)}`);
    return result;
  } finally {
    if (rssTimer !== undefined) clearInterval(rssTimer);
    timeline?.stop();
    if (operator !== undefined) {
      await cluster.kubectl(['delete', 'ctopo', '--all', '-n', ns, '--wait=true', '--timeout=60s'], { allowFail: true });
      await operator.stop();
      writeFileSync(logFile, `${operator.logs.join('\n')}\n`);
    }
    await hosts?.stop();
    // No kubelet confirms these pods' deaths: delete them at once (grace 0), then the namespace.
    await core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
    await cluster.kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=120s', '--ignore-not-found'], { allowFail: true, timeoutMs: 130_000 });
    progress(`[${n}] cleaned up (namespace ${ns}; operator log ${logFile})`);
  }
}

function printTable(results: readonly MembersBenchResult[]): void {
  const rows = results.map((r) => [
    String(r.members),
    `${r.firstOverlay.readySeconds.toFixed(1)}`,
    `${r.switch.outcome} ${r.switch.readySeconds.toFixed(1)}`,
    `${r.passes.p50Seconds.toFixed(3)} / ${r.passes.p99Seconds.toFixed(3)}`,
    `${r.passes.planP50Seconds.toFixed(3)} / ${r.passes.planP99Seconds.toFixed(3)}`,
    String(
      Object.values(r.passes.controlCallsPerPass)
        .reduce((a, b) => a + b, 0)
        .toFixed(0),
    ),
    (r.passes.controlBytesPerPass / 1048576).toFixed(2),
    `${r.operator.rssPeakMiB} / ${r.operator.vmHwmMiB}`,
    String(r.metrics.getMetricsCallsPerEvaluation),
    `${r.metrics.relativeError.latencyP50Ms} / ${r.metrics.relativeError.latencyP99Ms} / ${r.metrics.relativeError.connectionsPerNode}`,
  ]);
  const head = [
    'members',
    'first s',
    'switch s',
    'pass p50/p99 s',
    'plan p50/p99 s',
    'calls/pass',
    'MiB/pass',
    'RSS peak/HWM MiB',
    'GetMetrics/eval',
    'sample err p50/p99/links',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  process.stdout.write(`${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
}

/** Default JSON file for `n` members. */
export function defaultMembersOut(n: number): string {
  return join(packageRoot(), 'bench', 'results', `operator-members-${n}.json`);
}

/** Runs the scenario for every member count on one cluster, prints a table, writes one JSON per count. */
export async function runMembersBench(o: MembersBenchOptions): Promise<MembersBenchResult[]> {
  const { cluster, stop } = await acquireCluster('bench-operator-members', progress);
  const kc = cluster.kubeConfig();
  const heartbeat = new NodeHeartbeat(
    kc.makeApiClient(CoreV1Api),
    kc.makeApiClient(CoordinationV1Api),
    { name: VIRTUAL_NODE, hostIP: '127.0.0.1', kubeletVersion: 'v0.0.0-virtual', cpu: '10000', memory: '1000Gi', pods: '100000' },
    createLogger('virtual-node', 'warn'),
  );
  const results: MembersBenchResult[] = [];
  try {
    await installCrd(cluster);
    await heartbeat.start();
    for (const n of o.members) results.push(await runOne(cluster, o, n));
  } finally {
    heartbeat.stop();
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNode({ name: VIRTUAL_NODE })
      .catch(() => undefined);
    await stop();
  }
  printTable(results);
  return results;
}
