/**
 * App API v2, acknowledged sends (issue #16 item 4), on a loopback fleet of three real sidecars:
 *
 * - `Send{ack: true}` completes OK only once the destination's sidecar handed the message to a
 *   subscribed app: every OK'd message is at the destination's app exactly once, across two live
 *   switches (FullMesh → HyParView → PubSub) with acknowledged sends going on throughout, and the
 *   failures, if any, are DEADLINE_EXCEEDED or UNAVAILABLE only;
 * - an app that waits for each acknowledgement before its next send sees its messages in send
 *   order at the destination, across those switches (what docs/delivery.md, "Order", promises: no
 *   FIFO in general, FIFO by send-and-wait);
 * - with no subscribed app the call ends DEADLINE_EXCEEDED (never OK), and the message is still
 *   delivered once an app subscribes; a destination that leaves gives UNAVAILABLE.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import type { FleetOperator } from '../../src/fleet/fleet-operator.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import type { OverlayClient } from '../../src/rpc/generated/topology/v1/Overlay.js';
import type { SendReply__Output } from '../../src/rpc/generated/topology/v1/SendReply.js';
import type { Delivery__Output } from '../../src/rpc/generated/topology/v1/Delivery.js';
import { startAppApiFleet, stopAppApiFleet, subscribe, unary, type AppApiFleet, type Collected, type Outcome } from './support/app-api.js';

const WAIT_MS = 20_000;

describe('App API v2: acknowledged sends (integration)', function () {
  this.timeout(180_000);
  let f: AppApiFleet | undefined;
  let fleet: LoopbackFleet;
  let operator: FleetOperator;
  let apps: OverlayClient[] = [];
  let streams: AppApiFleet['streams'] = [];

  const ackSend = (from: number, to: number, payload: string, deadlineMs = 5_000): Promise<Outcome<SendReply__Output>> =>
    unary<{ to: string; payload: Buffer; ack: boolean }, SendReply__Output>(
      apps[from]!.Send.bind(apps[from]!),
      { to: fleet.ids()[to]!, payload: Buffer.from(payload), ack: true },
      deadlineMs,
    );
  const payloads = (c: Collected<Delivery__Output>): string[] => c.items.filter((d) => d.kind === 'DELIVERY_KIND_MESSAGE').map((d) => d.payload.toString());

  before(async () => {
    f = await startAppApiFleet({ size: 3 }, 'FullMesh');
    ({ fleet, operator, apps, streams } = f);
  });

  after(() => stopAppApiFleet(f));

  it('completes OK only for messages an app was handed, in send order for send-and-wait, across two live switches', async () => {
    const receiver = await subscribe(apps[1]!);
    streams.push(receiver);
    const ok: string[] = [];
    const failed = new Map<grpc.status, number>();
    let switching = true;
    const sender = (async () => {
      for (let n = 0; switching || n < 20; n++) {
        const r = await ackSend(0, 1, `m${n}`);
        if (r.ok) ok.push(`m${n}`);
        else failed.set(r.code, (failed.get(r.code) ?? 0) + 1);
      }
    })();
    for (const kind of ['HyParView', 'PubSub'] as const) {
      const report = await operator.switchTo(kind);
      expect(report.ok, report.reason).to.equal(true);
    }
    switching = false;
    await sender;
    console.log(`      acknowledged sends across the switches: ${ok.length} OK, failed ${JSON.stringify(Object.fromEntries(failed))}`);
    expect(ok.length).to.be.greaterThan(20);
    await waitUntil('every acknowledged message at the receiver', () => ok.every((p) => payloads(receiver).includes(p)), WAIT_MS);
    const got = payloads(receiver);
    for (const p of ok) expect(got.filter((g) => g === p).length, `${p} delivered once`).to.equal(1);
    // Send-and-wait: the receiver saw the acknowledged messages in the order they were sent.
    expect(got.filter((g) => ok.includes(g))).to.deep.equal(ok);
    for (const code of failed.keys()) expect([grpc.status.DEADLINE_EXCEEDED, grpc.status.UNAVAILABLE]).to.include(code);
  });

  it('ends DEADLINE_EXCEEDED with no subscribed app (the message waits for one), and UNAVAILABLE when the destination leaves', async () => {
    const ids = fleet.ids();
    const none = await ackSend(0, 2, 'unseen', 500);
    expect(none.ok || none.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    const late = await subscribe(apps[2]!);
    streams.push(late);
    await waitUntil('the unacknowledged message at the app that subscribed later', () => payloads(late).includes('unseen'), WAIT_MS);
    late.stream.cancel();
    await late.done;

    const pending = ackSend(1, 2, 'leaving', 20_000);
    // The message is in member 2's delivery log with no reader; then member 2 leaves the membership.
    operator.setPodReady(ids[2]!, false);
    await operator.reconcile();
    const left = await pending;
    expect(left.ok || [left.code, left.details]).to.deep.equal([
      grpc.status.UNAVAILABLE,
      `Send{ack} to ${ids[2]}: ${ids[2]} left the membership before answering`,
    ]);
    operator.setPodReady(ids[2]!, true);
    await operator.reconcile();
  });
});
