import { expect } from 'chai';
import { Registry } from 'prom-client';
import { Controller } from '../../../src/operator/controller/controller.js';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import { silentLogger } from '../../../src/operator/controller/log.js';
import { Manager, type ManagerExit } from '../../../src/operator/controller/manager.js';
import { ControllerMetrics } from '../../../src/operator/controller/metrics.js';
import { ChannelSource } from '../../../src/operator/controller/source.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

async function runUntil(clock: FakeClock, cond: () => boolean, what: string, maxSteps = 500): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await flush();
    if (cond()) return;
    if (!clock.step()) throw new Error(`no timers pending while waiting for: ${what}`);
  }
  throw new Error(`gave up waiting for: ${what}`);
}

describe('controller/manager (fake clock, in-memory lease)', () => {
  function replica(store: MemoryLeaseStore, clock: FakeClock, id: string, reconciled: string[]) {
    const source = new ChannelSource();
    const registry = new Registry();
    const controller = new Controller({
      name: `c-${id}`,
      clock,
      logger: silentLogger(),
      sources: [source],
      reconciler: async (req) => {
        reconciled.push(`${id}:${req.name}`);
        return {};
      },
    });
    const manager = new Manager({
      controllers: [controller],
      registry,
      metrics: new ControllerMetrics(registry),
      health: false,
      logger: silentLogger(),
      leaderElection: { store: store.forCandidate(id), identity: id, clock, random: () => 0.5 },
    });
    const exits: ManagerExit[] = [];
    void manager.done().then((e) => exits.push(e));
    return { manager, source, registry, exits };
  }

  it('runs controllers only on the leader; a graceful stop hands over to the standby', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const reconciled: string[] = [];
    const a = replica(store, clock, 'a', reconciled);
    const b = replica(store, clock, 'b', reconciled);
    await a.manager.start();
    await runUntil(clock, () => a.manager.isLeading(), 'a leads');
    await b.manager.start();
    a.source.trigger({ namespace: 'ns', name: 'x' });
    b.source.trigger({ namespace: 'ns', name: 'x' });
    await runUntil(clock, () => reconciled.includes('a:x'), 'a reconciles');
    for (let i = 0; i < 10; i++) {
      clock.step();
      await flush();
    }
    expect(b.manager.isLeading()).to.equal(false);
    expect(reconciled).to.deep.equal(['a:x'], 'the standby does not reconcile');
    expect(await a.registry.metrics()).to.match(/topology_operator_leader\{lease="ns\/lease"\} 1/);

    const stopping = a.manager.stop();
    await runUntil(clock, () => a.exits.length === 1, 'a stopped');
    await stopping;
    expect(a.exits).to.deep.equal([{ reason: 'stopped' }]);
    expect(store.record?.holderIdentity).to.equal('', 'released');
    await runUntil(clock, () => reconciled.includes('b:x'), 'b takes over and reconciles');
    expect(b.manager.isLeading()).to.equal(true);
    await b.manager.stop();
  });

  it('finishes with lost-leadership when the lease cannot be renewed, stopping its controllers', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const reconciled: string[] = [];
    const a = replica(store, clock, 'a', reconciled);
    await a.manager.start();
    await runUntil(clock, () => a.manager.isLeading(), 'a leads');
    store.cutOff.add('a');
    await runUntil(clock, () => a.exits.length === 1, 'a gives up');
    expect(a.exits).to.deep.equal([{ reason: 'lost-leadership' }]);
    expect(a.manager.isLeading()).to.equal(false);
    a.source.trigger({ namespace: 'ns', name: 'late' });
    await flush();
    expect(reconciled).to.deep.equal([]);
  });

  it('without leader election runs the controllers at once and serves readiness from the informers', async () => {
    const registry = new Registry();
    const reconciled: string[] = [];
    const source = new ChannelSource();
    let synced = false;
    const informer = { start: async () => {}, stop: async () => {}, hasSynced: () => synced };
    const controller = new Controller({ name: 'solo', logger: silentLogger(), sources: [source], reconciler: async (r) => void reconciled.push(r.name) });
    const manager = new Manager({ controllers: [controller], informers: [informer], registry, health: { port: 0, host: '127.0.0.1' }, logger: silentLogger() });
    await manager.start();
    const port = manager.healthPort();
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(503);
    synced = true;
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    source.trigger({ namespace: 'ns', name: 'now' });
    for (let i = 0; i < 100 && reconciled.length === 0; i++) await flush();
    expect(reconciled).to.deep.equal(['now']);
    await manager.stop();
    expect(await manager.done()).to.deep.equal({ reason: 'stopped' });
  });
});
