/**
 * The sidecar image on the local cluster: a StatefulSet of `topology-sidecar` pods becomes
 * Running and Ready through a gRPC readiness probe (grpc.health.v1 on the Peer port) and an HTTP
 * liveness probe (/healthz on the metrics port), and every sidecar answers health checks on its
 * own pod IP. Local cluster only (the image is mapped by the node agent).
 *
 * APP_ADDRESS is set to $(POD_IP):7947: on the local node every pod shares the host's loopback,
 * so "loopback only" must mean the pod's own 127.0.x.y address to keep pods from colliding.
 */
import { expect } from 'chai';
import { checkHealth } from '../../src/localcluster/grpc-health.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { readyPods } from './support/pods.js';
import { waitFor } from './support/wait.js';

const REPLICAS = 5;

function sidecarStatefulSet(): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'sidecars' },
    spec: {
      replicas: REPLICAS,
      serviceName: 'sidecars',
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: 'sidecars' } },
      template: {
        metadata: { labels: { app: 'sidecars' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'sidecar',
              image: 'topology-sidecar:0.1.0',
              ports: [
                { name: 'peer', containerPort: 7070 },
                { name: 'metrics', containerPort: 9464 },
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'APP_ADDRESS', value: '$(POD_IP):7947' },
              ],
              readinessProbe: { grpc: { port: 7070 }, periodSeconds: 1 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 5 },
            },
          ],
        },
      },
    },
  });
}

describe('e2e cluster: the topology-sidecar image', function () {
  before(function () {
    skipWhenExternalCluster(this, 'the topology-sidecar image is mapped by the local node agent');
  });

  let cluster: TestCluster;
  let ns: string;

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('sidecar-smoke');
  });

  // Free the pods' processes as soon as this suite is done.
  after(async () => {
    if (ns) await deleteTestNamespace(ns);
  });

  it(`runs ${REPLICAS} sidecars that become Ready through their gRPC health service`, async function () {
    this.timeout(120_000);
    const t0 = Date.now();
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: sidecarStatefulSet() });
    const pods = await waitFor(`${REPLICAS} Ready sidecar pods`, () => readyPods(cluster, ns, 'app=sidecars', REPLICAS), { timeoutMs: 90_000 });
    process.stderr.write(`      [measure] ${REPLICAS}-replica sidecar StatefulSet applied → all pods Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const p of pods) {
      const ip = p.status!.podIP!;
      expect(await checkHealth(`${ip}:7070`, '', 2000)).to.equal('SERVING');
      const res = await fetch(`http://${ip}:9464/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).to.equal(200);
      expect(p.status?.containerStatuses?.[0]?.restartCount).to.equal(0);
    }
  });
});
