// Loopback fleet of real sidecar processes (one per process, each on its own 127.x.y.z), driven
// through the Control API and used by test apps through the Overlay API: convergence, broadcast,
// all 12 ordered switches under traffic with zero loss and zero duplicates, abort, auth, bad
// input, and a quarter of the fleet killed mid-switch.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { SwitchOrchestrator } from '../../src/fleet/switch-orchestrator.js';
import { AppClient, TrafficGenerator, auditDeliveries, waitFor, type SentRecord } from '../../src/fleet/app-traffic.js';
import { ControlClient } from '../../src/rpc/control-client.js';
import { FROM_KEY, EPOCH_KEY, LINK_METHOD } from '../../src/sidecar/peer-frames.js';
import { tokenMetadata } from '../../src/rpc/auth.js';
import type { OverlayKind } from '../../src/overlays/types.js';

/** Members: the issue asks for at least 20 real sidecar processes. */
const FLEET_SIZE = Number(process.env.FLEET_SIZE ?? 20);
/** App messages per second per member during switches (half broadcast, half point-to-point). */
const RATE = 5;
/** Seed of the traffic generator; set SEED to reproduce a run's destinations. */
const SEED = Number(process.env.SEED ?? 42);

/** An Eulerian circuit of the complete directed graph on the four overlays: every ordered pair once. */
const SWITCH_CYCLE: OverlayKind[] = ['FullMesh', 'HyParView', 'ClientServer', 'PubSub', 'FullMesh', 'ClientServer', 'HyParView', 'PubSub', 'ClientServer', 'FullMesh', 'PubSub', 'HyParView', 'FullMesh'];

