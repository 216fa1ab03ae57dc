/**
 * The informer, source and controller against a real API server, on ConfigMaps (a built-in type):
 * creates, updates and deletes arrive as events and as reconcile keys; the cache follows; a forced
 * watch error stops client-node's informer, ours restarts it (counted) and keeps delivering.
 */
import { expect } from 'chai';
import { Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Controller } from '../../src/operator/controller/controller.js';
import { ResourceInformer, type ResourceEvent } from '../../src/operator/controller/informer.js';
import { silentLogger } from '../../src/operator/controller/log.js';
import { ControllerMetrics } from '../../src/operator/controller/metrics.js';
import type { Request } from '../../src/operator/controller/reconcile.js';
import { enqueueMapped, InformerSource } from '../../src/operator/controller/source.js';
import { createTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { waitFor } from './support/wait.js';

/** A Watch whose live connection the test can break with an error (what a network failure does). */
class FaultyWatch extends Watch {
  private active: { abort: AbortController; fail: (err: unknown) => void } | undefined;
  connections = 0;

  constructor(kc: KubeConfig) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- client-node's own signature
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    let finished = false;
    const once = (err: unknown): void => {
      if (finished) return;
      finished = true;
      done(err);
    };
    const abort = await super.watch(path, queryParams, callback, once);
    this.connections++;
    this.active = { abort, fail: once };
    return abort;
  }

  /** Ends the current watch with `err`, as a broken connection would. */
  breakWith(err: Error): void {
    const active = this.active;
    if (active === undefined) throw new Error('no active watch');
    this.active = undefined;
    active.fail(err);
    active.abort.abort();
  }
}

const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

describe('e2e controller/informer', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;
  let otherNs: string;

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('ctl-informer');
    otherNs = await createTestNamespace('ctl-informer-other');
  });

  it('delivers create/update/delete as events and keys, keeps the cache, and restarts after a watch error', async () => {
    const kc = cluster.kubeConfig();
    const watch = new FaultyWatch(kc);
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    const informer = new ResourceInformer<V1ConfigMap>({
      kubeConfig: kc,
      resource: CONFIGMAP,
      namespaces: [ns],
      labelSelector: 'e2e=informer',
      watch,
      restartBaseMs: 200,
      logger: silentLogger(),
      metrics,
    });
    const events: Array<ResourceEvent<V1ConfigMap>> = [];
    informer.onEvent((e) => events.push(e));
    const seen = (type: string, name: string, pred: (e: ResourceEvent<V1ConfigMap>) => boolean = () => true) =>
      events.some((e) => e.type === type && e.object.metadata?.name === name && pred(e));

    // A pre-existing object arrives through the initial list.
    await cluster.kubectl(['create', 'configmap', 'before', '-n', ns, '--from-literal=k=v0']);
    await cluster.kubectl(['label', 'configmap', 'before', '-n', ns, 'e2e=informer']);
    // Objects the selectors exclude never arrive.
    await cluster.kubectl(['create', 'configmap', 'unlabelled', '-n', ns, '--from-literal=k=v']);
    await cluster.kubectl(['create', 'configmap', 'elsewhere', '-n', otherNs, '--from-literal=k=v']);
    await cluster.kubectl(['label', 'configmap', 'elsewhere', '-n', otherNs, 'e2e=informer']);

    // Map each ConfigMap to a "parent" key, as a Pod would map to its ClusterTopology.
    const reconciled: string[] = [];
    const controller = new Controller({
      name: 'e2e-configmaps',
      logger: silentLogger(),
      metrics,
      sources: [
        new InformerSource({
          informer,
          handler: enqueueMapped((cm: V1ConfigMap): Request[] => [{ namespace: cm.metadata?.namespace ?? '', name: `parent-of-${cm.metadata?.name ?? ''}` }]),
        }),
      ],
      reconciler: async (req) => {
        reconciled.push(`${req.namespace}/${req.name}`);
        return {};
      },
    });
    await controller.start();
    try {
      expect(informer.hasSynced()).to.equal(true, 'workers start only after the cache synced');
      expect(informer.get('before', ns)?.data?.['k']).to.equal('v0');
      expect(informer.get('before', ns)).to.include({ apiVersion: 'v1', kind: 'ConfigMap' }, 'listed objects get apiVersion/kind');
      await waitFor('initial object reconciled', () => reconciled.includes(`${ns}/parent-of-before`));

      await cluster.kubectl(['apply', '-f', '-'], { input: cmYaml(ns, 'watched', 'v1') });
      await waitFor('add event', () => seen('add', 'watched'));
      await waitFor('add reconciled', () => reconciled.includes(`${ns}/parent-of-watched`));
      await cluster.kubectl(['apply', '-f', '-'], { input: cmYaml(ns, 'watched', 'v2') });
      await waitFor('update event with the old object', () =>
        seen('update', 'watched', (e) => e.object.data?.['k'] === 'v2' && e.oldObject?.data?.['k'] === 'v1'),
      );
      expect(informer.get('watched', ns)?.data?.['k']).to.equal('v2');
      await cluster.kubectl(['delete', 'configmap', 'watched', '-n', ns]);
      await waitFor('delete event', () => seen('delete', 'watched'));
      expect(informer.get('watched', ns)).to.equal(undefined);

      // Break the live watch with an error: client-node's informer stops; ours restarts it.
      const connectionsBefore = watch.connections;
      watch.breakWith(Object.assign(new Error('injected: connection reset'), { statusCode: 500 }));
      await waitFor('a restart', () => informer.restarts() === 1 && watch.connections > connectionsBefore, { timeoutMs: 10_000, intervalMs: 50 });
      await cluster.kubectl(['apply', '-f', '-'], { input: cmYaml(ns, 'after-restart', 'v1') });
      await waitFor('events after the restart', () => seen('add', 'after-restart'));
      await waitFor('reconciled after the restart', () => reconciled.includes(`${ns}/parent-of-after-restart`));

      const names = new Set(events.map((e) => e.object.metadata?.name));
      expect(names.has('unlabelled')).to.equal(false, 'label selector applies');
      expect(names.has('elsewhere')).to.equal(false, 'namespace list applies');
      const text = await registry.metrics();
      expect(text).to.match(/topology_operator_informer_restarts_total\{resource="configmaps\.v1"\} 1/);
      expect(text).to.match(/topology_operator_reconcile_total\{controller="e2e-configmaps",result="success"\} [1-9]/);
    } finally {
      await controller.stop();
    }
  });

  it('watches all namespaces when no list is given, and lists each namespace from the shared cache', async () => {
    const kc = cluster.kubeConfig();
    const informer = new ResourceInformer<V1ConfigMap>({ kubeConfig: kc, resource: CONFIGMAP, labelSelector: 'e2e=informer', logger: silentLogger() });
    await informer.start();
    try {
      await informer.waitForSync(30_000);
      expect(informer.list(otherNs).map((c) => c.metadata?.name)).to.include('elsewhere');
      expect(informer.list(ns).map((c) => c.metadata?.name)).to.include('before');
      await cluster.kubectl(['apply', '-f', '-'], { input: cmYaml(otherNs, 'late', 'x') });
      await waitFor('cluster-wide add', () => informer.get('late', otherNs) !== undefined);
    } finally {
      await informer.stop();
    }
  });
});

function cmYaml(namespace: string, name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n  labels: {e2e: informer}\ndata:\n  k: "${value}"\n`;
}
