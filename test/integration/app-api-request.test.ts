/**
 * App API v2, request/response and queries (issue #16 item 3), on a loopback fleet of five real
 * sidecars (FullMesh) whose apps answer requests (`<payload>@<index>`), except:
 *
 * - member 1 subscribes to topic `chat` only, member 2 to `ping` only, member 3 to everything
 *   (and carries `--tag role=db`, the others `role=web`), member 4 has no app at all;
 * - a request whose payload is `silent` is never answered (the app keeps its id).
 *
 * Checked: a Request's answer; NOT_FOUND / INVALID_ARGUMENT for bad destinations and
 * timeout_ms; FAILED_PRECONDITION when no app is subscribed; DEADLINE_EXCEEDED, and a late
 * Respond refused with DEADLINE_EXCEEDED; Respond to an unknown or answered id NOT_FOUND; Query
 * by topic and by tags, ending as soon as every targeted member answered or declined; a member
 * that leaves mid-request gives UNAVAILABLE; more than MAX_PENDING_REQUESTS at once
 * RESOURCE_EXHAUSTED naming the limit.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import type { FleetOperator } from '../../src/fleet/fleet-operator.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import type { OverlayClient } from '../../src/rpc/generated/topology/v1/Overlay.js';
import type { ReplyMessage__Output } from '../../src/rpc/generated/topology/v1/ReplyMessage.js';
import type { RespondReply__Output } from '../../src/rpc/generated/topology/v1/RespondReply.js';
import type { Delivery__Output } from '../../src/rpc/generated/topology/v1/Delivery.js';
import { MAX_PENDING_REQUESTS } from '../../src/member/request-table.js';
import { query, startAppApiFleet, stopAppApiFleet, subscribe, unary, type AppApiFleet } from './support/app-api.js';

const SIZE = 5;
const WAIT_MS = 20_000;
const TOPICS: Record<number, string[]> = { 1: ['chat'], 2: ['ping'], 3: [] };

describe('App API v2: Request, Query, Respond (integration)', function () {
  this.timeout(120_000);
  let f: AppApiFleet | undefined;
  let fleet: LoopbackFleet;
  let operator: FleetOperator;
  let apps: OverlayClient[] = [];
  let streams: AppApiFleet['streams'] = [];
  /** Ids of the `silent` requests each app was handed. */
  const silent = new Map<number, string[]>();

  const respond = (i: number, requestId: string, payload: string) =>
    unary<{ requestId: string; payload: Buffer }, RespondReply__Output>(apps[i]!.Respond.bind(apps[i]!), { requestId, payload: Buffer.from(payload) });
  const request = (from: number, to: string, payload: string, timeoutMs = 5_000) =>
    unary<{ to: string; payload: Buffer; timeoutMs: number }, ReplyMessage__Output>(apps[from]!.Request.bind(apps[from]!), {
      to,
      payload: Buffer.from(payload),
      timeoutMs,
    });

  before(async () => {
    f = await startAppApiFleet({ size: SIZE, memberArgs: (i) => ['--tag', `role=${i === 3 ? 'db' : 'web'}`] }, 'FullMesh');
    ({ fleet, operator, apps, streams } = f);
    for (const [i, topics] of Object.entries(TOPICS)) {
      const index = Number(i);
      const s = await subscribe(apps[index]!, topics);
      streams.push(s);
      silent.set(index, []);
      s.stream.on('data', (d: Delivery__Output) => {
        if (d.requestId === '') return;
        if (d.payload.toString() === 'silent') silent.get(index)!.push(d.requestId);
        else void respond(index, d.requestId, `${d.payload.toString()}@${index}`);
      });
    }
    // The operator's tags reach every member before the queries filter on them.
    await operator.reconcile();
  });

  after(() => stopAppApiFleet(f));

  it('answers a Request with the app’s Respond, and refuses bad destinations and timeouts', async () => {
    const ids = fleet.ids();
    const r = await request(0, ids[1]!, 'hello');
    expect(r.ok, r.ok ? '' : r.details).to.equal(true);
    expect(r.ok && { from: r.value.from, payload: r.value.payload.toString() }).to.deep.equal({ from: ids[1], payload: 'hello@1' });
    expect(r.ok && r.value.requestId).to.match(/\.\d+$/);
    const stranger = await request(0, '127.0.0.1:9', 'x');
    expect(stranger.ok || [stranger.code, stranger.details]).to.deep.equal([
      grpc.status.NOT_FOUND,
      'RequestMessage.to "127.0.0.1:9": no member of this overlay has that address (see Members)',
    ]);
    const self = await request(0, ids[0]!, 'x');
    expect(self.ok || self.code).to.equal(grpc.status.INVALID_ARGUMENT);
    const tooLong = await request(0, ids[1]!, 'x', 300_001);
    expect(tooLong.ok || [tooLong.code, tooLong.details]).to.deep.equal([
      grpc.status.INVALID_ARGUMENT,
      'RequestMessage.timeout_ms 300001 is out of range 1-300000 (0 means the default, 5000)',
    ]);
    const noApp = await request(0, ids[4]!, 'x');
    expect(noApp.ok || [noApp.code, noApp.details]).to.deep.equal([grpc.status.FAILED_PRECONDITION, `Request to ${ids[4]}: no app is subscribed at ${ids[4]}`]);
  });

  it('gives DEADLINE_EXCEEDED when the app does not answer, and refuses a late, unknown or repeated Respond', async () => {
    const ids = fleet.ids();
    const r = await request(0, ids[3]!, 'silent', 300);
    expect(r.ok || r.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    expect(r.ms).to.be.within(250, 5_000);
    await waitUntil('the silent request at member 3', () => silent.get(3)!.length === 1, WAIT_MS);
    const late = await respond(3, silent.get(3)![0]!, 'too late');
    expect(late.ok || late.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    expect(late.ok || late.details).to.match(/the request's deadline passed \d+ ms ago/);
    const unknown = await respond(3, 'no-such-id', 'x');
    expect(unknown.ok || [unknown.code, unknown.details]).to.deep.equal([
      grpc.status.NOT_FOUND,
      'RespondRequest.request_id "no-such-id": no request with that id is waiting for an answer here (unknown, or answered already)',
    ]);
    // Answered once: the second Respond to the same id is NOT_FOUND.
    const first = request(0, ids[3]!, 'silent', 10_000);
    await waitUntil('a second silent request', () => silent.get(3)!.length === 2, WAIT_MS);
    const id = silent.get(3)![1]!;
    expect((await respond(3, id, 'now')).ok).to.equal(true);
    const answered = await first;
    expect(answered.ok && answered.value.payload.toString()).to.equal('now');
    const again = await respond(3, id, 'twice');
    expect(again.ok || again.code).to.equal(grpc.status.NOT_FOUND);
  });

  it('streams a Query’s answers from the members matching its topic and tags, ending once all answered or declined', async () => {
    const ids = fleet.ids();
    const everyone = query(apps[0]!, { payload: Buffer.from('q'), timeoutMs: 10_000 });
    await everyone.done;
    expect(everyone.ended?.code).to.equal(grpc.status.OK);
    expect(new Set(everyone.items.map((a) => a.from))).to.deep.equal(new Set([ids[1], ids[2], ids[3]]));
    expect(everyone.items.map((a) => a.payload.toString()).sort()).to.deep.equal(['q@1', 'q@2', 'q@3']);
    expect(new Set(everyone.items.map((a) => a.requestId)).size).to.equal(1);

    const ping = query(apps[0]!, { payload: Buffer.from('p'), timeoutMs: 10_000, topic: 'ping' });
    await ping.done;
    expect(ping.items.map((a) => a.payload.toString()).sort()).to.deep.equal(['p@2', 'p@3']);

    const db = query(apps[0]!, { payload: Buffer.from('d'), timeoutMs: 10_000, tagFilter: { role: 'db' } });
    await db.done;
    expect(db.items.map((a) => a.from)).to.deep.equal([ids[3]]);

    // A member that never answers keeps the query open until its deadline, which ends it OK.
    const slow = query(apps[0]!, { payload: Buffer.from('silent'), timeoutMs: 400, tagFilter: { role: 'db' } });
    await slow.done;
    expect(slow.ended?.code).to.equal(grpc.status.OK);
    expect(slow.items).to.deep.equal([]);

    const bad = query(apps[0]!, { payload: Buffer.from('x'), timeoutMs: 0, tagFilter: { 'bad key': 'v' } });
    await bad.done;
    expect(bad.ended?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(bad.ended?.details).to.contain('QueryRequest.tag_filter key "bad key" is not a label key');
  });

  it('gives UNAVAILABLE when the member leaves mid-request, and RESOURCE_EXHAUSTED past the pending limit', async () => {
    const ids = fleet.ids();
    const pending = request(0, ids[3]!, 'silent', 20_000);
    const before = silent.get(3)!.length;
    await waitUntil('the request at member 3', () => silent.get(3)!.length > before, WAIT_MS);
    operator.setPodReady(ids[3]!, false);
    await operator.reconcile();
    const left = await pending;
    expect(left.ok || [left.code, left.details]).to.deep.equal([
      grpc.status.UNAVAILABLE,
      `Request to ${ids[3]}: ${ids[3]} left the membership before answering`,
    ]);
    operator.setPodReady(ids[3]!, true);
    await operator.reconcile();

    const flood = Array.from({ length: MAX_PENDING_REQUESTS + 1 }, () => request(1, ids[2]!, 'silent', 2_000));
    const outcomes = await Promise.all(flood);
    const exhausted = outcomes.filter((o) => !o.ok && o.code === grpc.status.RESOURCE_EXHAUSTED);
    expect(exhausted.length).to.be.at.least(1);
    expect(exhausted[0]!.ok || exhausted[0]!.details).to.match(/requests, queries and acknowledged sends are pending on this sidecar, the limit is 1024$/);
    expect(outcomes.filter((o) => !o.ok && o.code === grpc.status.DEADLINE_EXCEEDED).length).to.equal(MAX_PENDING_REQUESTS + 1 - exhausted.length);
  });
});
