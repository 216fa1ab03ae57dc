/**
 * Benchmark of the operator executable against a real API server with many ClusterTopology
 * resources (`npm run bench:operator -- --scenario resources --count 1000`; issue #5).
 *
 * It starts its own local cluster (src/localcluster: etcd, kube-apiserver, controller-manager,
 * scheduler, node agent), installs the CRD from deploy/crds, runs the real operator
 * (`node <buildRoot>/src/operator/main.js --leader-elect=false`) as a child process, creates
 * `--count` ClusterTopologies through client-node with bounded concurrency, and measures:
 *
 * - settle time: from the first create until every resource's status says the operator has
 *   handled its generation (`status.observedGeneration == metadata.generation` and a phase),
 *   seen through a watch on the resources;
 * - reconcile throughput: `topology_operator_reconcile_total` (all results) divided by that time;
 * - reconcile latency p50/p99 from the `topology_operator_reconcile_duration_seconds` histogram
 *   (linear interpolation inside a bucket, as PromQL's histogram_quantile does);
 * - the operator's RSS: `/proc/<pid>/status` VmRSS sampled every 100 ms, and VmHWM (kernel peak).
 *
 * What "settled" means here: each resource selects its own label (`bench-member=<name>`) that no
 * pod carries, so it has 0 members, and a resource with nothing to configure is Ready (phase
 * Ready, condition Ready=True reason `NoMembers`, like a Deployment scaled to 0; see
 * src/operator/rollout/plan-rollout.ts). A resource counts as settled only in exactly that state,
 * for its current generation: "all Ready" is issue #5's target. This scenario measures the
 * operator's control-plane cost (watch, finalizer, status write per resource); sidecar traffic is
 * the switch scenarios' subject. Should the observer's watch end early (a saturated machine), the
 * bench lists the resources every 500 ms instead, so a lost watch cannot hide settled resources.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.js';
import type { ClusterTopologyStatus } from '../src/api/types.js';
import { PooledKubeConfig } from '../src/operator/controller/pooled-kube-config.js';
import { freePort, startCluster, stopCluster } from '../src/localcluster/control-plane.js';
import { quantile } from '../src/sidecar/latency-window.js';
import { buildRoot, packageRoot } from '../src/paths.js';

/** Options of {@link runResourcesBench}. */
export interface ResourcesBenchOptions {
  /** ClusterTopologies to create. */
  count: number;
  /** Creates in flight at once. */
  createConcurrency: number;
  /** Operator `--concurrency` (workers); undefined: the operator's default. */
  workers: number | undefined;
  /** Extra node flags for the operator process (e.g. `--max-old-space-size=128`); empty: none. */
  operatorNodeArgs: readonly string[];
  /** Give up waiting for all resources to settle after this long (ms). */
  timeoutMs: number;
  /** JSON output file. */
  out: string;
}

/** Default number of resources (issue #5). */
export const DEFAULT_RESOURCE_COUNT = 1000;
/** Creates in flight at once: enough to keep the apiserver busy without piling up at the client. Wild guess. */
export const DEFAULT_CREATE_CONCURRENCY = 32;
/** Issue #5's target: all resources handled within 30 s of the first create. */
export const TARGET_SETTLE_SECONDS = 30;
/** Issue #5's target: operator RSS. */
export const TARGET_RSS_MIB = 200;
const NAMESPACE = 'obench';
const RSS_SAMPLE_MS = 100;
/** Interval of the fallback listing when the observer's watch ends early (ms). */
const LIST_POLL_MS = 500;

const progress = (line: string): void => void process.stderr.write(`[bench:operator resources] ${line}\n`);
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The default JSON file for `count` resources. */
export function defaultResourcesOut(count: number): string {
  return join(packageRoot(), 'bench', 'results', `operator-${count}.json`);
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Parsed Prometheus text of the metrics this bench reads. */
export interface Scrape {
  reconciles: Record<string, number>;
  /** Cumulative histogram buckets (le → count), ascending, +Inf last. */
  buckets: Array<[number, number]>;
  durationSum: number;
  durationCount: number;
}

export function parseMetrics(text: string): Scrape {
  const s: Scrape = { reconciles: {}, buckets: [], durationSum: 0, durationCount: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    if (!labels.includes('controller="clustertopology"')) continue;
    if (name === 'topology_operator_reconcile_total') {
      const result = /result="([^"]*)"/.exec(labels)?.[1] ?? '';
      s.reconciles[result] = value;
    } else if (name === 'topology_operator_reconcile_duration_seconds_bucket') {
      const le = /le="([^"]*)"/.exec(labels)?.[1] ?? '+Inf';
      s.buckets.push([le === '+Inf' ? Infinity : Number(le), value]);
    } else if (name === 'topology_operator_reconcile_duration_seconds_sum') s.durationSum = value;
    else if (name === 'topology_operator_reconcile_duration_seconds_count') s.durationCount = value;
  }
  s.buckets.sort((a, b) => a[0] - b[0]);
  return s;
}

