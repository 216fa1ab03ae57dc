/**
 * Two operator replicas (managers) against a real API server: both keep warm ConfigMap caches and
 * report ready, only the leader reconciles; when the leader shuts down gracefully the standby
 * takes over and reconciles everything in its cache plus new changes.
 */
import { expect } from 'chai';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Controller } from '../../src/operator/controller/controller.js';
import { ResourceInformer } from '../../src/operator/controller/informer.js';
import { kubernetesLeaseStore } from '../../src/operator/controller/leader-election.js';
import { silentLogger } from '../../src/operator/controller/log.js';
import { Manager } from '../../src/operator/controller/manager.js';
import { ControllerMetrics } from '../../src/operator/controller/metrics.js';
import { InformerSource } from '../../src/operator/controller/source.js';
import { createTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { waitFor } from './support/wait.js';

describe('e2e controller/manager', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('ctl-manager');
  });

  function replica(id: string, reconciled: string[]) {
    const kc = cluster.kubeConfig();
    const informer = new ResourceInformer<V1ConfigMap>({
      kubeConfig: kc,
      resource: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
      namespaces: [ns],
      labelSelector: 'e2e=manager',
      logger: silentLogger(),
    });
    const registry = new Registry();
    const controller = new Controller({
      name: 'configmaps',
      logger: silentLogger(),
      sources: [new InformerSource({ informer })],
      reconciler: async (req) => {
        reconciled.push(`${id}:${req.name}`);
        return {};
      },
    });
    const manager = new Manager({
      controllers: [controller],
      informers: [informer],
      registry,
      metrics: new ControllerMetrics(registry),
      health: { port: 0, host: '127.0.0.1' },
      logger: silentLogger(),
      leaderElection: {
        store: kubernetesLeaseStore(kc, ns, 'operator-lock'),
        identity: id,
        leaseDurationMs: 3_000,
        renewDeadlineMs: 2_000,
        retryPeriodMs: 500,
      },
    });
    return { manager, registry };
  }

  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}, labels: {e2e: manager}}\ndata: {k: v}\n`;

  it('only the leader reconciles; after a graceful handover the standby reconciles its warm cache and new changes', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: cm('existing') });
    const reconciled: string[] = [];
    const a = replica('replica-a', reconciled);
    const b = replica('replica-b', reconciled);
    await a.manager.start();
    await b.manager.start();
    try {
      const ready = async (m: Manager) => (await fetch(`http://127.0.0.1:${m.healthPort()}/readyz`)).status === 200;
      await waitFor('both replicas ready (caches synced, leader or not)', async () => (await ready(a.manager)) && (await ready(b.manager)));
      await waitFor('one leader', () => a.manager.isLeading() || b.manager.isLeading(), { timeoutMs: 20_000 });
      const [leader, standby] = a.manager.isLeading() ? [a, b] : [b, a];
      const leaderId = leader === a ? 'replica-a' : 'replica-b';
      const standbyId = leader === a ? 'replica-b' : 'replica-a';
      await waitFor('the leader reconciles the existing object', () => reconciled.includes(`${leaderId}:existing`));
      await cluster.kubectl(['apply', '-f', '-'], { input: cm('second') });
      await waitFor('the leader reconciles a new object', () => reconciled.includes(`${leaderId}:second`));
      expect(reconciled.filter((r) => r.startsWith(standbyId))).to.deep.equal([], 'the standby never reconciles');
      expect(await standby.registry.metrics()).to.not.match(/topology_operator_leader\{[^}]*\} 1/);
      expect(await leader.registry.metrics()).to.match(/topology_operator_leader\{lease="[^"]+\/operator-lock"\} 1/);

      const stoppedAt = Date.now();
      await leader.manager.stop();
      expect(await leader.manager.done()).to.deep.equal({ reason: 'stopped' });
      await waitFor(
        'the standby takes over and reconciles its warm cache',
        () => reconciled.includes(`${standbyId}:existing`) && reconciled.includes(`${standbyId}:second`),
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      expect(Date.now() - stoppedAt).to.be.below(3_000, 'the lease was released: no wait for expiry');
      await cluster.kubectl(['apply', '-f', '-'], { input: cm('third') });
      await waitFor('the new leader reconciles new changes', () => reconciled.includes(`${standbyId}:third`));
      expect(reconciled.filter((r) => r.startsWith(leaderId) && r.endsWith(':third'))).to.deep.equal([]);
    } finally {
      await a.manager.stop();
      await b.manager.stop();
    }
  });
});
