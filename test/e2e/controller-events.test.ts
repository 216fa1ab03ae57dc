/**
 * The event recorder against a real API server: its Events show in `kubectl describe` of the
 * regarded object, and repeats are aggregated into one Event's series instead of new Events.
 */
import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { EventRecorder, REPORTING_CONTROLLER } from '../../src/operator/controller/event-recorder.js';
import { silentLogger } from '../../src/operator/controller/log.js';
import { createTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { waitFor } from './support/wait.js';

interface EventJson {
  reason?: string;
  note?: string;
  type?: string;
  reportingController?: string;
  reportingInstance?: string;
  regarding?: { uid?: string; kind?: string; name?: string; apiVersion?: string; resourceVersion?: string };
  series?: { count?: number };
}

describe('e2e controller/event-recorder', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('ctl-events');
  });

  async function events(): Promise<EventJson[]> {
    const r = await cluster.kubectl(['get', 'events.v1.events.k8s.io', '-n', ns, '-o', 'json']);
    return (JSON.parse(r.stdout) as { items: EventJson[] }).items;
  }

  it('writes events that kubectl describe shows, aggregating repeats into a series', async () => {
    await cluster.kubectl(['create', 'configmap', 'storyteller', '-n', ns, '--from-literal=k=v']);
    const kc = cluster.kubeConfig();
    const cm = await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'storyteller', namespace: ns });
    // Objects read through typed clients lack apiVersion/kind; the caller fills them in.
    const regarding = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
    const recorder = new EventRecorder({ kubeConfig: kc, reportingInstance: 'operator-pod-0', logger: silentLogger() });

    await recorder.normal(regarding, 'SwitchStarted', 'Prepare', 'switching FullMesh -> HyParView (epoch 2)');
    await recorder.normal(regarding, 'SwitchStarted', 'Prepare', 'switching FullMesh -> HyParView (epoch 2)');
    await recorder.normal(regarding, 'SwitchStarted', 'Prepare', 'switching FullMesh -> HyParView (epoch 2)');
    await recorder.warning(regarding, 'SwitchHeldBack', 'Evaluate', 'cooldown: 120 s left');

    const items = await waitFor('two events', async () => {
      const list = await events();
      return list.length === 2 ? list : undefined;
    });
    const started = items.find((e) => e.reason === 'SwitchStarted');
    expect(started?.series?.count).to.equal(3, 'three identical events → one Event with series.count 3');
    expect(started?.reportingController).to.equal(REPORTING_CONTROLLER);
    expect(started?.reportingInstance).to.equal('operator-pod-0');
    expect(started?.regarding).to.include({ uid: cm.metadata?.uid, kind: 'ConfigMap', name: 'storyteller', apiVersion: 'v1' });
    expect(started?.regarding?.resourceVersion).to.equal(cm.metadata?.resourceVersion);
    const held = items.find((e) => e.reason === 'SwitchHeldBack');
    expect(held?.type).to.equal('Warning');
    expect(held?.series).to.equal(undefined);

    const describe = await cluster.kubectl(['describe', 'configmap', 'storyteller', '-n', ns]);
    expect(describe.stdout).to.match(/Events:/);
    expect(describe.stdout).to.match(/Normal\s+SwitchStarted\s+.*switching FullMesh -> HyParView \(epoch 2\)/);
    expect(describe.stdout).to.match(/Warning\s+SwitchHeldBack\s+.*cooldown: 120 s left/);
  });

  it('starts a new Event when the aggregated one was deleted, and never throws on failure', async () => {
    await cluster.kubectl(['create', 'configmap', 'phoenix', '-n', ns, '--from-literal=k=v']);
    const kc = cluster.kubeConfig();
    const cm = await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'phoenix', namespace: ns });
    const regarding = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
    const recorder = new EventRecorder({ kubeConfig: kc, reportingInstance: 'operator-pod-0', logger: silentLogger() });
    await recorder.normal(regarding, 'Probe', 'Check', 'once');
    const first = await waitFor('the event', async () => (await events()).find((e) => e.reason === 'Probe'));
    expect(first.series).to.equal(undefined);
    await cluster.kubectl(['delete', 'events.v1.events.k8s.io', '-n', ns, '--field-selector', 'reason=Probe']);
    await recorder.normal(regarding, 'Probe', 'Check', 'once');
    const again = await waitFor('a fresh event', async () => (await events()).find((e) => e.reason === 'Probe'));
    expect(again.series).to.equal(undefined, 'a new Event, not a series on a deleted one');
    // A namespace that does not exist: the write fails, the recorder logs and returns.
    await recorder.normal({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', namespace: 'no-such-namespace-xyz', uid: 'u' }, 'Probe', 'Check', 'lost');
  });
});

describe('e2e controller/event-recorder spam filter', function () {
  this.timeout(120_000);

  it('drops new Events about one object beyond the burst (different notes), keeps series bumps', async () => {
    const cluster = await getCluster();
    const ns = await createTestNamespace('ctl-spam');
    await cluster.kubectl(['create', 'configmap', 'noisy', '-n', ns, '--from-literal=k=v']);
    const kc = cluster.kubeConfig();
    const cm = await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'noisy', namespace: ns });
    const regarding = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
    const recorder = new EventRecorder({ kubeConfig: kc, logger: silentLogger(), spamBurst: 5 });
    for (let i = 0; i < 8; i++) await recorder.normal(regarding, 'Tick', 'Count', `tick ${i}`);
    await recorder.normal(regarding, 'Tick', 'Count', 'tick 0'); // a repeat: series bump, not limited
    const r = await cluster.kubectl(['get', 'events.v1.events.k8s.io', '-n', ns, '-o', 'json']);
    const items = (JSON.parse(r.stdout) as { items: EventJson[] }).items;
    expect(items.map((e) => e.note).sort()).to.deep.equal(['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4']);
    expect(items.find((e) => e.note === 'tick 0')?.series?.count).to.equal(2);
  });
});
