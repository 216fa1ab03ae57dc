/**
 * Starts and stops one local Kubernetes cluster: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and our node agent, all on 127.0.0.1 with free ports, as detached processes whose
 * identities are recorded in `<clusterDir>/state.json`.
 *
 * Why real components: the operator, its Helm chart and its CRD validation are tested against the
 * same apiserver, controllers and scheduler users run, not mocks. The only stand-in is the kubelet:
 * the node agent (node-agent.ts) runs pods whose images it knows as local processes.
 *
 * Lifecycle: `startCluster` cleans up a stale cluster of the same name first (a crashed run),
 * returns once `default` exists and the node is Ready; `stopCluster` stops exactly the recorded
 * processes (and pod processes tagged with the cluster id) and removes the cluster directory.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildRoot } from '../paths.js';
import { ensureBinaries } from './binaries.js';
import { generateCertificates, kubeconfigText, type ClusterCertificates } from './certs.js';
import { clusterDir, clustersRoot } from './cluster-paths.js';
import {
  isAlive,
  isStale,
  killTaggedProcesses,
  START_GRACE_MS,
  processStartTime,
  readState,
  stopProcesses,
  writeState,
  type ClusterState,
  type ManagedProcess,
} from './cluster-state.js';

/** How to start a cluster. */
export interface StartClusterOptions {
  /** Cluster name (directory under the clusters root). Default "default". */
  name?: string;
  /** The node the agent registers. Default "local-node". */
  nodeName?: string;
  /** A process whose death makes the cluster stale (the test run); absent for `cluster:up`. */
  ownerPid?: number;
  /** Progress lines ("etcd ready in 0.4 s"); default: stderr. */
  progress?: (line: string) => void;
  /** How long to wait for each component to become ready. Default 120 s. */
  readyTimeoutMs?: number;
}

const defaultProgress = (line: string): void => void process.stderr.write(`[local-cluster] ${line}\n`);

/** A free TCP port on 127.0.0.1 (bound and released; good enough on a machine we don't race). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The lowest pod network (second octet of 127.N.x.y) no running cluster on this machine uses, so
 * pods of concurrent clusters (parallel test runs) never get the same address.
 */
function freePodNetwork(): number {
  const root = clustersRoot();
  const taken = new Set<number>();
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      const s = readState(join(root, name));
      if (s && !isStale(s)) taken.add(s.podNetwork ?? 0);
    }
  }
  for (let n = 0; n < 255; n++) if (!taken.has(n)) return n;
  throw new Error('more than 255 local clusters are running');
}

