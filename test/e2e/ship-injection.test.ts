/**
 * Sidecar injection on the local control plane: the chart installed with the webhook on, the
 * operator makes its serving certificate and patches the caBundle of both webhooks, the real API
 * server calls the webhook when a plain Deployment's pods are created, the pods get the native
 * sidecar (first init container, restartPolicy Always) and TOPOLOGY_APP_ADDRESS, join a Manual
 * FullMesh ClusterTopology, and it reaches Ready with its members; a namespace labelled for
 * injection gets it without the pod annotation; a malformed override annotation is refused at
 * admission with a message naming it.
 *
 * The local control plane has no Service routing, so the webhook configuration calls the operator
 * at a `url` on 127.0.0.1 (chart value webhook.url) with one replica; the Service form is the
 * same server and certificate (the certificate also names <service>.<namespace>.svc).
 */
import { createServer } from 'node:net';
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { CRD_NAME } from '../../src/api/constants.js';
import { operatorChartDir } from '../../src/demo/app-chart.js';
import { INJECT_ANNOTATION, OVERRIDE_ANNOTATIONS, TOPOLOGY_ANNOTATION } from '../../src/operator/inject/inject-annotations.js';
import { INJECTED_ANNOTATION } from '../../src/operator/inject/inject-patch.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { listPods, readyPods } from './support/pods.js';
import { waitFor } from './support/wait.js';

