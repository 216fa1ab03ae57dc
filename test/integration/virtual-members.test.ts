// The virtual-member load generator of bench:operator's `members` scenario (issue #15 item 6),
// over real gRPC on loopback: two host processes serve Control for 40 members; the real Control
// client drives them as the operator does. What it must get right to stand in for sidecars: the
// switch engine's answers, the token, the fencing rule, views the operator's checks accept,
// probes that reach exactly the members running an epoch (across processes), and counts.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { ControlClient } from '../../src/rpc/control-client.js';
import { connected } from '../../src/overlays/components.js';
import { fleetHost } from '../../src/fleet/loopback-fleet.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import { VirtualMemberHosts } from '../../bench/support/virtual-members/virtual-hosts.js';
import { DEFAULT_ACTIVE_VIEW_SIZE, fullCollection, syntheticHealth } from '../../bench/support/virtual-members/synthetic-overlay.js';

const MEMBERS = 40;
const TOKEN = 'virtual-members-test-token';
/** A block no fleet (100-249) or local cluster (small N) takes; the bench uses 251. */
const BLOCK = 252;
const PORT = 7070;

describe('virtual members: the Control API of many members from two processes (integration)', function () {
  this.timeout(120_000);
  const addresses = Array.from({ length: MEMBERS }, (_, i) => `${fleetHost(BLOCK, i)}:${PORT}`);
  let hosts: VirtualMemberHosts;
  let clients: ControlClient[] = [];

  before(async () => {
    hosts = await VirtualMemberHosts.start(
      addresses.map((address, i) => ({ address, pod: `vm-${i}` })),
      2,
      TOKEN,
    );
    clients = addresses.map((a) => new ControlClient(a, { token: TOKEN }));
  });

  after(async () => {
    for (const c of clients) c.close();
    await hosts?.stop();
  });

  it('refuses a call without the token with UNAUTHENTICATED, and counts it', async () => {
    const stranger = new ControlClient(addresses[0]!, { token: 'wrong' });
    const r = await stranger.getState();
    stranger.close();
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.code).to.equal(grpc.status.UNAUTHENTICATED);
    expect((await hosts.counts()).refused).to.be.at.least(1);
  });

  it('forms HyParView through Prepare/Route/Commit: connected views within the bound, one answer per call', async () => {
    const half = clients.slice(0, MEMBERS / 2);
    for (const c of clients) {
      const r = await c.prepare({ epoch: 1, topology: 'HYPAR_VIEW', params: {}, members: addresses, contacts: [], seed: 1 });
      expect(r.ok, r.ok ? '' : r.message).to.equal(true);
      if (r.ok) expect(r.value.stagedEpoch).to.equal(1);
    }
    // Preparing again is idempotent; an older epoch after a newer one is refused, as a sidecar refuses it.
    const again = await clients[0]!.prepare({ epoch: 1, topology: 'HYPAR_VIEW', params: {}, members: addresses, contacts: [], seed: 1 });
    expect(again.ok && again.value.changed).to.equal(false);
    const commitEarly = await clients[0]!.commit(2);
    expect(commitEarly.ok).to.equal(false);
    if (!commitEarly.ok) expect(commitEarly.code).to.equal(grpc.status.FAILED_PRECONDITION);
    for (const c of half) expect((await c.route(1)).ok).to.equal(true);
    for (const c of clients) expect((await c.commit(1)).ok).to.equal(true);

    const views = new Map<string, string[]>();
    for (const c of clients) {
      const s = await c.getState();
      expect(s.ok).to.equal(true);
      if (!s.ok) continue;
      expect(s.value.activeEpoch).to.equal(1);
      const o = s.value.overlays.find((x) => x.epoch === 1);
      expect(o?.role).to.equal('active');
      expect(o!.activeView.length).to.be.within(1, DEFAULT_ACTIVE_VIEW_SIZE);
      views.set(c.address, o!.activeView);
    }
    expect(connected(addresses, views)).to.equal(true);
  });

  it('probes reach exactly the members running the epoch, on either host process', async () => {
    // Epoch 2 staged on the even members only (both processes hold some: members are dealt round-robin).
    const even = clients.filter((_, i) => i % 2 === 0);
    for (const c of even) expect((await c.prepare({ epoch: 2, topology: 'PUB_SUB', params: {}, members: addresses, contacts: [], seed: 2 })).ok).to.equal(true);
    const evenAddresses = even.map((c) => c.address);
    const oddAddresses = addresses.filter((a) => !evenAddresses.includes(a));
    // Live epochs travel between processes through the parent: wait until the far host has heard.
    await waitUntil(
      'every even member is known to run epoch 2 from member 0',
      async () => {
        const r = await clients[0]!.probe(2, 1, 1000, evenAddresses);
        return r.ok && r.value.complete;
      },
      10_000,
      20,
    );
    const r = await clients[0]!.probe(2, 2, 1000, addresses);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.value.complete).to.equal(false);
    expect(r.value.probes).to.have.length(2);
    for (const p of r.value.probes) {
      expect([...p.ackedBy].sort()).to.deep.equal(evenAddresses.filter((a) => a !== addresses[0]).sort());
      expect([...p.missing].sort()).to.deep.equal([...oddAddresses].sort());
    }
    // A member that does not run the epoch cannot probe it.
    const odd = await clients[1]!.probe(2, 1, 1000, addresses);
    expect(odd.ok).to.equal(false);
    if (!odd.ok) expect(odd.code).to.equal(grpc.status.FAILED_PRECONDITION);
    // Aborted, it drains and is gone from the probe's view in about a second.
    for (const c of even) expect((await c.abort(2)).ok).to.equal(true);
    await waitUntil(
      'epoch 2 drained on every even member',
      async () => {
        const s = await clients[0]!.getState(true);
        return s.ok && s.value.overlays.every((o) => o.epoch !== 2);
      },
      10_000,
      50,
    );
  });

  it('reports seeded health figures whose full collection the bench compares its sample with', async () => {
    const m = await clients[3]!.getMetrics();
    expect(m.ok).to.equal(true);
    if (!m.ok) return;
    const active = m.value.overlays.find((o) => o.role === 'active');
    const seeded = syntheticHealth(addresses[3]!);
    expect(active?.deliveryLatencyP50Ms).to.equal(seeded.deliveryLatencyP50Ms);
    expect(active?.deliveryLatencyP99Ms).to.equal(seeded.deliveryLatencyP99Ms);
    expect(seeded.deliveryLatencyP99Ms).to.be.greaterThan(seeded.deliveryLatencyP50Ms);
    const full = fullCollection(addresses, () => 4);
    expect(full.connectionsPerNode).to.equal(4);
    expect(full.latencyP99Ms).to.equal(Math.max(...addresses.map((a) => syntheticHealth(a).deliveryLatencyP99Ms)));
  });

  it('obeys the fencing rule: a call of an older leader generation is refused once a newer one was seen', async () => {
    const fenced = (generation: number): ControlClient =>
      new ControlClient(addresses[5]!, { token: TOKEN, authorize: () => ({ fencing: { generation, holder: `leader-${generation}` } }) });
    const newer = fenced(7);
    const older = fenced(6);
    expect((await newer.route(1)).ok).to.equal(true);
    const refused = await older.route(1);
    newer.close();
    older.close();
    expect(refused.ok).to.equal(false);
    if (!refused.ok) expect(refused.code).to.equal(grpc.status.FAILED_PRECONDITION);
  });

  it('counts calls by method and the bytes they carried', async () => {
    const c = await hosts.counts();
    expect(c.calls['Prepare']).to.be.at.least(MEMBERS + MEMBERS / 2);
    expect(c.calls['Commit']).to.be.at.least(MEMBERS);
    expect(c.requestBytes).to.be.greaterThan(MEMBERS * addresses.join('').length);
    expect(c.responseBytes).to.be.greaterThan(0);
    expect(c.hostRssBytes).to.have.length(2);
  });
});
