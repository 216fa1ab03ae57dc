// Fencing of Control calls on three real sidecar processes over gRPC (src/sidecar/fencing.ts,
// src/rpc/fencing.ts): two "leaders" with generations 1 and 2 call the same members the way two
// operator replicas would when their leaderships overlap. Checks: unfenced calls are obeyed until
// a leader has acted; once the newer leader has merely read a member, the older one's switch calls
// are refused with FAILED_PRECONDITION naming both generations, its reads still served; GetState
// reports the obeyed token; refusals are counted (GetMetrics and /metrics). And the client side
// (src/rpc/control-client.ts): a call without authority is never sent, a state-changing call's
// deadline ends with the leadership while a Probe's does not, and aborting the leadership cancels
// a call in flight.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { ControlClient, type CallAuthority, type CallResult } from '../../src/rpc/control-client.js';
import type { FencingToken } from '../../src/rpc/fencing.js';

const A: FencingToken = { generation: 1, holder: 'op-a_00000001' };
const B: FencingToken = { generation: 2, holder: 'op-b_00000002' };

describe('fencing of Control calls on real sidecars (integration)', function () {
  this.timeout(120_000);
  let fleet: LoopbackFleet | undefined;
  let ids: string[] = [];
  const clients: ControlClient[] = [];

  /** A client of `member` whose every call is made with `authority` (a token, a deadline cap, a signal). */
  const client = (member: string, authority: CallAuthority | { refused: string } = {}): ControlClient => {
    const c = new ControlClient(member, { token: fleet!.token, timeoutMs: 10_000, authorize: () => authority });
    clients.push(c);
    return c;
  };
  const all = async <T>(authority: CallAuthority | { refused: string }, f: (c: ControlClient) => Promise<CallResult<T>>): Promise<CallResult<T>[]> =>
    Promise.all(ids.map((id) => f(client(id, authority))));
  const okAll = <T>(results: CallResult<T>[], what: string): T[] =>
    results.map((r, i) => {
      if (!r.ok) throw new Error(`${what} on ${ids[i]}: ${r.message}`);
      return r.value;
    });

  before(async () => {
    fleet = await LoopbackFleet.start({ size: 3 });
    ids = fleet.ids();
  });

  after(async () => {
    for (const c of clients) c.close();
    await fleet?.stop();
  });

  it('a deposed leader is refused everywhere its successor has read, naming both generations; reads stay served; refusals are counted', async () => {
    // Before any leader: unfenced calls (a single replica without leader election, the fleet's engine) are obeyed.
    okAll(await all({}, (c) => c.prepare({ epoch: 1, topology: 'FULL_MESH', members: ids, seed: 1 })), 'unfenced Prepare 1');
    // Leader A's first call fences out unfenced callers.
    okAll(await all({ fencing: A }, (c) => c.route(1)), 'A Route 1');
    okAll(await all({ fencing: A }, (c) => c.commit(1)), 'A Commit 1');
    const unfenced = await client(ids[0]!).setMembers(ids);
    expect(unfenced.ok).to.equal(false);
    if (!unfenced.ok) {
      expect(unfenced.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(unfenced.message).to.match(/^SetMembers refused: fenced: call carries no x-topology-fencing token .* obeys generation 1 \(holder op-a_00000001\)/);
    }
    for (const s of okAll(await all({}, (c) => c.getState()), 'unfenced GetState')) {
      expect(s).to.include({ fencingGeneration: 1, fencingHolder: A.holder, activeEpoch: 1 });
    }

    // Leader B takes over: its first observation (GetState) is enough to fence A out.
    for (const s of okAll(await all({ fencing: B }, (c) => c.getState()), 'B GetState')) {
      expect(s).to.include({ fencingGeneration: 2, fencingHolder: B.holder });
    }
    const late = await all({ fencing: A }, (c) => c.prepare({ epoch: 2, topology: 'HYPAR_VIEW', members: ids, seed: 2 }));
    for (const r of late) {
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.code).to.equal(grpc.status.FAILED_PRECONDITION);
        expect(r.message).to.equal(
          'Prepare refused: fenced: generation 1 (holder op-a_00000001) is older than generation 2 (holder op-b_00000002), which this sidecar obeys',
        );
      }
    }
    okAll(await all({ fencing: B }, (c) => c.prepare({ epoch: 2, topology: 'HYPAR_VIEW', members: ids, seed: 2 })), 'B Prepare 2');
    okAll(await all({ fencing: B }, (c) => c.route(2)), 'B Route 2');
    // A wakes up and rolls back what it believes is its own switch: refused on every member.
    for (const r of await all({ fencing: A }, (c) => c.abort(2))) expect(r.ok ? 'served' : r.code).to.equal(grpc.status.FAILED_PRECONDITION);
    okAll(await all({ fencing: B }, (c) => c.commit(2)), 'B Commit 2');
    // A may still read; every member is on B's epoch.
    for (const s of okAll(await all({ fencing: A }, (c) => c.getState()), 'A GetState')) {
      expect(s).to.include({ activeEpoch: 2, stagedEpoch: 0, routeEpoch: 2, fencingGeneration: 2, fencingHolder: B.holder });
    }

    // Malformed metadata is INVALID_ARGUMENT naming the key and the limit, and counted.
    const bad = await client(ids[1]!, { fencing: { generation: -1, holder: 'x' } }).getState();
    expect(bad.ok).to.equal(false);
    if (!bad.ok) {
      expect(bad.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(bad.message).to.match(/x-topology-fencing generation must be a decimal integer 0\.\.2147483647, got "-1"/);
    }
    // Refusals per member: Prepare and Abort of A on each, the unfenced SetMembers on the first, the malformed call on the second.
    const refused = okAll(await all({ fencing: B }, (c) => c.getMetrics()), 'GetMetrics').map((m) => m.fencingRefusedTotal);
    expect(refused).to.deep.equal([3, 3, 2]);
    const text = await (await fetch(fleet!.members[0]!.metricsUrl)).text();
    expect(text).to.match(/topology_sidecar_fencing_refused_total\{reason="older-generation",pod="[^"]+"\} 2/);
    expect(text).to.match(/topology_sidecar_fencing_refused_total\{reason="unfenced",pod="[^"]+"\} 1/);
  });

  it('a call without authority is never sent; a switch call ends with the leadership, a Probe does not; losing it cancels calls in flight', async () => {
    const member = ids[0]!;
    const before = await client(member, { fencing: B }).getMetrics();
    const notSent = await client(member, { refused: 'not the leader' }).commit(3);
    expect(notSent).to.deep.equal({ ok: false, code: grpc.status.CANCELLED, message: 'Commit not sent: not the leader' });
    const after = await client(member, { fencing: B }).getMetrics();
    expect(after.ok && before.ok && after.value.fencingRefusedTotal).to.equal(before.ok && before.value.fencingRefusedTotal, 'nothing reached the sidecar');

    // No leadership left: a state-changing call's deadline is already over.
    const expired = await client(member, { fencing: B, remainingMs: 0 }).setMembers(ids);
    expect(expired.ok ? 'served' : expired.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    // A Probe changes no state: it keeps its own deadline and completes.
    const probe = await client(member, { fencing: B, remainingMs: 0 }).probe(2, 1, 5_000, ids.slice(1));
    expect(probe.ok && probe.value.complete, probe.ok ? 'incomplete' : probe.message).to.equal(true);

    // A Probe that waits for a member that never answers, cut when the leadership is lost.
    const lost = new AbortController();
    const started = Date.now();
    const pending = client(member, { fencing: B, signal: lost.signal }).probe(2, 1, 8_000, [...ids.slice(1), '127.0.0.1:1']);
    setTimeout(() => lost.abort(), 200);
    const cut = await pending;
    expect(cut.ok ? 'served' : cut.code).to.equal(grpc.status.CANCELLED);
    expect(Date.now() - started).to.be.below(4_000, 'cancelled, not waited out');
    const aborted = await client(member, { fencing: B, signal: lost.signal }).route(2);
    expect(aborted).to.deep.equal({ ok: false, code: grpc.status.CANCELLED, message: 'Route not sent: cancelled before it was sent' });
  });
});