const RELEASE = 'inj';
const FULLNAME = 'inj-topology-operator';
const CONFIGURATION = `${FULLNAME}-sidecar-injector`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('e2e: sidecar injection webhook on the local cluster', function () {
  this.timeout(300_000);
  before(function () {
    skipWhenExternalCluster(this, 'the webhook is reached at a 127.0.0.1 url and the images are mapped by the local node agent');
  });

  let cluster: TestCluster;
  let ops: string;
  let app: string;
  let labelled: string;
  let crdBefore = true;

  before(async function () {
    this.timeout(30 * 60_000);
    cluster = await getCluster();
    crdBefore = (await cluster.kubectl(['get', 'crd', CRD_NAME], { allowFail: true })).code === 0;
    ops = await createTestNamespace('inject-ops');
    app = await createTestNamespace('inject-app');
    labelled = await createTestNamespace('inject-ns');
    await cluster.kubectl(['label', 'namespace', labelled, 'topology.foundation.dev/injection=enabled']);
  });

  after(async function () {
    if (cluster === undefined) return;
    for (const ns of [app, labelled])
      if (ns) await cluster.kubectl(['delete', 'ctopo', '--all', '-n', ns, '--ignore-not-found', '--wait=false'], { allowFail: true });
    await cluster.helm(['uninstall', RELEASE, '-n', ops], { allowFail: true });
    for (const ns of [app, labelled, ops]) if (ns) await deleteTestNamespace(ns);
    if (!crdBefore) await cluster.kubectl(['delete', 'crd', CRD_NAME, '--ignore-not-found', '--wait=false'], { allowFail: true });
  });

  it('the operator issues its serving certificate and patches the caBundle of both webhooks', async () => {
    const port = await freePort();
    await cluster.helm([
      'install',
      RELEASE,
      operatorChartDir(),
      '-n',
      ops,
      '--set',
      'replicaCount=1',
      '--set',
      'webhook.enabled=true',
      '--set',
      `webhook.port=${port}`,
      '--set',
      'webhook.bindAddress=127.0.0.1',
      '--set',
      `webhook.url=https://127.0.0.1:${port}`,
      '--set',
      'webhook.extraCertSans={127.0.0.1}',
      '--set',
      'sidecar.appHost=$(POD_IP)',
    ]);
    const t0 = Date.now();
    const bundles = await waitFor(
      'caBundle on both webhooks',
      async () => {
        const r = await cluster.kubectl(['get', 'mutatingwebhookconfiguration', CONFIGURATION, '-o', 'jsonpath={.webhooks[*].clientConfig.caBundle}']);
        const b = r.stdout
          .trim()
          .split(/\s+/)
          .filter((x) => x !== '');
        return b.length === 2 ? b : undefined;
      },
      { timeoutMs: 120_000 },
    );
    process.stderr.write(`      [measure] helm install → caBundle patched in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const secret = JSON.parse((await cluster.kubectl(['get', 'secret', `${FULLNAME}-webhook-cert`, '-n', ops, '-o', 'json'])).stdout) as {
      type: string;
      data: Record<string, string>;
    };
    expect(secret.type).to.equal('kubernetes.io/tls');
    expect(bundles[0]).to.equal(secret.data['ca.crt']);
    expect(bundles[1]).to.equal(secret.data['ca.crt']);
  });

  it('a plain annotated Deployment gets the native sidecar, joins its ClusterTopology, and it reaches Ready with 2 members', async () => {
    await cluster.kubectl(['apply', '-n', app, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'topology.foundation.dev/v1alpha1',
        kind: 'ClusterTopology',
        metadata: { name: 'chat' },
        spec: { selector: { matchLabels: { app: 'chat' } }, mode: 'Manual', topology: 'FullMesh' },
      }),
    });
    const t0 = Date.now();
    await cluster.kubectl(['apply', '-n', app, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'chat' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'chat' } },
          template: {
            metadata: { labels: { app: 'chat' }, annotations: { [INJECT_ANNOTATION]: 'true', [TOPOLOGY_ANNOTATION]: 'chat' } },
            spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'topology-test-shell', args: ['sleep infinity'] }] },
          },
        },
      }),
    });
    const pods = await waitFor('2 Ready injected pods', () => readyPods(cluster, app, 'app=chat', 2), { timeoutMs: 120_000 });
    const podsReady = Date.now();
    for (const p of pods) {
      const sidecar = p.spec!.initContainers![0]!;
      expect(sidecar).to.deep.include({ name: 'topology-sidecar', restartPolicy: 'Always' });
      expect(sidecar.args).to.include('--app-address=$(POD_IP):7947');
      expect(p.spec!.volumes!.find((v) => v.name === 'topology-credentials')?.secret?.secretName).to.equal('chat-sidecar-credentials');
      expect(p.spec!.containers[0]!.env!.map((e) => e.name)).to.deep.equal(['POD_IP', 'TOPOLOGY_APP_ADDRESS']);
      expect(p.metadata!.annotations![INJECTED_ANNOTATION]).to.equal('topology-sidecar:0.1.0');
      // Kubernetes' ordering: the sidecar started before the app container.
      const sidecarStart = Date.parse(String(p.status!.initContainerStatuses![0]!.state!.running!.startedAt));
      const appStart = Date.parse(String(p.status!.containerStatuses![0]!.state!.running!.startedAt));
      expect(sidecarStart).to.be.at.most(appStart);
      expect(p.status!.initContainerStatuses![0]!.ready).to.equal(true);
    }
    const status = await waitFor(
      'phase Ready with FullMesh on 2 members',
      async () => {
        const r = await cluster.kubectl(['get', 'ctopo', 'chat', '-n', app, '-o', 'json']);
        const s = (JSON.parse(r.stdout) as { status?: { phase?: string; currentTopology?: string; members?: { ready: number; onTarget: number } } }).status;
        return s?.phase === 'Ready' && s.currentTopology === 'FullMesh' && s.members?.ready === 2 && s.members.onTarget === 2 ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    process.stderr.write(
      `      [measure] Deployment applied → 2 injected pods Ready in ${((podsReady - t0) / 1000).toFixed(1)} s; → ClusterTopology Ready in ${((Date.now() - podsReady) / 1000).toFixed(1)} s\n`,
    );
    expect(status.members).to.deep.include({ ready: 2, onTarget: 2 });
  });

  it('a namespace labelled injection=enabled injects without the inject annotation; inject: "false" opts out', async () => {
    const pod = (name: string, annotations: Record<string, string>): string =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, annotations },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'topology-test-shell', args: ['sleep infinity'] }] },
      });
    await cluster.kubectl(['apply', '-n', labelled, '-f', '-'], { input: pod('member', { [TOPOLOGY_ANNOTATION]: 'chat' }) });
    await cluster.kubectl(['apply', '-n', labelled, '-f', '-'], { input: pod('plain', { [INJECT_ANNOTATION]: 'false' }) });
    const get = async (name: string): Promise<V1Pod> => JSON.parse((await cluster.kubectl(['get', 'pod', name, '-n', labelled, '-o', 'json'])).stdout) as V1Pod;
    expect((await get('member')).spec!.initContainers?.map((c) => c.name)).to.deep.equal(['topology-sidecar']);
    expect((await get('plain')).spec!.initContainers).to.equal(undefined);
    // Without a ClusterTopology name the labelled namespace refuses the pod, naming the annotation.
    const r = await cluster.kubectl(['apply', '-n', labelled, '-f', '-'], { input: pod('nameless', {}), allowFail: true });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(TOPOLOGY_ANNOTATION);
  });

  it('a malformed override annotation is refused at admission with a message naming it', async () => {
    const bad = OVERRIDE_ANNOTATIONS.cpuRequest;
    const r = await cluster.kubectl(['apply', '-n', app, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bad-override', annotations: { [INJECT_ANNOTATION]: 'true', [TOPOLOGY_ANNOTATION]: 'chat', [bad]: 'lots' } },
        spec: { containers: [{ name: 'app', image: 'topology-test-shell', args: ['sleep infinity'] }] },
      }),
      allowFail: true,
    });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('denied the request');
    expect(r.stderr).to.contain(bad);
    expect(r.stderr).to.contain('"lots"');
    expect(await listPods(cluster, app, 'app!=chat')).to.have.length(0);
  });
});
