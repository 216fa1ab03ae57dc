/**
 * The e2e test cluster: one real Kubernetes cluster per mocha run, shared by every e2e test.
 *
 * STABLE API (other test files depend on it; extend, don't change):
 *
 *   const cluster = await getCluster();
 *   cluster.kubeconfig           path of an admin kubeconfig
 *   cluster.binDir               directory of the built control plane (helm, kube-apiserver, ...);
 *                                '' when an external cluster is used and nothing was built
 *   cluster.local                true for the cluster this harness started, false for $KUBECONFIG
 *   cluster.nodeName             the local node agent's Node ("local-node"); undefined if external
 *   await cluster.kubectl(args, { input?, allowFail?, timeoutMs? })  → { code, stdout, stderr }
 *   await cluster.helm(args, { input?, allowFail?, timeoutMs? })     → { code, stdout, stderr }
 *       run the real kubectl / helm against the cluster (KUBECONFIG set for them); a non-zero exit
 *       rejects with stderr in the message unless `allowFail`; `input` is written to stdin
 *       (e.g. kubectl(['apply', '-f', '-'], { input: yaml })). Default timeout 120 s.
 *   cluster.kubeConfig()         a fresh @kubernetes/client-node KubeConfig for the cluster
 *
 *   const ns = await createTestNamespace('rollout');   // "rollout-k3x9q2", created and Active
 *   await deleteTestNamespace(ns);                     // early cleanup: call it in your suite's
 *                                                      // after() so its pods' processes stop
 *
 * Which cluster:
 *   - $KUBECONFIG set → that cluster (kind, a real cluster, or `npm run cluster:up`); nothing is
 *     started or stopped. Pods then need real images; the images the local node agent maps
 *     (`topology-sidecar`, `topology-test-echo`, ...) only run on the local cluster.
 *   - otherwise → a local cluster named `e2e-<pid>` (src/localcluster/control-plane.ts), started
 *     on first use; the control plane is built first if needed (minutes, progress on stderr).
 *     It is torn down by a root `after` hook at the end of the run; if the run dies, the process
 *     exit hook kills its processes and the next run cleans up what is left (stale clusters).
 * Namespaces from createTestNamespace are deleted at the end of the run (external clusters) or
 * vanish with the local cluster.
 *
 * Loading this module from a mocha spec registers root hooks: `before` (starts/attaches the cluster
 * with a timeout long enough for a cold build, so individual tests keep the default timeout) and
 * `after` (tears it down).
 */
import { randomBytes } from 'node:crypto';
import { binariesPresent } from '../../../src/localcluster/binaries.js';
import { binDir as cachedBinDir } from '../../../src/localcluster/cluster-paths.js';
import { killProcessesSync, killTaggedProcesses, type ClusterState } from '../../../src/localcluster/cluster-state.js';
import { cleanupStaleClusters, startCluster, stopCluster } from '../../../src/localcluster/control-plane.js';
import { makeCluster, type TestCluster } from './cluster-handle.js';

export { runCommand, makeCluster, type CommandOptions, type CommandResult, type TestCluster } from './cluster-handle.js';

/** Long enough for a cold build of the control plane (~7 min measured on 2 cores) plus start. */
const START_TIMEOUT_MS = 30 * 60_000;

let clusterPromise: Promise<TestCluster> | undefined;
let localState: ClusterState | undefined;
const namespaces = new Set<string>();

async function start(): Promise<TestCluster> {
  const external = process.env.KUBECONFIG;
  if (external) {
    const bin = binariesPresent() ? cachedBinDir() : '';
    process.stderr.write(`[e2e] using the existing cluster from KUBECONFIG=${external}\n`);
    return makeCluster(external, bin, false);
  }
  const cleaned = await cleanupStaleClusters();
  if (cleaned.length > 0) process.stderr.write(`[e2e] cleaned up stale clusters: ${cleaned.join(', ')}\n`);
  const t0 = Date.now();
  localState = await startCluster({ name: `e2e-${process.pid}`, ownerPid: process.pid, progress: (l) => process.stderr.write(`[e2e cluster] ${l}\n`) });
  process.stderr.write(`[e2e] local cluster ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (kubeconfig ${localState.kubeconfig})\n`);
  return makeCluster(localState.kubeconfig, localState.binDir, true, localState.nodeName);
}

/** The shared cluster, started (or attached) on first call; see the file comment. */
export function getCluster(): Promise<TestCluster> {
  clusterPromise ??= start();
  return clusterPromise;
}

/** Creates a uniquely named namespace (`<prefix>-<random>`) and returns its name once it exists. */
export async function createTestNamespace(prefix: string): Promise<string> {
  const cluster = await getCluster();
  const base =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'test';
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await cluster.kubectl(['create', 'namespace', name]);
  namespaces.add(name);
  // The controller manager creates the namespace's default ServiceAccount; pods are rejected until then.
  const deadline = Date.now() + 30_000;
  while (cluster.local && Date.now() < deadline) {
    const r = await cluster.kubectl(['get', 'serviceaccount', 'default', '-n', name], { allowFail: true });
    if (r.code === 0) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  return name;
}

/** Deletes a namespace from createTestNamespace now (without waiting for it to be gone). */
export async function deleteTestNamespace(name: string): Promise<void> {
  const cluster = await getCluster();
  namespaces.delete(name);
  await cluster.kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found'], { allowFail: true });
}

/** Tears down what this run started (root `after` hook). */
async function teardown(): Promise<void> {
  if (clusterPromise === undefined) return;
  const cluster = await clusterPromise.catch(() => undefined);
  if (cluster && !cluster.local) {
    for (const ns of [...namespaces]) await deleteTestNamespace(ns);
    return;
  }
  if (localState) {
    const name = localState.name;
    localState = undefined;
    await stopCluster(name);
    process.stderr.write(`[e2e] local cluster ${name} stopped\n`);
  }
}

// Last resort when the run ends without the after hook (crash, Ctrl-C): kill synchronously.
process.once('exit', () => {
  if (localState) {
    killProcessesSync(localState.processes);
    killTaggedProcesses(localState.id);
  }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (localState) {
      killProcessesSync(localState.processes);
      killTaggedProcesses(localState.id);
      localState = undefined;
    }
    process.exit(130);
  });
}

if (typeof before === 'function' && typeof after === 'function') {
  before('start the e2e cluster', async function () {
    this.timeout(START_TIMEOUT_MS);
    await getCluster();
  });
  after('stop the e2e cluster', async function () {
    this.timeout(120_000);
    await teardown();
  });
}
