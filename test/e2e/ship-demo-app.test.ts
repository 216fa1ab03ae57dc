/**
 * The demo app (src/demo/app.ts) against real sidecars: a loopback fleet of 4 sidecar processes
 * forms a FullMesh (switched by the operator's own reconcile pass), one DemoApp per sidecar sends
 * heartbeats through the Overlay API, and every app hears every other one; a live switch to
 * HyParView shows up in the apps only as a new epoch, with no duplicate. `/stats` serves the
 * same numbers over HTTP. No Kubernetes involved (the local cluster runs the same app as image
 * topology-demo in `npm run demo`).
 */
import { expect } from 'chai';
import { DemoApp } from '../../src/demo/app.js';
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { FleetOperator } from '../../src/fleet/fleet-operator.js';
import { waitFor } from './support/wait.js';

const SIZE = 4;
const TOKEN = 'ship-demo-token';

describe('e2e: the demo app on real sidecars', function () {
  this.timeout(180_000);
  let fleet: LoopbackFleet;
  let orch: FleetOperator;
  const apps: DemoApp[] = [];
  const ports: number[] = [];

  before(async () => {
    fleet = await LoopbackFleet.start({ size: SIZE, token: TOKEN });
    orch = new FleetOperator(fleet.ids(), { token: TOKEN, rollout: { steps: [50, 100], stepVerificationSeconds: 1, progressDeadlineSeconds: 120 } });
    const boot = await orch.switchTo('FullMesh');
    expect(boot.ok, boot.reason).to.equal(true);
    for (const m of fleet.members) {
      const app = new DemoApp({
        name: m.pod,
        appAddress: m.appAddress,
        statsAddress: `${m.host}:0`,
        heartbeatMs: 200,
        membersEveryMs: 500,
        logEveryMs: 60_000,
        log: () => undefined,
      });
      apps.push(app);
      ports.push(await app.start());
    }
  });

  after(async () => {
    for (const a of apps) await a.stop();
    orch?.close();
    await fleet?.stop();
  });

  const heardFromAll = (epoch: number) => () =>
    apps.every((a) => Object.keys(a.stats.byOrigin).length === SIZE - 1 && (a.stats.byEpoch[String(epoch)] ?? 0) > 0);

  it("every app hears every other app's heartbeats over FullMesh and lists the members", async () => {
    await waitFor('heartbeats from every other member on epoch 1', heardFromAll(1), { timeoutMs: 30_000 });
    await waitFor('member lists', () => apps.every((a) => a.stats.members.length === SIZE), { timeoutMs: 10_000 });
    for (const a of apps) {
      expect(a.stats.connected).to.equal(true);
      expect(a.stats.duplicates).to.equal(0);
      expect(a.stats.byOrigin).to.not.have.property(a.stats.name);
    }
  });

  it('keeps receiving across a live switch to HyParView: a new epoch, no duplicates', async () => {
    const report = await orch.switchTo('HyParView');
    expect(report.ok, report.reason).to.equal(true);
    expect(report.epoch).to.equal(2);
    await waitFor('heartbeats on epoch 2', heardFromAll(2), { timeoutMs: 30_000 });
    await waitFor('members from epoch 2', () => apps.every((a) => a.stats.membersEpoch === 2), { timeoutMs: 10_000 });
    for (const a of apps) {
      expect(a.stats.duplicates, a.stats.name).to.equal(0);
      expect(a.stats.sent).to.be.greaterThan(0);
    }
  });

  it('serves the stats as JSON on GET /stats', async () => {
    const m = fleet.members[0]!;
    const res = await fetch(`http://${m.host}:${ports[0]}/stats`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { name: string; received: number; byEpoch: Record<string, number> };
    expect(body.name).to.equal(m.pod);
    expect(body.received).to.be.greaterThan(0);
    expect(Object.keys(body.byEpoch)).to.include.members(['1', '2']);
    expect((await fetch(`http://${m.host}:${ports[0]}/nope`)).status).to.equal(404);
  });
});