/** PromQL's histogram_quantile: linear interpolation inside the bucket holding rank q·count. */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe; // the highest finite bound, as Prometheus returns
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(count - prevCount, 1e-9);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** VmRSS and VmHWM of a process in MiB (undefined once it is gone). */
export function memoryMiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

interface SettledState {
  phase: string;
  reason: string;
  atMs: number;
}

/** True when the operator has handled the resource's current generation and found it Ready. */
function handled(obj: { metadata?: { generation?: number }; status?: ClusterTopologyStatus }): boolean {
  const s = obj.status;
  const ready = (s?.conditions ?? []).find((c) => c.type === 'Ready');
  return s?.phase === 'Ready' && ready?.status === 'True' && s.observedGeneration !== undefined && s.observedGeneration >= (obj.metadata?.generation ?? 1);
}

function resource(name: string): object {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ClusterTopology',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'bench-operator' } },
    spec: {
      selector: { matchLabels: { 'bench-member': name } },
      mode: 'Manual',
      topology: 'FullMesh',
      rollout: { steps: [10, 50, 100], stepVerificationSeconds: 2, progressDeadlineSeconds: 300 },
    },
  };
}

async function installCrd(kc: PooledKubeConfig): Promise<void> {
  const crd = parseYaml(
    readFileSync(join(packageRoot(), 'deploy', 'crds', 'topology.foundation.dev_clustertopologies.yaml'), 'utf8'),
  ) as V1CustomResourceDefinition;
  const api = kc.makeApiClient(ApiextensionsV1Api);
  await api.createCustomResourceDefinition({ body: crd });
  const name = crd.metadata?.name ?? '';
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = await api.readCustomResourceDefinition({ name });
    if ((got.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established within 30 s`);
    await delay(100);
  }
}

async function waitForMetrics(url: string, op: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (op.exitCode !== null) throw new Error(`operator exited with ${op.exitCode}; log ${logFile}`);
    try {
      await fetchText(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`operator metrics not up within 30 s; log ${logFile}`);
      await delay(100);
    }
  }
}

/** The JSON this scenario writes. */
export interface ResourcesBenchResult {
  scenario: 'resources';
  count: number;
  createConcurrency: number;
  operatorWorkers: number | 'default';
  operatorNodeArgs: readonly string[];
  settledMeans: string;
  createSeconds: number;
  createP99Ms: number;
  settleSeconds: number;
  settledCount: number;
  phases: Record<string, number>;
  settleP50Seconds: number;
  settleP99Seconds: number;
  reconciles: Record<string, number>;
  reconcilesTotal: number;
  reconcilesPerSecond: number;
  reconcileP50Ms: number;
  reconcileP99Ms: number;
  reconcileMeanMs: number;
  rssIdleMiB: number;
  rssPeakSampledMiB: number;
  rssHwmMiB: number;
  rssEndMiB: number;
  targets: { settleSeconds: number; rssMiB: number; settleMet: boolean; rssMet: boolean };
  machine: { cpus: number; loadAverage1mAtStart: number; loadAverage1m: number };
}

/** Runs the scenario end to end (cluster up → measure → cluster down) and writes `options.out`. */
export async function runResourcesBench(options: ResourcesBenchOptions): Promise<ResourcesBenchResult> {
  const clusterName = `obench-${process.pid}`;
  progress(`starting local cluster "${clusterName}"`);
  const state = await startCluster({ name: clusterName, ownerPid: process.pid, progress });
  let op: ChildProcess | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  let abort: AbortController | undefined;
  try {
    const kc = new PooledKubeConfig(); // the bench's own creates must not pay a TLS handshake each
    kc.loadFromFile(state.kubeconfig);
    await installCrd(kc);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    progress('CRD established, namespace created');

    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const logFile = join(tmpdir(), `${clusterName}-operator.log`);
    const fd = openSync(logFile, 'w');
    const args = [
      ...options.operatorNodeArgs,
      join(buildRoot(), 'src', 'operator', 'main.js'),
      '--kubeconfig',
      state.kubeconfig,
      '--leader-elect=false',
      '--metrics-port',
      String(metricsPort),
      '--health-port',
      String(healthPort),
      '--bind-address',
      '127.0.0.1',
      '--log-level',
      'warn',
      ...(options.workers !== undefined ? ['--concurrency', String(options.workers)] : []),
    ];
    op = spawn(process.execPath, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const pid = op.pid ?? 0;
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitForMetrics(metricsUrl, op, logFile);
    await delay(1000); // informers synced, heap settled
    const idle = memoryMiB(pid);
    progress(`operator pid ${pid} up (log ${logFile}); idle RSS ${idle?.rss.toFixed(1)} MiB`);
    let peak = idle?.rss ?? 0;
    sampler = setInterval(() => {
      const m = memoryMiB(pid);
      if (m !== undefined) peak = Math.max(peak, m.rss);
    }, RSS_SAMPLE_MS);

    // Watch status before the first create, so no transition is missed.
    const settled = new Map<string, SettledState>();
    let t0 = 0;
    let allSettled: () => void = () => undefined;
    const done = new Promise<void>((r) => (allSettled = r));
    // The observer's watch gets its own connection, apart from the load generator's pool. (Once,
    // at load average 42, a watch sharing the pool went silent after 65 events without an error;
    // a rerun with the shared pool did not reproduce it. A silent end is now reported.)
    const watchKc = new KubeConfig();
    watchKc.loadFromFile(state.kubeconfig);
    type Observed = { metadata?: { name?: string; generation?: number }; status?: ClusterTopologyStatus };
    const observe = (obj: Observed): void => {
      const name = obj.metadata?.name ?? '';
      if (settled.has(name) || !handled(obj)) return;
      const ready = (obj.status?.conditions ?? []).find((c) => c.type === 'Ready');
      settled.set(name, { phase: obj.status?.phase ?? '', reason: ready?.reason ?? '', atMs: Date.now() - t0 });
      if (settled.size % 100 === 0) progress(`${settled.size}/${options.count} settled after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (settled.size >= options.count) allSettled();
    };
    const api = kc.makeApiClient(CustomObjectsApi);
    let polling = false;
    abort = await new Watch(watchKc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/${PLURAL}`,
      {},
      (type, obj: Observed) => {
        if (type !== 'DELETED') observe(obj);
      },
      (err: unknown) => {
        if (settled.size >= options.count || polling) return;
        polling = true;
        progress(`watch ended early (${String(err)}); listing every ${LIST_POLL_MS} ms instead`);
        poller = setInterval(() => {
          api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL }).then(
            (list: { items?: Observed[] }) => {
              for (const item of list.items ?? []) observe(item);
            },
            () => undefined,
          );
        }, LIST_POLL_MS);
      },
    );

    const names = Array.from({ length: options.count }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
    const createMs: number[] = [];
    const loadAtStart = loadavg()[0] ?? 0;
    t0 = Date.now();
    let next = 0;
    const creator = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next++] as string;
        const t = Date.now();
        await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, body: resource(name) });
        createMs.push(Date.now() - t);
      }
    };
    await Promise.all(Array.from({ length: options.createConcurrency }, creator));
    const createSeconds = (Date.now() - t0) / 1000;
    progress(`${options.count} created in ${createSeconds.toFixed(1)} s`);

    const timedOut = await Promise.race([done.then(() => false), delay(options.timeoutMs).then(() => true)]);
    const settleSeconds = (Date.now() - t0) / 1000;
    const scrape = parseMetrics(await fetchText(metricsUrl));
    const end = memoryMiB(pid);
    clearInterval(sampler);
    sampler = undefined;
    if (poller !== undefined) clearInterval(poller);
    poller = undefined;
    if (timedOut) progress(`only ${settled.size}/${options.count} settled within ${options.timeoutMs / 1000} s`);

    const phases: Record<string, number> = {};
    for (const s of settled.values()) phases[`${s.phase}/${s.reason}`] = (phases[`${s.phase}/${s.reason}`] ?? 0) + 1;
    const settleTimes = [...settled.values()].map((s) => s.atMs / 1000);
    const reconcilesTotal = Object.values(scrape.reconciles).reduce((a, b) => a + b, 0);
    const result: ResourcesBenchResult = {
      scenario: 'resources',
      count: options.count,
      createConcurrency: options.createConcurrency,
      operatorWorkers: options.workers ?? 'default',
      operatorNodeArgs: options.operatorNodeArgs,
      settledMeans: 'phase Ready, Ready=True (reason NoMembers: 0 member pods per resource, nothing to configure) for the current generation',
      createSeconds,
      createP99Ms: quantile(createMs, 0.99),
      settleSeconds,
      settledCount: settled.size,
      phases,
      settleP50Seconds: quantile(settleTimes, 0.5),
      settleP99Seconds: quantile(settleTimes, 0.99),
      reconciles: scrape.reconciles,
      reconcilesTotal,
      reconcilesPerSecond: reconcilesTotal / settleSeconds,
      reconcileP50Ms: histogramQuantile(0.5, scrape.buckets) * 1000,
      reconcileP99Ms: histogramQuantile(0.99, scrape.buckets) * 1000,
      reconcileMeanMs: scrape.durationCount > 0 ? (scrape.durationSum / scrape.durationCount) * 1000 : NaN,
      rssIdleMiB: idle?.rss ?? NaN,
      rssPeakSampledMiB: Math.max(peak, end?.rss ?? 0),
      rssHwmMiB: end?.hwm ?? NaN,
      rssEndMiB: end?.rss ?? NaN,
      targets: {
        settleSeconds: TARGET_SETTLE_SECONDS,
        rssMiB: TARGET_RSS_MIB,
        settleMet: !timedOut && settleSeconds <= TARGET_SETTLE_SECONDS,
        rssMet: (end?.hwm ?? Infinity) < TARGET_RSS_MIB,
      },
      machine: { cpus: cpus().length, loadAverage1mAtStart: loadAtStart, loadAverage1m: loadavg()[0] ?? 0 },
    };
    printTable(result);
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
    progress(`wrote ${options.out}`);
    return result;
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    if (poller !== undefined) clearInterval(poller);
    abort?.abort();
    if (op !== undefined && op.exitCode === null) {
      const exited = new Promise<void>((r) => op?.once('exit', () => r()));
      op.kill('SIGTERM');
      await Promise.race([exited, delay(10_000)]);
      if (op.exitCode === null && op.signalCode === null) op.kill('SIGKILL');
    }
    progress(`stopping local cluster "${clusterName}"`);
    await stopCluster(clusterName);
  }
}

function printTable(r: ResourcesBenchResult): void {
  const rows: Array<[string, string, string]> = [
    ['resources created', `${r.count} in ${r.createSeconds.toFixed(1)} s (create p99 ${r.createP99Ms.toFixed(0)} ms)`, ''],
    [
      'all Ready (first create → last status)',
      `${r.settleSeconds.toFixed(1)} s (${r.settledCount}/${r.count})`,
      `target ≤ ${r.targets.settleSeconds} s, all Ready: ${r.targets.settleMet ? 'met' : 'NOT met'}`,
    ],
    ['per-resource settle p50 / p99', `${r.settleP50Seconds.toFixed(1)} s / ${r.settleP99Seconds.toFixed(1)} s`, ''],
    [
      'final phases',
      Object.entries(r.phases)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
      '',
    ],
    [
      'reconciles',
      `${r.reconcilesTotal} (${Object.entries(r.reconciles)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
      '',
    ],
    ['reconcile throughput', `${r.reconcilesPerSecond.toFixed(1)} /s`, ''],
    [
      'reconcile latency p50 / p99 / mean',
      `${r.reconcileP50Ms.toFixed(1)} / ${r.reconcileP99Ms.toFixed(1)} / ${r.reconcileMeanMs.toFixed(1)} ms`,
      'from the histogram',
    ],
    [
      'operator RSS idle / peak sampled / VmHWM',
      `${r.rssIdleMiB.toFixed(1)} / ${r.rssPeakSampledMiB.toFixed(1)} / ${r.rssHwmMiB.toFixed(1)} MiB`,
      `target < ${r.targets.rssMiB} MiB: ${r.targets.rssMet ? 'met' : 'NOT met'}`,
    ],
  ];
  const w = Math.max(...rows.map((x) => x[0].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(w)}  ${b}${c !== '' ? `  [${c}]` : ''}`);
  process.stdout.write(
    `\nClusterTopology resources on a real API server (${r.machine.cpus} CPUs, load ${r.machine.loadAverage1m.toFixed(1)})\n${lines.join('\n')}\nsettled = ${r.settledMeans}\n\n`,
  );
}
