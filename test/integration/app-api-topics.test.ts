/**
 * App API v2, topics (issue #16 item 2), on a loopback fleet of three real sidecars running PubSub
 * (Plumtree: every topic shares the one broadcast tree):
 *
 * - a subscriber of `chat` gets the `chat` broadcasts only; a subscriber of every topic gets every
 *   broadcast, with `Delivery.topic` set; a point-to-point Send reaches both;
 * - a sidecar whose only subscriber wants `news` pushes nothing for `chat` or for a broadcast
 *   without a topic (checked after its core delivered them, behind a point-to-point barrier);
 * - bad topics are INVALID_ARGUMENT naming the field and the limit.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import type { OverlayClient } from '../../src/rpc/generated/topology/v1/Overlay.js';
import type { SendReply__Output } from '../../src/rpc/generated/topology/v1/SendReply.js';
import { MAX_TOPIC_LENGTH } from '../../src/member/topics.js';
import { startAppApiFleet, stopAppApiFleet, subscribe, unary, type AppApiFleet, type Collected } from './support/app-api.js';
import type { Delivery__Output } from '../../src/rpc/generated/topology/v1/Delivery.js';

const WAIT_MS = 20_000;

describe('App API v2: topics (integration)', function () {
  this.timeout(120_000);
  let f: AppApiFleet | undefined;
  let fleet: LoopbackFleet;
  let apps: OverlayClient[] = [];
  let streams: AppApiFleet['streams'] = [];

  before(async () => {
    f = await startAppApiFleet({ size: 3 }, 'PubSub');
    ({ fleet, apps, streams } = f);
  });

  after(() => stopAppApiFleet(f));

  const broadcast = (from: number, payload: string, topic: string) =>
    unary<{ payload: Buffer; topic: string }, SendReply__Output>(apps[from]!.Broadcast.bind(apps[from]!), { payload: Buffer.from(payload), topic });
  const send = (from: number, to: number, payload: string) =>
    unary<{ to: string; payload: Buffer }, SendReply__Output>(apps[from]!.Send.bind(apps[from]!), { to: fleet.ids()[to]!, payload: Buffer.from(payload) });
  const payloads = (c: Collected<Delivery__Output>): string[] => c.items.filter((d) => d.kind === 'DELIVERY_KIND_MESSAGE').map((d) => d.payload.toString());

  it('hands each subscriber the broadcasts of its topics, and point-to-point messages to all', async () => {
    const chat = await subscribe(apps[1]!, ['chat']);
    const every = await subscribe(apps[1]!);
    const news = await subscribe(apps[2]!, ['news']);
    streams.push(chat, every, news);
    for (const [p, t] of [
      ['c1', 'chat'],
      ['n1', 'news'],
      ['v1', ''],
    ] as const) {
      const r = await broadcast(0, p, t);
      expect(r.ok, r.ok ? '' : r.details).to.equal(true);
    }
    await waitUntil('every broadcast at the all-topics subscriber', () => payloads(every).length === 3, WAIT_MS);
    expect(new Set(payloads(every))).to.deep.equal(new Set(['c1', 'n1', 'v1']));
    expect(every.items.find((d) => d.payload.toString() === 'c1')?.topic).to.equal('chat');
    expect(every.items.find((d) => d.payload.toString() === 'v1')?.topic).to.equal('');
    // Member 2's core delivered all three; a Send behind them reaches its subscriber only after its reader passed them.
    const barrier = await send(0, 2, 'barrier');
    expect(barrier.ok).to.equal(true);
    await waitUntil('the barrier at member 2', () => payloads(news).includes('barrier'), WAIT_MS);
    await waitUntil('n1 at member 2', () => payloads(news).includes('n1'), WAIT_MS);
    expect(payloads(news).sort()).to.deep.equal(['barrier', 'n1']);
    expect(news.items.every((d) => d.kind === 'DELIVERY_KIND_MESSAGE')).to.equal(true);
    const direct = await send(0, 1, 'direct');
    expect(direct.ok).to.equal(true);
    await waitUntil('the Send at both subscribers of member 1', () => payloads(chat).includes('direct') && payloads(every).includes('direct'), WAIT_MS);
    expect(payloads(chat).sort()).to.deep.equal(['c1', 'direct']);
  });

  it('refuses bad topics with INVALID_ARGUMENT naming the field and the limit', async () => {
    const spaced = await broadcast(0, 'x', 'has space');
    expect(spaced.ok || spaced.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(spaced.ok || spaced.details).to.match(/^Broadcast\.topic "has space" is not a topic: 1 to 256 letters/);
    const long = await broadcast(0, 'x', 'a'.repeat(MAX_TOPIC_LENGTH + 1));
    expect(long.ok || long.details).to.equal(`Broadcast.topic of ${MAX_TOPIC_LENGTH + 1} characters exceeds the limit of ${MAX_TOPIC_LENGTH}`);
    const empty = await subscribe(apps[0]!, ['ok', '']);
    await empty.done;
    expect(empty.ended?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(empty.ended?.details).to.match(/^Subscribe\.topics\[1\] "" is not a topic/);
  });
});
