/**
 * App API v2, membership (issue #16 item 1), on a loopback fleet of four real sidecars driven by
 * the operator's real reconcile pass (FleetOperator):
 *
 * - tags come from the pod labels named in `spec.memberTags` merged with the sidecar's `--tag`
 *   flags (a flag wins), and show in `Members.member_details`, with the pod's name, and a
 *   sidecar's own flags in `GetState.tags`;
 * - `WatchMembers` streams one CURRENT per member, then SYNCED, then nothing across a live switch
 *   (FullMesh → HyParView: a switch is not a membership change), then LEFT and JOINED as a pod
 *   goes unready and comes back;
 * - the operator pushes member details level-based: a pass that changes nothing pushes nothing;
 * - `member_info` naming an address outside `members` is INVALID_ARGUMENT naming the field.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import type { FleetOperator } from '../../src/fleet/fleet-operator.js';
import { FleetControl } from '../../src/fleet/fleet-control.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import type { OverlayClient } from '../../src/rpc/generated/topology/v1/Overlay.js';
import type { MembersReply__Output } from '../../src/rpc/generated/topology/v1/MembersReply.js';
import { startAppApiFleet, stopAppApiFleet, unary, watchMembers, type AppApiFleet } from './support/app-api.js';
import { loadProto } from '../../src/rpc/proto.js';
import { tokenMetadata } from '../../src/rpc/auth.js';
import { MAX_WATCH_BACKLOG } from '../../src/sidecar/app-watch.js';

const SIZE = 4;
/** Deadline of every wait (ms). */
const WAIT_MS = 20_000;

