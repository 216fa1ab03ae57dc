/**
 * Sidecar injection on the local control plane, the way a user installs it: the chart with its
 * defaults (webhook on, 2 replicas, the API server calling the webhook through its Service). The
 * local API server runs with --enable-aggregator-routing, so it resolves the Service to a Ready
 * endpoint's pod IP, as a real cluster's API server would reach the ClusterIP through kube-proxy.
 *
 * Checked: both replicas become Ready once their webhook serves with the same serving certificate
 * (one Secret, issued once) and the caBundle of both webhooks is patched; both answer admission;
 * a plain Deployment's pods get the native sidecar (first init container, restartPolicy Always)
 * and TOPOLOGY_APP_ADDRESS, join a Manual FullMesh ClusterTopology, and it reaches Ready with its
 * members; a namespace labelled for injection gets it without the pod annotation; a malformed
 * override annotation is refused at admission with a message naming it; and admission keeps
 * working (failurePolicy Fail) while one replica is deleted and replaced, with a
 * PodDisruptionBudget keeping one.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
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
const SERVICE = `${FULLNAME}-webhook`;
const OPERATOR_PODS = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`;
/** The chart's default webhook.port. */
const WEBHOOK_PORT = 9443;

/** SHA-256 of the DER certificate a TLS server at ip:port presents for `servername`, trusting only `ca`. */
function servedCertificate(ip: string, port: number, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port, servername, ca }, () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      resolve(createHash('sha256').update(der).digest('hex'));
    });
    socket.once('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`no TLS handshake with ${ip}:${port} in 5 s`)));
  });
}