describe('sidecar loopback fleet (integration)', function () {
  this.timeout(600_000);
  let fleet: LoopbackFleet;
  let orch: SwitchOrchestrator;
  let apps: AppClient[] = [];
  let ids: string[] = [];
  let epoch = 0;

  const receivers = (subset: readonly AppClient[] = apps): Map<string, Map<string, number>> => new Map(subset.map((a) => [a.member, a.received]));
  const allSent = (subset: readonly AppClient[] = apps): SentRecord[] => subset.flatMap((a) => a.sent);
  const clearLedgers = (): void => {
    for (const a of apps) {
      a.sent.length = 0;
      a.received.clear();
      a.latencies.length = 0;
      a.sendErrors = 0;
    }
  };
  /** Audits after traffic stopped, waiting (with a deadline) for the last deliveries to land. */
  const settledAudit = async (subset: readonly AppClient[] = apps): Promise<ReturnType<typeof auditDeliveries>> => {
    await waitFor(() => auditDeliveries(allSent(subset), receivers(subset)).lost === 0, 10_000);
    return auditDeliveries(allSent(subset), receivers(subset));
  };

  before(async () => {
    fleet = await LoopbackFleet.start({ size: FLEET_SIZE, startTimeoutMs: 120_000 });
    orch = new SwitchOrchestrator(fleet.token);
    ids = fleet.ids();
    apps = fleet.members.map((m) => new AppClient(m.id, m.appAddress));
    await Promise.all(apps.map((a) => a.subscribe()));
  });

  // A test that failed mid-switch must not fail the next ones: abort whatever is left staged.
  beforeEach(async () => {
    if (orch === undefined) return;
    const live = fleet.alive().map((m) => m.id);
    const states = await orch.states(live);
    for (const s of states.values()) {
      epoch = Math.max(epoch, s.activeEpoch, s.stagedEpoch);
      if (s.stagedEpoch !== 0) await orch.abort(s.stagedEpoch, s.activeEpoch, [s.self]);
    }
  });

  after(async () => {
    for (const a of apps) a.close();
    orch?.close();
    await fleet?.stop();
  });

  it(`starts ${FLEET_SIZE} sidecar processes, each serving on its own loopback address`, async () => {
    expect(fleet.processes).to.have.length(FLEET_SIZE);
    expect(new Set(fleet.members.map((m) => m.host)).size).to.equal(FLEET_SIZE);
    const states = await orch.states(ids);
    expect(states.size).to.equal(FLEET_SIZE);
    for (const [id, s] of states) expect(s.self).to.equal(id);
  });

  for (const kind of ['FullMesh', 'HyParView', 'ClientServer', 'PubSub'] as const) {
    it(`${kind}: membership converges and a broadcast reaches every member`, async () => {
      epoch++;
      const report = await orch.switchTo({ epoch, kind, members: ids, seed: epoch });
      expect(report.ok, report.error).to.equal(true);
      const conv = await orch.waitConverged(epoch, ids, 10_000);
      expect(conv.ok).to.equal(true);
      // Control probe: every other member acknowledges.
      const probe = await orch.client(ids[0] as string).probe(epoch, 2, 5_000, ids);
      expect(probe.ok && probe.value.complete, probe.ok ? JSON.stringify(probe.value.probes[0]?.missing) : probe.message).to.equal(true);
      // App broadcast from one member reaches all the others, once.
      clearLedgers();
      const sent = await apps[3]!.send(undefined, Buffer.from('hello'));
      expect(sent).to.not.equal(undefined);
      const audit = await settledAudit();
      expect(audit.expectedDeliveries).to.equal(FLEET_SIZE - 1);
      expect(audit.lost, audit.lostExamples.join(', ')).to.equal(0);
      expect(audit.duplicated).to.equal(0);
      const members = await apps[5]!.members();
      expect(members.members.length).to.be.greaterThan(1);
    });
  }

  it('switches through all 12 ordered pairs of topologies under steady traffic with zero lost and zero duplicated', async () => {
    // Start from the cycle's first topology.
    epoch++;
    const boot = await orch.switchTo({ epoch, kind: SWITCH_CYCLE[0]!, members: ids, seed: epoch });
    expect(boot.ok, boot.error).to.equal(true);
    clearLedgers();
    const traffic = new TrafficGenerator(apps, { ratePerMember: RATE, seed: SEED });
    traffic.start();
    const pairs: string[] = [];
    /** When each switch started and ended, for the failure message. */
    const marks: string[] = [];
    const t0 = Date.now();
    try {
      for (let i = 1; i < SWITCH_CYCLE.length; i++) {
        epoch++;
        const started = Date.now() - t0;
        const report = await orch.switchTo({ epoch, kind: SWITCH_CYCLE[i]!, members: ids, seed: epoch, steps: [10, 50, 100] });
        marks.push(`e${epoch} ${SWITCH_CYCLE[i]} ${started}..${Date.now() - t0}ms (prepare ${report.timingsMs.prepare}, converge ${report.timingsMs.converge}, route ${report.timingsMs.route.join('/')}, commit ${report.timingsMs.commit})`);
        expect(report.ok, `${SWITCH_CYCLE[i - 1]} → ${SWITCH_CYCLE[i]}: ${report.error}`).to.equal(true);
        pairs.push(`${SWITCH_CYCLE[i - 1]}→${SWITCH_CYCLE[i]}`);
      }
    } finally {
      await traffic.stop();
    }
    expect(new Set(pairs).size).to.equal(12);
    const audit = await settledAudit();
    expect(allSent().length).to.be.greaterThan(FLEET_SIZE * 20);
    if (audit.lost > 0) {
      // Diagnostics: what the lost messages were, when they were sent, and what the sidecars counted.
      const byId = new Map(allSent().map((r) => [r.id, r]));
      const lost = audit.lostExamples.map((e) => {
        const r = byId.get(e.split(' ')[0] as string);
        return r === undefined ? e : `${e} [${r.to === undefined ? 'broadcast' : 'send'} at ${r.sentAt - t0}ms]`;
      });
      const metrics = await Promise.all(ids.map(async (m) => orch.client(m).getMetrics()));
      const counters = metrics.map((r, i) => (r.ok ? `${ids[i]}: malformed ${r.value.malformedTotal}, ${r.value.overlays.map((o) => `e${o.epoch} sendFail ${o.sendFailures} nLoss ${o.neighborLossEvents}`).join(' ')}` : `${ids[i]}: ${r.message}`));
      expect.fail(`lost ${audit.lost}: ${lost.join(', ')}\nswitches: ${marks.join('; ')}\n${counters.join('\n')}`);
    }
    expect(audit.duplicated, `duplicated: ${audit.duplicateExamples.join(', ')}`).to.equal(0);
    expect(apps.reduce((n, a) => n + a.sendErrors, 0)).to.equal(0);
    // Messages travelled over many epochs, not just one.
    expect(new Set(allSent().map((s) => s.epoch)).size).to.be.greaterThan(6);
  });

  it('an abort mid-switch leaves the old overlay intact and loses nothing', async () => {
    const active = epoch;
    clearLedgers();
    const traffic = new TrafficGenerator(apps, { ratePerMember: RATE, seed: SEED + 1 });
    traffic.start();
    const staged = ++epoch;
    try {
      const prepared = await orch.prepare({ epoch: staged, kind: 'HyParView', members: ids, seed: staged });
      expect(prepared.failed.size).to.equal(0);
      expect((await orch.waitConverged(staged, ids, 15_000)).ok).to.equal(true);
      const half = ids.slice(0, FLEET_SIZE / 2);
      expect((await orch.route(staged, half)).failed.size).to.equal(0);
      await waitFor(() => apps.slice(0, FLEET_SIZE / 2).every((a) => a.sent.some((s) => s.epoch === staged)), 10_000);
      const failed = await orch.abort(staged, active, ids);
      expect(failed.size).to.equal(0);
      // Repeating the abort is a no-op; committing the aborted epoch is refused.
      const again = await orch.client(ids[0]!).abort(staged);
      expect(again.ok && again.value.changed).to.equal(false);
      const commit = await orch.client(ids[0]!).commit(staged);
      expect(commit.ok).to.equal(false);
      if (!commit.ok) expect(commit.code).to.equal(grpc.status.FAILED_PRECONDITION);
      await waitFor(() => apps.every((a) => a.sent.slice(-2).every((s) => s.epoch === active)), 10_000);
    } finally {
      await traffic.stop();
    }
    const audit = await settledAudit();
    expect(audit.lost, audit.lostExamples.join(', ')).to.equal(0);
    expect(audit.duplicated).to.equal(0);
    expect(allSent().some((s) => s.epoch === staged)).to.equal(true);
    const states = await orch.states(ids);
    for (const s of states.values()) {
      expect(s.activeEpoch).to.equal(active);
      expect(s.stagedEpoch).to.equal(0);
      expect(s.routeEpoch).to.equal(active);
    }
    const probe = await orch.client(ids[1]!).probe(active, 1, 5_000, ids);
    expect(probe.ok && probe.value.complete).to.equal(true);
  });

  it('refuses an older epoch with FAILED_PRECONDITION and repeats idempotently', async () => {
    const c = orch.client(ids[2]!);
    const older = await c.prepare({ epoch: 1, topology: 'FULL_MESH', members: ids });
    expect(older.ok).to.equal(false);
    if (!older.ok) {
      expect(older.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(older.message).to.match(/older/);
    }
    const repeat = await c.commit(epoch - 1);
    expect(repeat.ok && !repeat.value.changed).to.equal(true);
  });

  it('refuses unauthenticated Peer and Control calls, counts them, and survives malformed frames', async () => {
    const target = ids[4]!;
    const noToken = new ControlClient(target, { token: undefined });
    const wrongToken = new ControlClient(target, { token: 'not-the-token' });
    try {
      const a = await noToken.getState();
      const b = await wrongToken.getState();
      expect(a.ok || b.ok).to.equal(false);
      if (!a.ok) expect(a.code).to.equal(grpc.status.UNAUTHENTICATED);
      if (!b.ok) expect(b.code).to.equal(grpc.status.UNAUTHENTICATED);
    } finally {
      noToken.close();
      wrongToken.close();
    }
    // A Peer link without a token.
    const raw = new grpc.Client(target, grpc.credentials.createInsecure());
    const peerStatus = (md: grpc.Metadata, payload: Buffer): Promise<grpc.status> =>
      new Promise((resolve) => {
        const call = raw.makeBidiStreamRequest<Buffer, Buffer>(LINK_METHOD, (b) => b, (b) => b, md, { deadline: Date.now() + 5000 });
        call.on('data', () => undefined);
        call.on('error', (e: grpc.ServiceError) => resolve(e.code));
        call.on('status', (s: grpc.StatusObject) => resolve(s.code));
        call.write(payload);
      });
    const unauth = new grpc.Metadata();
    unauth.set(FROM_KEY, '127.0.0.9:1');
    unauth.set(EPOCH_KEY, String(epoch));
    expect(await peerStatus(unauth, Buffer.alloc(0))).to.equal(grpc.status.UNAUTHENTICATED);
    // Authenticated, but garbage bytes: refused, counted, and the sidecar carries on.
    const md = tokenMetadata(fleet.token);
    md.set(FROM_KEY, '127.0.0.9:1');
    md.set(EPOCH_KEY, String(epoch));
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]);
    expect(await peerStatus(md, garbage)).to.not.equal(grpc.status.OK);
    expect(await peerStatus(md, Buffer.alloc(2 << 20, 1))).to.not.equal(grpc.status.OK);
    raw.close();
    const metrics = await orch.client(target).getMetrics();
    expect(metrics.ok).to.equal(true);
    if (metrics.ok) {
      expect(metrics.value.unauthenticatedTotal).to.be.at.least(3);
      expect(metrics.value.malformedTotal).to.be.at.least(2);
    }
    const text = await (await fetch(fleet.members[4]!.metricsUrl)).text();
    expect(text).to.match(/topology_sidecar_unauthenticated_requests_total\{pod="sidecar-4"\} [3-9]/);
    expect(text).to.match(/topology_sidecar_malformed_messages_total\{reason="(undecodable|oversized)"/);
    expect(text).to.match(/topology_sidecar_active_view_size\{/);
    expect(text).to.match(/topology_sidecar_process_resident_memory_bytes/);
  });

  it('keeps converging with 25% of the sidecars killed mid-switch', async () => {
    const from = epoch;
    const to = ++epoch;
    const killed = ids.filter((_, i) => i % 4 === 3);
    const survivors = ids.filter((m) => !killed.includes(m));
    const survivorApps = apps.filter((a) => survivors.includes(a.member));
    clearLedgers();
    const prepared = await orch.prepare({ epoch: to, kind: 'HyParView', members: ids, seed: to });
    expect(prepared.failed.size).to.equal(0);
    await Promise.all(killed.map((m) => fleet.kill(ids.indexOf(m))));
    expect(fleet.alive()).to.have.length(survivors.length);
    // The operator would now push the ready members; the switch continues on the survivors.
    const pushed = await orch.setMembers(survivors, survivors);
    expect(pushed.failed.size).to.equal(0);
    const report = await orch.switchTo({ epoch: to, kind: 'HyParView', members: ids, seed: to, steps: [25, 100], maxFailures: killed.length, convergeTimeoutMs: 30_000 });
    expect(report.ok, report.error).to.equal(true);
    expect(new Set(report.failedMembers)).to.deep.equal(new Set(killed));
    expect((await orch.waitConverged(to, survivors, 30_000)).ok).to.equal(true);
    // Dead members leave the survivors' active views.
    const clean = await waitFor(async () => {
      const states = await orch.states(survivors);
      return [...states.values()].every((s) => s.overlays.filter((o) => o.epoch === to).every((o) => o.activeView.every((p) => !killed.includes(p))));
    }, 30_000, 200);
    expect(clean).to.equal(true);
    const probe = await orch.client(survivors[0]!).probe(to, 2, 5_000, survivors);
    expect(probe.ok && probe.value.complete, probe.ok ? JSON.stringify(probe.value.probes.map((p) => p.missing)) : probe.message).to.equal(true);
    const traffic = new TrafficGenerator(survivorApps, { ratePerMember: RATE, seed: SEED + 2 });
    traffic.start();
    await waitFor(() => survivorApps.every((a) => a.sent.length >= 5), 10_000);
    await traffic.stop();
    const audit = await settledAudit(survivorApps);
    expect(audit.lost, audit.lostExamples.join(', ')).to.equal(0);
    expect(audit.duplicated).to.equal(0);
    expect(from).to.be.lessThan(to);
  });
});
