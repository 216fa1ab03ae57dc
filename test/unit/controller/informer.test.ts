import { expect } from 'chai';
import { KubeConfig, Watch, type KubernetesListObject, type V1ConfigMap } from '@kubernetes/client-node';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import { ResourceInformer, resourcePath, type ResourceEvent } from '../../../src/operator/controller/informer.js';
import { silentLogger } from '../../../src/operator/controller/log.js';

type WatchCallback = (phase: string, obj: unknown) => void;

/** A Watch that never opens a connection: the test drives events and the end of each watch. */
class ScriptedWatch extends Watch {
  calls: Array<{ path: string; query: Record<string, unknown>; emit: WatchCallback; end: (err: unknown) => void }> = [];

  constructor() {
    super(new KubeConfig());
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.calls.push({ path, query, emit: callback, end: done });
    return new AbortController();
  }

  last() {
    const c = this.calls.at(-1);
    if (c === undefined) throw new Error('no watch call');
    return c;
  }
}

function cm(name: string, rv: string, value = 'v'): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv }, data: { k: value } };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('controller/informer (scripted list and watch, fake clock)', () => {
  it('builds list/watch paths for core and grouped resources, namespaced or cluster-wide', () => {
    expect(resourcePath({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }, 'a')).to.equal('/api/v1/namespaces/a/pods');
    expect(resourcePath({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true })).to.equal('/api/v1/pods');
    expect(
      resourcePath({ apiVersion: 'topology.foundation.dev/v1alpha1', kind: 'ClusterTopology', plural: 'clustertopologies', namespaced: true }, 'b'),
    ).to.equal('/apis/topology.foundation.dev/v1alpha1/namespaces/b/clustertopologies');
  });

  it('restarts after errors with doubling backoff (800 ms .. 30 s), resets it after a good start, and counts restarts', async () => {
    const clock = new FakeClock();
    const watch = new ScriptedWatch();
    let listFailures = 3;
    const restarts: string[] = [];
    const informer = new ResourceInformer<V1ConfigMap>({
      kubeConfig: new KubeConfig(),
      resource: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
      namespaces: ['ns'],
      labelSelector: 'app=chat',
      watch,
      clock,
      logger: silentLogger(),
      onRestart: (resource) => restarts.push(resource),
      list: async (namespace): Promise<KubernetesListObject<V1ConfigMap>> => {
        expect(namespace).to.equal('ns');
        if (listFailures-- > 0) throw Object.assign(new Error('apiserver unavailable'), { statusCode: 503 });
        return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '10' }, items: [cm('a', '5')] };
      },
    });
    const events: Array<ResourceEvent<V1ConfigMap>> = [];
    informer.onEvent((e) => events.push(e));

    await informer.start();
    expect(informer.hasSynced()).to.equal(false);
    expect(informer.restarts()).to.equal(1);
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const next = clock.nextTimerAt();
      if (next === undefined) break;
      delays.push(next - clock.now());
      clock.step();
      await flush();
    }
    expect(delays).to.deep.equal([800, 1600, 3200]);
    expect(informer.hasSynced()).to.equal(true);
    expect(informer.restarts()).to.equal(3);
    expect(restarts).to.deep.equal(['configmaps.v1', 'configmaps.v1', 'configmaps.v1']);
    expect(informer.get('a', 'ns')?.metadata?.resourceVersion).to.equal('5');
    expect(watch.last().path).to.equal('/api/v1/namespaces/ns/configmaps');
    expect(watch.last().query).to.include({ resourceVersion: '10', labelSelector: 'app=chat' });

    // Watch events flow into the cache and out as events (updates carry the old object).
    watch.last().emit('MODIFIED', cm('a', '11', 'changed'));
    watch.last().emit('ADDED', cm('b', '12'));
    watch.last().emit('DELETED', cm('b', '13'));
    expect(events.map((e) => `${e.type}:${e.object.metadata?.name}`)).to.deep.equal(['add:a', 'update:a', 'add:b', 'delete:b']);
    expect(events[1]?.oldObject?.data?.['k']).to.equal('v');
    expect(informer.get('a', 'ns')?.data?.['k']).to.equal('changed');
    expect(informer.list('ns').map((o) => o.metadata?.name)).to.deep.equal(['a']);

    // A watch error after a good start restarts after the base delay again, resuming from the last resourceVersion.
    watch.last().end(Object.assign(new Error('connection reset'), { statusCode: 500 }));
    await flush();
    expect(informer.restarts()).to.equal(4);
    expect((clock.nextTimerAt() ?? 0) - clock.now()).to.equal(800);
    const watchesBefore = watch.calls.length;
    clock.step();
    await flush();
    expect(watch.calls.length).to.equal(watchesBefore + 1);
    expect(watch.last().query).to.include({ resourceVersion: '13' });

    await informer.stop();
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('caps the restart delay', async () => {
    const clock = new FakeClock();
    const informer = new ResourceInformer<V1ConfigMap>({
      kubeConfig: new KubeConfig(),
      resource: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
      watch: new ScriptedWatch(),
      clock,
      logger: silentLogger(),
      list: async () => {
        throw new Error('forbidden');
      },
    });
    await informer.start();
    let last = 0;
    for (let i = 0; i < 10; i++) {
      last = (clock.nextTimerAt() ?? 0) - clock.now();
      clock.step();
      await flush();
    }
    expect(last).to.equal(30_000);
    let timedOut = false;
    const waiting = informer.waitForSync(5_000).catch(() => (timedOut = true));
    clock.advance(5_000);
    await waiting;
    expect(timedOut).to.equal(true);
    await informer.stop();
  });
});