/** POSTs an AdmissionReview for an annotated pod straight to one replica (TLS verified like the API server does); its response. */
function reviewAt(ip: string, servername: string, ca: string): Promise<{ allowed?: boolean; patch?: string }> {
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'direct',
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'direct',
      object: { metadata: { name: 'p', annotations: { [INJECT_ANNOTATION]: 'true', [TOPOLOGY_ANNOTATION]: 'chat' } }, spec: { containers: [{ name: 'a' }] } },
    },
  });
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: ip, port: WEBHOOK_PORT, path: '/inject', method: 'POST', ca, servername, headers: { 'content-type': 'application/json' }, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString()) as { response: { allowed?: boolean; patch?: string } }).response));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A bare pod manifest for the labelled namespace (injected there without the inject annotation). */
function memberPod(name: string, annotations: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'topology-test-shell', args: ['sleep infinity'] }] },
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

  it('two replicas become Ready serving one certificate; the caBundle of both webhooks is patched; both answer admission through the Service', async () => {
    const t0 = Date.now();
    await cluster.helm(['install', RELEASE, operatorChartDir(), '-n', ops, '--set', 'sidecar.appHost=$(POD_IP)']);
    const operators = await waitFor('2 operator replicas Ready (webhook serving)', () => readyPods(cluster, ops, OPERATOR_PODS, 2), { timeoutMs: 120_000 });
    process.stderr.write(`      [measure] helm install → 2 replicas Ready with the webhook serving in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const config = JSON.parse((await cluster.kubectl(['get', 'mutatingwebhookconfiguration', CONFIGURATION, '-o', 'json'])).stdout) as {
      webhooks: { clientConfig: { caBundle?: string; url?: string; service?: { name: string; namespace: string; port: number } } }[];
    };
    const secret = JSON.parse((await cluster.kubectl(['get', 'secret', `${FULLNAME}-webhook-cert`, '-n', ops, '-o', 'json'])).stdout) as {
      type: string;
      data: Record<string, string>;
    };
    expect(secret.type).to.equal('kubernetes.io/tls');
    expect(config.webhooks).to.have.length(2);
    for (const w of config.webhooks) {
      expect(w.clientConfig.url).to.equal(undefined);
      expect(w.clientConfig.service).to.deep.include({ name: SERVICE, namespace: ops, port: 443 });
      expect(w.clientConfig.caBundle).to.equal(secret.data['ca.crt']);
    }
    // Both replicas serve the Secret's certificate, for the name the API server verifies.
    const ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString('utf8');
    const want = createHash('sha256')
      .update(new X509Certificate(Buffer.from(secret.data['tls.crt']!, 'base64')).raw)
      .digest('hex');
    for (const p of operators) expect(await servedCertificate(p.status!.podIP!, WEBHOOK_PORT, `${SERVICE}.${ops}.svc`, ca), p.metadata!.name).to.equal(want);
    const [pdb] = (JSON.parse((await cluster.kubectl(['get', 'pdb', '-n', ops, '-o', 'json'])).stdout) as { items: { spec: { minAvailable: number } }[] })
      .items;
    expect(pdb?.spec.minAvailable).to.equal(1);
    // Each replica answers admission itself (the Service sends a call to either).
    for (const p of operators) {
      const response = await reviewAt(p.status!.podIP!, `${SERVICE}.${ops}.svc`, ca);
      expect(response.allowed, p.metadata!.name).to.equal(true);
      expect(response.patch, p.metadata!.name).to.be.a('string');
    }
    // And the API server reaches the webhook through the Service (failurePolicy Fail here).
    const r = await cluster.kubectl(['create', '--dry-run=server', '-n', labelled, '-o', 'json', '-f', '-'], {
      input: memberPod('probe', { [TOPOLOGY_ANNOTATION]: 'chat' }),
    });
    expect((JSON.parse(r.stdout) as V1Pod).spec!.initContainers?.[0]?.name).to.equal('topology-sidecar');
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
    await cluster.kubectl(['apply', '-n', labelled, '-f', '-'], { input: memberPod('member', { [TOPOLOGY_ANNOTATION]: 'chat' }) });
    await cluster.kubectl(['apply', '-n', labelled, '-f', '-'], { input: memberPod('plain', { [INJECT_ANNOTATION]: 'false' }) });
    const get = async (name: string): Promise<V1Pod> => JSON.parse((await cluster.kubectl(['get', 'pod', name, '-n', labelled, '-o', 'json'])).stdout) as V1Pod;
    expect((await get('member')).spec!.initContainers?.map((c) => c.name)).to.deep.equal(['topology-sidecar']);
    expect((await get('plain')).spec!.initContainers).to.equal(undefined);
    // Without a ClusterTopology name the labelled namespace refuses the pod, naming the annotation.
    const r = await cluster.kubectl(['apply', '-n', labelled, '-f', '-'], { input: memberPod('nameless', {}), allowFail: true });
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
  it('admission keeps working (failurePolicy Fail) while one replica is deleted and replaced', async () => {
    const [victim] = await listPods(cluster, ops, OPERATOR_PODS);
    const name = victim!.metadata!.name!;
    const t0 = Date.now();
    await cluster.kubectl(['delete', 'pod', name, '-n', ops, '--wait=false']);
    // Admit pods (server-side dry runs: through every webhook, nothing stored) back to back until
    // the deleted replica is gone and its replacement is Ready; every one must get the sidecar.
    let admitted = 0;
    let replaced: V1Pod[] | undefined;
    for (;;) {
      const r = await cluster.kubectl(['create', '--dry-run=server', '-n', labelled, '-o', 'json', '-f', '-'], {
        input: memberPod(`during-${admitted}`, { [TOPOLOGY_ANNOTATION]: 'chat' }),
        allowFail: true,
      });
      expect(r.code, `admission ${admitted} after deleting ${name}: ${r.stderr}`).to.equal(0);
      expect((JSON.parse(r.stdout) as V1Pod).spec!.initContainers?.[0]?.name, `admission ${admitted}`).to.equal('topology-sidecar');
      admitted++;
      const pods = await readyPods(cluster, ops, OPERATOR_PODS, 2);
      replaced = pods?.some((p) => p.metadata!.name === name) === false ? pods : undefined;
      if (replaced !== undefined && admitted >= 10) break;
      expect(Date.now() - t0, 'the replacement replica became Ready within 120 s').to.be.below(120_000);
    }
    process.stderr.write(
      `      [measure] replica ${name} deleted → replacement Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${admitted} admissions meanwhile, none failed\n`,
    );
    expect(replaced.map((p) => p.metadata!.name)).to.not.include(name);
  });
});