describe('App API v2: membership and tags (integration)', function () {
  this.timeout(120_000);
  let f: AppApiFleet | undefined;
  let fleet: LoopbackFleet;
  let operator: FleetOperator;
  let control: FleetControl;
  let apps: OverlayClient[] = [];

  before(async () => {
    f = await startAppApiFleet({ size: SIZE, memberArgs: (i) => (i === 0 ? ['--tag', 'tier=gold', '--tag=zone=eu-1'] : []) }, 'FullMesh', {
      memberTags: ['tier', 'rack'],
      podLabels: (i) => ({ tier: 'silver', rack: `r${i}`, secret: 'not-a-tag' }),
    });
    ({ fleet, operator, apps } = f);
    control = new FleetControl(fleet.token);
  });

  after(async () => {
    control?.close();
    await stopAppApiFleet(f);
  });

  const members = async (i: number): Promise<MembersReply__Output> => {
    const r = await unary<object, MembersReply__Output>(apps[i]!.Members.bind(apps[i]!), {});
    if (!r.ok) throw new Error(`Members at ${i}: ${r.details}`);
    return r.value;
  };

  it('reports pod labels named in spec.memberTags and --tag flags (a flag wins) in member_details and GetState.tags', async () => {
    const ids = fleet.ids();
    await waitUntil(
      'member 3 to know member 0 with its tags',
      async () => (await members(3)).memberDetails.some((d) => d.address === ids[0] && d.tags['zone'] === 'eu-1'),
      WAIT_MS,
    );
    const reply = await members(3);
    expect(reply.memberDetails.map((d) => d.address)).to.deep.equal(reply.members);
    const byAddress = new Map(reply.memberDetails.map((d) => [d.address, d]));
    expect(byAddress.get(ids[0]!)?.tags).to.deep.equal({ tier: 'gold', zone: 'eu-1', rack: 'r0' });
    expect(byAddress.get(ids[0]!)?.pod).to.equal('member-0000');
    expect(byAddress.get(ids[2]!)?.tags).to.deep.equal({ tier: 'silver', rack: 'r2' });
    const state = (await control.states([ids[0]!])).get(ids[0]!);
    expect(state?.tags).to.deep.equal({ tier: 'gold', zone: 'eu-1' });
    expect(state?.memberInfoDigest).to.match(/^[0-9a-f]{16}$/);
    // Level-based: nothing changed, so a pass pushes nothing (the digest every sidecar reports is the operator's).
    const digests = new Set([...(await control.states(ids)).values()].map((s) => s.memberInfoDigest));
    expect(digests.size).to.equal(1);
    const before = [...(await control.states(ids)).values()].map((s) => s.memberInfoDigest);
    await operator.reconcile();
    expect([...(await control.states(ids)).values()].map((s) => s.memberInfoDigest)).to.deep.equal(before);
    // A list pushed without details (an older operator) leaves no digest; the operator, which reads
    // views only and compares digests, pushes the list again at its next pass.
    const bare = await control.client(ids[0]!).setMembers(ids);
    expect(bare.ok).to.equal(true);
    expect((await control.states([ids[0]!])).get(ids[0]!)?.memberInfoDigest).to.equal('');
    await operator.reconcile();
    expect((await control.states([ids[0]!])).get(ids[0]!)?.memberInfoDigest).to.equal(before[0]);
  });

  it('streams CURRENT per member then SYNCED, nothing across a live switch, then LEFT and JOINED', async () => {
    const ids = fleet.ids();
    const watch = watchMembers(apps[1]!);
    await waitUntil('SYNCED', () => watch.items.some((e) => e.type === 'MEMBERSHIP_EVENT_TYPE_SYNCED'), WAIT_MS);
    expect(watch.items.slice(0, SIZE).map((e) => e.type)).to.deep.equal(Array(SIZE).fill('MEMBERSHIP_EVENT_TYPE_CURRENT'));
    expect(watch.items[SIZE]?.type).to.equal('MEMBERSHIP_EVENT_TYPE_SYNCED');
    expect(watch.items[SIZE]?.member).to.equal(null);
    expect(new Set(watch.items.slice(0, SIZE).map((e) => e.member?.address))).to.deep.equal(new Set(ids));
    expect(watch.items.find((e) => e.member?.address === ids[0])?.member?.tags).to.deep.equal({ tier: 'gold', zone: 'eu-1', rack: 'r0' });

    const report = await operator.switchTo('HyParView');
    expect(report.ok, report.reason).to.equal(true);
    expect((await members(1)).epoch).to.equal(report.epoch);
    expect(watch.items.length, `events after SYNCED across the switch: ${JSON.stringify(watch.items.slice(SIZE + 1))}`).to.equal(SIZE + 1);

    operator.setPodReady(ids[3]!, false);
    await operator.reconcile();
    await waitUntil('LEFT', () => watch.items.length > SIZE + 1, WAIT_MS);
    expect(watch.items[SIZE + 1]?.type).to.equal('MEMBERSHIP_EVENT_TYPE_LEFT');
    expect(watch.items[SIZE + 1]?.member?.address).to.equal(ids[3]);
    expect(watch.items[SIZE + 1]?.member?.pod).to.equal('member-0003');
    operator.setPodReady(ids[3]!, true);
    await operator.reconcile();
    await waitUntil('JOINED', () => watch.items.length > SIZE + 2, WAIT_MS);
    expect(watch.items[SIZE + 2]?.type).to.equal('MEMBERSHIP_EVENT_TYPE_JOINED');
    expect(watch.items[SIZE + 2]?.member).to.deep.include({ address: ids[3], pod: 'member-0003' });
    expect(watch.items[SIZE + 2]?.member?.tags).to.deep.equal({ tier: 'silver', rack: 'r3' });
    expect(watch.items[SIZE + 2]!.atMs).to.be.greaterThan(0);
    watch.stream.cancel();
  });

  it('ends a watcher that fell more than MAX_WATCH_BACKLOG changes behind with RESOURCE_EXHAUSTED; a new watch starts from the current state', async () => {
    const ids = fleet.ids();
    const Ctor = loadProto().topology.v1.Control;
    const client = new Ctor(ids[1]!, grpc.credentials.createInsecure());
    const watch = watchMembers(apps[1]!);
    try {
      await waitUntil('SYNCED', () => watch.items.some((e) => e.type === 'MEMBERSHIP_EVENT_TYPE_SYNCED'), WAIT_MS);
      watch.stream.pause();
      // Each push changes member 0's tags: one UPDATED each (~300 bytes), written until gRPC's
      // window (64 KiB) and the stream's buffer are full, then queued: 3 × the limit is plenty.
      // (The paused client learns of the end only once it reads again.)
      let pushes = 0;
      for (; pushes < 3 * MAX_WATCH_BACKLOG; pushes++) {
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          client.SetMembers(
            { members: ids, memberInfo: [{ address: ids[0], pod: 'member-0000', tags: { n: String(pushes), padding: 'x'.repeat(200) } }] },
            tokenMetadata(fleet.token),
            (e) => resolve(e),
          ),
        );
        expect(err).to.equal(null);
        if (pushes > MAX_WATCH_BACKLOG && pushes % 64 === 0) await new Promise((r) => setImmediate(r));
      }
      watch.stream.resume();
      await watch.done;
      expect(watch.ended?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(watch.ended?.details).to.match(
        new RegExp(`^WatchMembers: this watcher fell ${MAX_WATCH_BACKLOG + 1} changes behind, the limit is ${MAX_WATCH_BACKLOG}; watch again`),
      );
      const again = watchMembers(apps[1]!);
      await waitUntil('SYNCED again', () => again.items.some((e) => e.type === 'MEMBERSHIP_EVENT_TYPE_SYNCED'), WAIT_MS);
      expect(again.items.find((e) => e.member?.address === ids[0])?.member?.tags['n']).to.equal(String(pushes - 1));
      again.stream.cancel();
    } finally {
      watch.stream.cancel();
      client.close();
      // The operator's next pass sees the digest differ and pushes the real details back.
      await operator.reconcile();
    }
  });

  it('refuses member_info naming an address outside members with INVALID_ARGUMENT naming the field', async () => {
    const ids = fleet.ids();
    const Ctor = loadProto().topology.v1.Control;
    const client = new Ctor(ids[2]!, grpc.credentials.createInsecure());
    try {
      const r = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.SetMembers({ members: ids, memberInfo: [{ address: '127.0.0.1:1', pod: 'x', tags: {} }] }, tokenMetadata(fleet.token), (err) => resolve(err)),
      );
      expect(r?.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(r?.details).to.contain('SetMembers.member_info[0].address');
      const bad = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.SetMembers({ members: ids, memberInfo: [{ address: ids[0], pod: 'x', tags: { 'no spaces': 'v' } }] }, tokenMetadata(fleet.token), (err) =>
          resolve(err),
        ),
      );
      expect(bad?.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(bad?.details).to.contain('is not a label key');
    } finally {
      client.close();
    }
  });
});