/** `n` different free ports (freePort may hand out the same port twice in a row). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Spawns a detached process with stdout+stderr to `logFile` and records it. */
function launch(role: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ManagedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${role} (${command})`);
    child.unref();
    const startTime = processStartTime(child.pid) ?? '';
    return { role, pid: child.pid, startTime, logFile };
  } finally {
    closeSync(fd);
  }
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface HttpResult {
  status: number;
  body: string;
}

function get(url: string, certs?: ClusterCertificates): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const opts = certs
      ? { ca: readFileSync(certs.caCert), cert: readFileSync(certs.adminCert), key: readFileSync(certs.adminKey), timeout: 5000 }
      : { timeout: 5000 };
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, opts, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` until it returns true, failing early if `proc` died, or at the deadline. */
async function waitFor(what: string, proc: ManagedProcess | undefined, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && !isAlive(proc)) throw new Error(`${proc.role} exited while waiting for ${what}; last log lines (${proc.logFile}):\n${logTail(proc.logFile)}`);
    try {
      if (await check()) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${proc ? `; log: ${proc.logFile}\n${logTail(proc.logFile)}` : ''}`);
    await delay(200);
  }
}

/** Removes a cluster's directory after making sure none of its processes runs. */
async function teardown(state: ClusterState | undefined, dir: string): Promise<void> {
  if (state) {
    await stopProcesses(state.processes);
    killTaggedProcesses(state.id);
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Stops the named cluster (its recorded processes, then any pod processes its agent left) and
 * removes its directory. Returns false if there was no such cluster.
 */
export async function stopCluster(name = 'default'): Promise<boolean> {
  const dir = clusterDir(name);
  if (!existsSync(dir)) return false;
  await teardown(readState(dir), dir);
  return true;
}

/** Tears down every stale cluster (owner or all processes gone); returns their names. */
export async function cleanupStaleClusters(): Promise<string[]> {
  const root = clustersRoot();
  if (!existsSync(root)) return [];
  const cleaned: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    const state = readState(dir);
    // A directory without a state file is a start in progress (or the logs of a failed one):
    // leave it alone unless it is older than the start grace period.
    const abandoned = state === undefined && Date.now() - statSync(dir).mtimeMs > START_GRACE_MS;
    if (abandoned || (state !== undefined && isStale(state))) {
      await teardown(state, dir);
      cleaned.push(name);
    }
  }
  return cleaned;
}

/** The state of a running (non-stale) cluster, if there is one by that name. */
export function runningCluster(name = 'default'): ClusterState | undefined {
  const state = readState(clusterDir(name));
  return state && !isStale(state) ? state : undefined;
}

/**
 * Starts a cluster (building the binaries on first use) and returns its state once kubectl works,
 * the `default` namespace exists and the node is Ready. If a live cluster of that name already
 * runs it is returned as is; a stale one is cleaned up first.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<ClusterState> {
  const name = options.name ?? 'default';
  const nodeName = options.nodeName ?? 'local-node';
  const progress = options.progress ?? defaultProgress;
  const timeout = options.readyTimeoutMs ?? 120_000;
  const dir = clusterDir(name);

  const existing = readState(dir);
  if (existing && !isStale(existing)) {
    progress(`cluster "${name}" is already running (kubeconfig ${existing.kubeconfig})`);
    return existing;
  }
  if (existsSync(dir)) {
    progress(`cleaning up stale cluster "${name}" left by an earlier run`);
    await teardown(existing, dir);
  }

  const bin = await ensureBinaries();
  // A port picked free can be taken by someone else before our process binds it: retry with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ name, nodeName, dir, bin, progress, timeout, ownerPid: options.ownerPid });
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test((err as Error).message)) throw err;
      progress(`a port was taken while starting (attempt ${attempt}); retrying with new ports`);
    }
  }
}

interface StartOnce {
  name: string;
  nodeName: string;
  dir: string;
  bin: string;
  progress: (line: string) => void;
  timeout: number;
  ownerPid: number | undefined;
}

/** The Unix socket of the node agent's service proxy (service-proxy.ts) in a cluster directory. */
export function serviceProxySocket(dir: string): string {
  return join(dir, 'service-proxy.sock');
}

/**
 * Writes the API server's EgressSelectorConfiguration: its "cluster" egress (calls to Services:
 * webhooks, aggregated APIs) as HTTP CONNECT over the service proxy's Unix socket; control plane
 * and etcd traffic stay direct. Returns the file's path.
 */
function writeEgressConfig(dir: string): string {
  const file = join(dir, 'egress-selector.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: apiserver.k8s.io/v1beta1',
      'kind: EgressSelectorConfiguration',
      'egressSelections:',
      '  - name: cluster',
      '    connection:',
      '      proxyProtocol: HTTPConnect',
      '      transport:',
      '        uds:',
      `          udsName: ${serviceProxySocket(dir)}`,
      '',
    ].join('\n'),
  );
  return file;
}

/** One start attempt; on failure everything it started is stopped and only the logs are kept. */
async function startOnce({ name, nodeName, dir, bin, progress, timeout, ownerPid: owner }: StartOnce): Promise<ClusterState> {
  const t0 = Date.now();
  const since = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const certs = generateCertificates(join(dir, 'pki'));
  const [etcdClient, etcdPeer, apiPort] = (await distinctFreePorts(3)) as [number, number, number];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  const state: ClusterState = {
    name,
    dir,
    kubeconfig,
    server,
    binDir: bin,
    nodeName,
    id: `${name}-${randomBytes(6).toString('hex')}`,
    podNetwork: freePodNetwork(),
    createdAt: new Date().toISOString(),
    processes: [],
    ...(owner !== undefined ? { ownerPid: owner, ownerStartTime: processStartTime(owner) ?? '' } : {}),
  };
  writeState(state);
  const record = (p: ManagedProcess): ManagedProcess => {
    state.processes.push(p);
    writeState(state);
    return p;
  };
  const log = (role: string): string => join(dir, 'logs', `${role}.log`);

  try {
    const etcd = record(
      launch(
        'etcd',
        join(bin, 'etcd'),
        [
          '--name=local',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
          '--unsafe-no-fsync=true',
          '--quota-backend-bytes=4294967296',
          '--log-level=warn',
        ],
        log('etcd'),
      ),
    );
    await waitFor('etcd /health', etcd, timeout, async () => (await get(`http://127.0.0.1:${etcdClient}/health`)).body.includes('"health":"true"'));
    progress(`etcd ready on 127.0.0.1:${etcdClient} (${since()})`);

    const apiserver = record(
      launch(
        'kube-apiserver',
        join(bin, 'kube-apiserver'),
        [
          `--etcd-servers=http://127.0.0.1:${etcdClient}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${join(dir, 'pki', 'apiserver')}`,
          `--tls-cert-file=${certs.serverCert}`,
          `--tls-private-key-file=${certs.serverKey}`,
          `--client-ca-file=${certs.caCert}`,
          `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
          `--service-account-key-file=${certs.serviceAccountPub}`,
          `--service-account-signing-key-file=${certs.serviceAccountKey}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          '--authorization-mode=Node,RBAC',
          '--allow-privileged=true',
          // The "kubernetes" Service cannot point at a loopback address; pods get the apiserver's
          // address through KUBERNETES_SERVICE_HOST/PORT from the node agent instead.
          '--endpoint-reconciler-type=none',
          // No kube-proxy here, so a Service's ClusterIP leads nowhere (and --enable-aggregator-routing
          // cannot help: EndpointSlices refuse the loopback pod IPs). What the API server itself
          // sends to Services (admission webhooks, aggregated APIs: its "cluster" egress) goes
          // through the node agent's CONNECT proxy instead, which routes a ClusterIP to a Ready pod
          // like kube-proxy (service-proxy.ts). TLS stays end to end (<service>.<namespace>.svc).
          `--egress-selector-config-file=${writeEgressConfig(dir)}`,
          '--profiling=false',
        ],
        log('kube-apiserver'),
      ),
    );
    await waitFor('kube-apiserver /readyz', apiserver, timeout, async () => (await get(`${server}/readyz`, certs)).status === 200);
    writeFileSync(kubeconfig, kubeconfigText(name, server, certs), { mode: 0o600 });
    progress(`kube-apiserver ready on ${server} (${since()})`);

    const kc = [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`];
    record(
      launch(
        'kube-controller-manager',
        join(bin, 'kube-controller-manager'),
        [
          ...kc,
          '--bind-address=127.0.0.1',
          '--secure-port=0',
          '--leader-elect=false',
          `--service-account-private-key-file=${certs.serviceAccountKey}`,
          `--root-ca-file=${certs.caCert}`,
          '--use-service-account-credentials=true',
          '--cluster-name=topology-local',
          '--node-monitor-period=2s',
        ],
        log('kube-controller-manager'),
      ),
    );
    record(
      launch(
        'kube-scheduler',
        join(bin, 'kube-scheduler'),
        [...kc, '--bind-address=127.0.0.1', '--secure-port=0', '--leader-elect=false'],
        log('kube-scheduler'),
      ),
    );

    const agent = record(
      launch(
        'node-agent',
        process.execPath,
        [
          join(buildRoot(), 'src', 'localcluster', 'node-agent-main.js'),
          `--kubeconfig=${kubeconfig}`,
          `--node-name=${nodeName}`,
          `--state-dir=${join(dir, 'node')}`,
          `--cluster-id=${state.id}`,
          `--pod-network=${state.podNetwork ?? 0}`,
          `--service-proxy-socket=${serviceProxySocket(dir)}`,
        ],
        log('node-agent'),
      ),
    );

    await waitFor('the default namespace', apiserver, timeout, async () => (await get(`${server}/api/v1/namespaces/default`, certs)).status === 200);
    await waitFor(`node ${nodeName} to be Ready and schedulable`, agent, timeout, async () => {
      const res = await get(`${server}/api/v1/nodes/${nodeName}`, certs);
      if (res.status !== 200) return false;
      const node = JSON.parse(res.body) as { spec?: { taints?: unknown[] }; status?: { conditions?: { type: string; status: string }[] } };
      const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      return ready && (node.spec?.taints ?? []).length === 0;
    });
    for (const p of state.processes) {
      if (!isAlive(p)) throw new Error(`${p.role} exited during start-up; last log lines (${p.logFile}):\n${logTail(p.logFile)}`);
    }
    progress(`cluster "${name}" ready in ${since()}: kubeconfig ${kubeconfig}`);
    return state;
  } catch (err) {
    await stopProcesses(state.processes, 3000);
    killTaggedProcesses(state.id);
    // Keep the logs of a failed start for diagnosis; drop everything else.
    for (const entry of readdirSync(dir)) if (entry !== 'logs') rmSync(join(dir, entry), { recursive: true, force: true });
    throw err;
  }
}
