/**
 * Smoke tests of the e2e cluster itself: real versions, and (on the local cluster) that the
 * controller manager, scheduler and node agent together turn a StatefulSet into Running, Ready
 * pods that really listen on their own loopback pod IPs, follow scaling and recreate deleted pods.
 *
 * The workload is the `topology-test-echo` image (src/localcluster/echo-server.ts): an HTTP readiness
 * probe and a gRPC (grpc.health.v1) liveness probe, so both probe kinds are exercised.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { controlPlaneVersions } from '../../src/localcluster/cluster-paths.js';
import { checkHealth } from '../../src/localcluster/grpc-health.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { isRunningAndReady, listPods, readyPods } from './support/pods.js';
import { waitFor } from './support/wait.js';

const versions = controlPlaneVersions();

function statefulSet(replicas: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'echo' },
    spec: {
      replicas,
      serviceName: 'echo',
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: 'echo' } },
      template: {
        metadata: { labels: { app: 'echo' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'echo',
              image: 'topology-test-echo:latest',
              ports: [
                { name: 'http', containerPort: 8080 },
                { name: 'grpc', containerPort: 9090 },
              ],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
              livenessProbe: { grpc: { port: 9090 }, periodSeconds: 5, failureThreshold: 3 },
            },
          ],
        },
      },
    },
  });
}

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

describe('e2e cluster: versions', function () {
  let cluster: TestCluster;
  before(async () => {
    cluster = await getCluster();
  });

  it('kubectl reports the server version', async () => {
    const r = await cluster.kubectl(['version', '-o', 'json']);
    const server = (JSON.parse(r.stdout) as { serverVersion: { gitVersion: string; major: string; minor: string } }).serverVersion;
    if (cluster.local) expect(server.gitVersion).to.equal(versions.kubernetes);
    else expect(server.gitVersion).to.match(/^v1\.\d+\.\d+/);
    expect(Number(server.minor.replace(/\D/g, ''))).to.be.greaterThan(0);
  });

  it("helm reports its real version and targets the cluster's Kubernetes minor by default", async () => {
    const r = await cluster.helm(['version', '--template', '{{ .Version }}']);
    if (cluster.binDir !== '') expect(r.stdout.trim()).to.equal(versions.helm);
    else expect(r.stdout.trim()).to.match(/^v3\./);
    if (cluster.binDir !== '') {
      // The ldflags set helm's default capabilities to the Kubernetes minor we build (not 1.20).
      const minor = versions.kubernetes.split('.')[1];
      const chart = await mkdtemp(join(tmpdir(), 'helm-caps-'));
      try {
        await mkdir(join(chart, 'templates'));
        await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: caps\nversion: 0.1.0\n');
        await writeFile(join(chart, 'templates', 'cm.yaml'), 'kube: "{{ .Capabilities.KubeVersion.Version }}"\n');
        const out = await cluster.helm(['template', chart]);
        expect(out.stdout).to.include(`kube: "v1.${minor}.`);
      } finally {
        await rm(chart, { recursive: true, force: true });
      }
    }
  });
});

// The StatefulSet runs an image only the local node agent knows: on an external cluster
// ($KUBECONFIG) these tests are skipped.
describe('e2e cluster: a StatefulSet on the local node', function () {
  before(function () {
    skipWhenExternalCluster(this, 'its StatefulSet runs topology-test-echo, an image only the local node agent maps');
  });

  let cluster: TestCluster;
  let ns: string;
  let pods: V1Pod[] = [];

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('smoke');
  });

  // Free the pods' processes as soon as this suite is done.
  after(async () => {
    if (ns) await deleteTestNamespace(ns);
  });

  it('runs 5 replicas as Running, Ready pods bound to the local node', async function () {
    this.timeout(120_000);
    const t0 = Date.now();
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: statefulSet(5) });
    pods = await waitFor('5 Running, Ready echo pods', () => readyPods(cluster, ns, 'app=echo', 5), { timeoutMs: 90_000 });
    process.stderr.write(`      [measure] 5-replica StatefulSet applied → all pods Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const p of pods) {
      expect(p.spec?.nodeName).to.equal(cluster.nodeName);
      expect(p.status?.containerStatuses?.[0]?.ready).to.equal(true);
      expect(p.status?.containerStatuses?.[0]?.state?.running).to.not.equal(undefined);
      expect(p.status?.hostIP).to.equal('127.0.0.1');
    }
  });

  it('gives each pod its own 127.0.x.y address, on which its process really listens', async () => {
    const ips = pods.map((p) => p.status?.podIP ?? '');
    expect(new Set(ips).size).to.equal(pods.length);
    for (const p of pods) {
      const ip = p.status!.podIP!;
      expect(ip).to.match(/^127\.\d+\.\d+\.\d+$/);
      expect(p.status?.podIPs?.[0]?.ip).to.equal(ip);
      const r = await httpGet(`http://${ip}:8080/whoami`);
      expect(r.status).to.equal(200);
      expect(JSON.parse(r.body) as { pod: string; ip: string }).to.include({ pod: p.metadata!.name, ip });
      expect(await checkHealth(`${ip}:9090`, '', 2000)).to.equal('SERVING');
    }
  });

  it('honours the readiness probe: a pod whose probe fails becomes NotReady', async function () {
    this.timeout(60_000);
    const victim = pods[0]!;
    await httpGet(`http://${victim.status!.podIP}:8080/fail`);
    await waitFor(
      'the failing pod to become NotReady',
      async () => {
        const current = (await listPods(cluster, ns, 'app=echo')).find((p) => p.metadata?.name === victim.metadata?.name);
        return current !== undefined && !isRunningAndReady(current) && current.status?.phase === 'Running';
      },
      { timeoutMs: 30_000 },
    );
  });

  it('follows a scale-up to 8 replicas', async function () {
    this.timeout(120_000);
    // Replace the NotReady pod first so the count of Ready pods is unambiguous.
    await cluster.kubectl(['delete', 'pod', '-n', ns, pods[0]!.metadata!.name!, '--wait=true']);
    await cluster.kubectl(['scale', 'statefulset', 'echo', '-n', ns, '--replicas=8']);
    pods = await waitFor('8 Running, Ready echo pods', () => readyPods(cluster, ns, 'app=echo', 8), { timeoutMs: 90_000 });
    expect(pods.map((p) => p.metadata?.name).sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `echo-${i}`));
  });

  it('recreates a deleted pod with a new identity', async function () {
    this.timeout(120_000);
    const victim = pods.find((p) => p.metadata?.name === 'echo-3')!;
    await cluster.kubectl(['delete', 'pod', '-n', ns, 'echo-3', '--wait=true']);
    const replaced = await waitFor(
      'echo-3 to be recreated and Ready',
      async () => {
        const p = (await listPods(cluster, ns, 'app=echo')).find((x) => x.metadata?.name === 'echo-3');
        return p && p.metadata?.uid !== victim.metadata?.uid && isRunningAndReady(p) ? p : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const r = await httpGet(`http://${replaced.status!.podIP}:8080/`);
    expect((JSON.parse(r.body) as { pod: string }).pod).to.equal('echo-3');
    // The old address no longer answers (its process was stopped).
    if (victim.status?.podIP !== replaced.status?.podIP) {
      const old = await fetch(`http://${victim.status!.podIP}:8080/`, { signal: AbortSignal.timeout(2000) }).then(
        () => 'answered',
        () => 'refused',
      );
      expect(old).to.equal('refused');
    }
  });
});