describe('controller/source (scripted informer)', () => {
  function podLike(name: string, rv: string, generation: number, owner?: string): V1ConfigMap & { metadata: { generation: number } } {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: 'ns',
        resourceVersion: rv,
        generation,
        ...(owner !== undefined
          ? { ownerReferences: [{ apiVersion: 'topology.foundation.dev/v1alpha1', kind: 'ClusterTopology', name: owner, uid: 'u', controller: true }] }
          : {}),
      },
    };
  }

  async function scripted(items: V1ConfigMap[]) {
    const watch = new ScriptedWatch();
    const informer = new ResourceInformer<V1ConfigMap>({
      kubeConfig: new KubeConfig(),
      resource: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
      watch,
      clock: new FakeClock(),
      logger: silentLogger(),
      list: async () => ({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '1' }, items }),
    });
    return { watch, informer };
  }

  it('maps events through predicates and the handler to keys; a late source replays the running informer cache', async () => {
    const { InformerSource, enqueueForOwner, enqueueMapped, generationChanged } = await import('../../../src/operator/controller/source.js');
    const { WorkQueue } = await import('../../../src/operator/controller/work-queue.js');
    const { informer, watch } = await scripted([podLike('m1', '1', 1, 'topo-a'), podLike('free', '1', 1)]);
    await informer.start();
    expect(informer.hasSynced()).to.equal(true);
    // Started after the informer: the cached objects are replayed as adds.
    const queue = new WorkQueue({ clock: new FakeClock() });
    const owners = new InformerSource({
      informer,
      handler: enqueueForOwner('topology.foundation.dev/v1alpha1', 'ClusterTopology'),
      predicates: [generationChanged()],
    });
    await owners.start(queue);
    expect(queue.len()).to.equal(1);
    expect(await queue.get()).to.equal('ns/topo-a');
    queue.done('ns/topo-a');
    // A metadata-only update (same generation) is filtered out; a spec change passes.
    watch.last().emit('MODIFIED', podLike('m1', '2', 1, 'topo-a'));
    expect(queue.len()).to.equal(0);
    watch.last().emit('MODIFIED', podLike('m1', '3', 2, 'topo-a'));
    expect(queue.len()).to.equal(1);
    // An injected mapping: one object → several requests, duplicates collapse in the queue.
    const queue2 = new WorkQueue({ clock: new FakeClock() });
    const mapped = new InformerSource({
      informer,
      handler: enqueueMapped((o: V1ConfigMap) => [
        { namespace: 'ns', name: 'all' },
        { namespace: 'ns', name: `for-${o.metadata?.name ?? ''}` },
      ]),
    });
    await mapped.start(queue2);
    expect(queue2.len()).to.equal(3, 'ns/all once, plus one per object');
    await mapped.stop();
    watch.last().emit('ADDED', podLike('late', '9', 1, 'topo-b'));
    expect(queue2.len()).to.equal(3, 'a stopped source delivers nothing');
    expect(queue.len()).to.equal(2, 'the shared informer still feeds the other source');
    await owners.stop();
    await informer.stop();
    const watches = watch.calls.length;
    watch.last().end(new Error('after the last user stopped'));
    await flush();
    expect(informer.restarts()).to.equal(0, 'stopped for good once the last user stopped');
    expect(watch.calls.length).to.equal(watches);
  });
  it('passes list items and watched objects through `transform` before caching and emitting them', async () => {
    const watch = new ScriptedWatch();
    const informer = new ResourceInformer<V1ConfigMap>({
      kubeConfig: new KubeConfig(),
      resource: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
      watch,
      logger: silentLogger(),
      transform: (o) => {
        delete o.data;
        return o;
      },
      list: async (): Promise<KubernetesListObject<V1ConfigMap>> => ({
        apiVersion: 'v1',
        kind: 'ConfigMapList',
        metadata: { resourceVersion: '10' },
        items: [cm('a', '5')],
      }),
    });
    const events: Array<ResourceEvent<V1ConfigMap>> = [];
    informer.onEvent((e) => events.push(e));
    await informer.start();
    expect(informer.get('a', 'ns')?.data).to.equal(undefined);
    watch.last().emit('ADDED', cm('b', '11'));
    watch.last().emit('BOOKMARK', { metadata: { resourceVersion: '12' } });
    await flush();
    expect(informer.get('b', 'ns')).to.deep.include({ metadata: { name: 'b', namespace: 'ns', resourceVersion: '11' } });
    expect(informer.get('b', 'ns')?.data).to.equal(undefined);
    expect(events.map((e) => [e.type, e.object.metadata?.name, e.object.data])).to.deep.equal([
      ['add', 'a', undefined],
      ['add', 'b', undefined],
    ]);
    await informer.stop();
  });
});
