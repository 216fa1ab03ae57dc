/**
 * The local node agent's kubelet behaviours, against the real control plane: environment
 * (downward API, Secret/ConfigMap refs, $(VAR) expansion), volumes and mount-path rewriting, the
 * projected service-account volume (in-cluster config works), restart policies and exit codes,
 * exec probes, graceful termination and unknown images. Only on the local cluster (the images are
 * the agent's own fixtures), so skipped when $KUBECONFIG points elsewhere.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AuthenticationV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { isRunningAndReady } from './support/pods.js';
import { waitFor } from './support/wait.js';

async function getPod(cluster: TestCluster, ns: string, name: string): Promise<V1Pod | undefined> {
  const r = await cluster.kubectl(['get', 'pod', name, '-n', ns, '-o', 'json'], { allowFail: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as V1Pod) : undefined;
}

async function apply(cluster: TestCluster, ns: string, obj: object): Promise<void> {
  await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(obj) });
}

async function text(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return await res.text();
}

function shellPod(name: string, script: string, restartPolicy: 'Always' | 'OnFailure' | 'Never', extra: object = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { restartPolicy, terminationGracePeriodSeconds: 2, containers: [{ name: 'sh', image: 'topology-test-shell', args: [script], ...extra }] },
  };
}

describe('local node agent', function () {
  this.timeout(120_000);
  before(function () {
    skipWhenExternalCluster(this, 'it tests the local node agent itself, with images that are its own fixtures');
  });

  let cluster: TestCluster;
  let ns: string;

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('node-agent');
    await cluster.kubectl(['create', 'secret', 'generic', 'creds', '-n', ns, '--from-literal=token=s3cret']);
    await cluster.kubectl(['create', 'configmap', 'settings', '-n', ns, '--from-literal=mode=fast', '--from-literal=app.conf=level=debug']);
  });

  // Free the pods' processes as soon as this suite is done.
  after(async () => {
    if (ns) await deleteTestNamespace(ns);
  });

  it('builds the environment, expands $(VAR) and rewrites volume mount paths', async () => {
    await apply(cluster, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'env', labels: { tier: 'demo' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        volumes: [
          { name: 'cfg', configMap: { name: 'settings' } },
          { name: 'sec', secret: { secretName: 'creds' } },
          { name: 'scratch', emptyDir: {} },
        ],
        containers: [
          {
            name: 'echo',
            image: 'topology-test-echo',
            args: ['--config=/etc/app/app.conf', '/etc/creds/token'],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
              { name: 'GREETING', value: 'hello $(POD_NAME) in $(MODE) mode, $$(LITERAL)' },
              { name: 'SCRATCH', value: '/scratch/data' },
            ],
            volumeMounts: [
              { name: 'cfg', mountPath: '/etc/app' },
              { name: 'sec', mountPath: '/etc/creds' },
              { name: 'scratch', mountPath: '/scratch' },
            ],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    });
    const pod = await waitFor('pod env Ready', async () => {
      const p = await getPod(cluster, ns, 'env');
      return p && isRunningAndReady(p) ? p : undefined;
    });
    const base = `http://${pod.status!.podIP}:8080`;
    const env = async (n: string): Promise<string> => await text(`${base}/env/${n}`);
    expect(await env('POD_NAME')).to.equal('env');
    expect(await env('POD_NS')).to.equal(ns);
    expect(await env('POD_UID')).to.equal(pod.metadata!.uid);
    expect(await env('POD_IP')).to.equal(pod.status!.podIP);
    expect(await env('HOST_IP')).to.equal('127.0.0.1');
    expect(await env('NODE')).to.equal(cluster.nodeName);
    expect(await env('TIER')).to.equal('demo');
    expect(await env('TOKEN')).to.equal('s3cret');
    expect(await env('MODE')).to.equal('fast');
    expect(await env('GREETING')).to.equal('hello env in fast mode, $(LITERAL)');
    const root = await env('TOPOLOGY_VOLUME_ROOT');
    expect(await env('SCRATCH')).to.equal(`${root}/scratch/data`);
    const who = JSON.parse(await text(`${base}/`)) as { args: string[] };
    expect(who.args).to.deep.equal([`--config=${root}/etc/app/app.conf`, `${root}/etc/creds/token`]);
    expect(await text(`${base}/file?path=${encodeURIComponent(`${root}/etc/app/app.conf`)}`)).to.equal('level=debug');
    expect(await text(`${base}/file?path=${encodeURIComponent(`${root}/etc/creds/token`)}`)).to.equal('s3cret');
    expect(pod.metadata?.annotations?.['topology.foundation.dev/log-dir']).to.be.a('string');
  });

  it('projects the service-account token so in-cluster config works under TOPOLOGY_VOLUME_ROOT', async () => {
    const pod = await getPod(cluster, ns, 'env');
    const base = `http://${pod!.status!.podIP}:8080`;
    const root = await text(`${base}/env/TOPOLOGY_VOLUME_ROOT`);
    const sa = `${root}/var/run/secrets/kubernetes.io/serviceaccount`;
    expect(await text(`${base}/file?path=${encodeURIComponent(`${sa}/namespace`)}`)).to.equal(ns);
    expect(await text(`${base}/file?path=${encodeURIComponent(`${sa}/ca.crt`)}`)).to.include('BEGIN CERTIFICATE');
    const host = await text(`${base}/env/KUBERNETES_SERVICE_HOST`);
    const port = await text(`${base}/env/KUBERNETES_SERVICE_PORT`);
    // What the operator does in a pod: client-node's in-cluster config with the volume root as
    // path prefix. The token authenticates as the pod's service account, the CA verifies the apiserver.
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    const kc = new KubeConfig();
    try {
      process.env.KUBERNETES_SERVICE_HOST = host;
      process.env.KUBERNETES_SERVICE_PORT = port;
      kc.loadFromCluster(root);
    } finally {
      for (const [k, v] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const review = await kc
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    expect(review.status?.userInfo?.username).to.equal(`system:serviceaccount:${ns}:default`);
  });

  it('reports exit codes and phases per restartPolicy (Never → Succeeded/Failed, OnFailure restarts)', async () => {
    await apply(cluster, ns, shellPod('ok', 'exit 0', 'Never'));
    await apply(cluster, ns, shellPod('fails', 'exit 3', 'Never'));
    await apply(
      cluster,
      ns,
      shellPod('retry', 'if [ -f "$TOPOLOGY_VOLUME_ROOT/../marker" ]; then exit 0; fi; touch "$TOPOLOGY_VOLUME_ROOT/../marker"; exit 1', 'OnFailure'),
    );
    const ok = await waitFor('pod ok Succeeded', async () => ((await getPod(cluster, ns, 'ok'))?.status?.phase === 'Succeeded' ? true : undefined));
    expect(ok).to.equal(true);
    const failed = await waitFor('pod fails Failed', async () => {
      const p = await getPod(cluster, ns, 'fails');
      return p?.status?.phase === 'Failed' ? p : undefined;
    });
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).to.equal(3);
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated?.reason).to.equal('Error');
    // OnFailure: the first run fails, the restart (after the kubelet's 10 s back-off) succeeds.
    const retried = await waitFor(
      'pod retry Succeeded after one restart',
      async () => {
        const p = await getPod(cluster, ns, 'retry');
        return p?.status?.phase === 'Succeeded' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(retried.status?.containerStatuses?.[0]?.restartCount).to.equal(1);
    expect(retried.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).to.equal(1);
  });

  it('honours exec readiness probes (with mount paths rewritten in the probe command)', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'exec-probe-'));
    try {
      await apply(cluster, ns, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'exec-probe' },
        spec: {
          terminationGracePeriodSeconds: 2,
          volumes: [{ name: 'shared', hostPath: { path: shared } }],
          containers: [
            {
              name: 'sh',
              image: 'topology-test-shell',
              args: ['sleep 300'],
              volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
              readinessProbe: { exec: { command: ['sh', '-c', 'test -f /shared/ready'] }, periodSeconds: 1 },
            },
          ],
        },
      });
      await waitFor('exec-probe Running', async () => ((await getPod(cluster, ns, 'exec-probe'))?.status?.phase === 'Running' ? true : undefined));
      // Running but not Ready while the probe's file is missing, for several probe periods.
      const notReadySince = Date.now();
      while (Date.now() - notReadySince < 3000) {
        expect(isRunningAndReady((await getPod(cluster, ns, 'exec-probe'))!)).to.equal(false);
        await new Promise((r) => setTimeout(r, 500));
      }
      await writeFile(join(shared, 'ready'), '');
      await waitFor('exec-probe Ready', async () => {
        const p = await getPod(cluster, ns, 'exec-probe');
        return p && isRunningAndReady(p) ? true : undefined;
      });
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('stops a deleted pod with SIGTERM, then SIGKILL after the grace period, and completes the deletion', async () => {
    await apply(cluster, ns, shellPod('stubborn', "trap '' TERM; while true; do sleep 0.2; done", 'Always'));
    await waitFor('stubborn Running', async () => ((await getPod(cluster, ns, 'stubborn'))?.status?.phase === 'Running' ? true : undefined));
    const t0 = Date.now();
    await cluster.kubectl(['delete', 'pod', 'stubborn', '-n', ns, '--grace-period=2', '--wait=true']);
    const took = Date.now() - t0;
    expect(took).to.be.greaterThan(1500);
    expect(took).to.be.lessThan(20_000);
    expect(await getPod(cluster, ns, 'stubborn')).to.equal(undefined);
  });

  it('reports an unknown image as ErrImagePull with a message naming it', async () => {
    await apply(cluster, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unknown' },
      spec: { containers: [{ name: 'c', image: 'example.com/nope:1.0' }] },
    });
    const waiting = await waitFor('ErrImagePull', async () => {
      const w = (await getPod(cluster, ns, 'unknown'))?.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImagePull' ? w : undefined;
    });
    expect(waiting.message).to.include('example.com/nope:1.0');
    expect((await getPod(cluster, ns, 'unknown'))?.status?.phase).to.equal('Pending');
  });

  it('runs a Deployment (ReplicaSet controller + scheduler + agent)', async () => {
    await apply(cluster, ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [{ name: 'echo', image: 'topology-test-echo', readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 } }],
          },
        },
      },
    });
    await cluster.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 });
  });
});
