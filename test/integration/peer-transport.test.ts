/**
 * PeerTransport over real gRPC, in one process: two or three transports, each behind its own
 * grpc.Server on its own loopback address, serving the Peer service as `startServers` does
 * (`peerServiceDefinition`, `acceptStream` as the Link handler, the cluster token checked first).
 *
 * What is tested, and why:
 * - `connect` on both ends of a pair at once makes exactly one stream (dialed by the smaller
 *   NodeId): a FullMesh of n members would otherwise pay for n(n-1) handshakes instead of
 *   n(n-1)/2. A send racing the eager dial still arrives.
 * - Both ends dialing at once (a send from each before either stream arrived) keeps one link per
 *   side and loses nothing, with no link reported down.
 * - `reapIdle` closes idle transient links gracefully: nothing in flight is lost or duplicated,
 *   the reaping side sees no failure, and a later send reopens the link. Links kept by the
 *   overlay, or used recently, stay.
 * - Pings are rationed round robin (`pingsPerInterval`): with a budget of one ping per interval,
 *   every link still gets an RTT.
 * - Link queues are bounded in bytes: a frame's bytes are held from queueing until gRPC reports it
 *   written, so the budget returns to zero once traffic is delivered; a peer that never reads (a
 *   TCP listener that speaks no HTTP/2) fills its link's byte limit and further sends are refused
 *   ('full'), and its bytes are given back when the link fails.
 *
 * Determinism: addresses come from a loopback /16 picked from the pid (no clash with concurrent
 * runs), ports are ephemeral; every wait is on a condition (`waitUntil`) with a deadline, never a
 * fixed sleep.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { createServer, type Socket } from 'node:net';
import { PeerTransport, type TransportHandler, type PeerTransportOptions } from '../../src/sidecar/peer-transport.js';
import { peerServiceDefinition } from '../../src/sidecar/grpc-servers.js';
import { loadProto } from '../../src/rpc/proto.js';
import { encodeWireMessage } from '../../src/sidecar/wire-codec.js';
import { checkToken, unauthenticatedError } from '../../src/rpc/auth.js';
import { ClusterToken } from '../../src/rpc/cluster-token.js';
import { silentLogger } from '../../src/sidecar/logger.js';
import { BufferBudget } from '../../src/member/buffer-budget.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import type { PeerHandlers } from '../../src/rpc/generated/topology/v1/Peer.js';
import type { NodeId, WireMessage } from '../../src/overlays/types.js';

/** Loopback /16 of this run: 127.(60 + pid % 40).x.y, away from the fleet's 127.(100..249) blocks. */
const BLOCK = 60 + (process.pid % 40);
/** Cluster token the servers check and the transports present. */
const TOKEN = 'peer-transport-test-token';
const CLUSTER_TOKEN = new ClusterToken([TOKEN]);
/** Deadline of every wait (ms): generous for a loaded CI runner, never reached when things work. */
const WAIT_MS = 10_000;

/** Third octet of the next node's address: each node gets its own 127.BLOCK.n.1. */
let nextHost = 1;

/** What a transport reported to its handler. */
interface Recorded {
  readonly messages: { epoch: number; from: NodeId; message: WireMessage }[];
  readonly linkDowns: { epoch: number; peer: NodeId }[];
  readonly malformed: string[];
  /** Bytes the transport reported sent and received, all epochs. */
  readonly bytes: { in: number; out: number };
}

/** One transport with its server, its handler's record, and a count of streams its server accepted. */
interface TestNode {
  readonly id: NodeId;
  readonly transport: PeerTransport;
  readonly server: grpc.Server;
  readonly rec: Recorded;
  accepted: number;
  /** Link calls refused for want of the token. */
  refused: number;
  /** The byte budget its links reserve from. */
  readonly budget: BufferBudget;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/** A transport behind its own Peer server on a fresh loopback address; every epoch in `live` is 'live'. */
async function startNode(
  live: ReadonlySet<number>,
  options: Partial<Pick<PeerTransportOptions, 'pingIntervalMs' | 'pingsPerInterval' | 'linkQueueBytes'>> = {},
): Promise<TestNode> {
  const host = `127.${BLOCK}.${nextHost++}.1`;
  const server = new grpc.Server();
  const rec: Recorded = { messages: [], linkDowns: [], malformed: [], bytes: { in: 0, out: 0 } };
  // The transport needs its NodeId (host:port), known only once the server is bound: the service
  // reaches it through `ref.node`, set right after binding and before any peer can know the port.
  const ref: { node?: TestNode } = {};
  const handlers: PeerHandlers = {
    Link: (call) => {
      const n = ref.node as TestNode;
      const auth = checkToken(call.metadata, CLUSTER_TOKEN);
      if (!auth.ok) {
        n.refused++;
        call.emit('error', unauthenticatedError(auth.reason));
        return;
      }
      n.accepted++;
      n.transport.acceptStream(call);
    },
  };
  server.addService(
    peerServiceDefinition(() => (ref.node as TestNode).transport),
    handlers,
  );
  const port = await bind(server, `${host}:0`);
  const id = `${host}:${port}`;
  const handler: TransportHandler = {
    disposition: (epoch) => (live.has(epoch) ? 'live' : 'stale'),
    onMessage: (epoch, from, message) => rec.messages.push({ epoch, from, message }),
    onLinkDown: (epoch, peer) => rec.linkDowns.push({ epoch, peer }),
    onMalformed: (reason) => rec.malformed.push(reason),
    onBytes: (direction, _epoch, n) => {
      rec.bytes[direction] += n;
    },
    // The nodes of a test dial only each other (addresses the test hands them): all of them members.
    mayDial: () => true,
    onDialRefused: (peer, reason) => rec.malformed.push(`dial refused: ${peer} (${reason})`),
  };
  const budget = new BufferBudget({ totalBytes: 256 << 20, kindBytes: { 'link-queue': 256 << 20, 'future-frames': 0, subscriber: 0 } });
  const transport = new PeerTransport({
    self: id,
    pod: `pod-${id}`,
    token: CLUSTER_TOKEN,
    credentials: grpc.credentials.createInsecure(),
    handler,
    logger: silentLogger(),
    budget,
    ...options,
  });
  const node: TestNode = { id, transport, server, rec, accepted: 0, refused: 0, budget };
  ref.node = node;
  return node;
}

function stopNodes(nodes: readonly TestNode[]): void {
  for (const n of nodes) {
    n.transport.destroy();
    n.server.forceShutdown();
  }
}

/** A FullMesh application message (the shape `encodeWireMessage` / `decodeWireMessage` round-trip). */
function appMessage(origin: NodeId, seq: number): WireMessage {
  return { type: 'fullmesh.app', app: { id: `${origin}/${seq}`, origin, payload: new Uint8Array([seq & 0xff]), sentAt: 0 }, hops: 0 };
}

/** Ids of the app messages `node` received from `from` on `epoch`, in arrival order. */
function receivedIds(node: TestNode, epoch: number, from: NodeId): string[] {
  return node.rec.messages.filter((m) => m.epoch === epoch && m.from === from).map((m) => m.message.app?.id ?? `(no app: ${m.message.type})`);
}

/** Sends `count` app messages from `a` to `b` on `epoch`, numbered from `first`; returns their ids. */
function sendMany(a: TestNode, b: TestNode, epoch: number, first: number, count: number): string[] {
  const ids: string[] = [];
  for (let seq = first; seq < first + count; seq++) {
    expect(a.transport.send(epoch, b.id, appMessage(a.id, seq))).to.equal('queued');
    ids.push(`${a.id}/${seq}`);
  }
  return ids;
}

/** The pair ordered by NodeId (string comparison, as the transport orders them). */
function ordered(x: TestNode, y: TestNode): [small: TestNode, large: TestNode] {
  return x.id < y.id ? [x, y] : [y, x];
}

describe('PeerTransport over gRPC (integration)', function () {
  this.timeout(60_000);

  describe('connect: the eager dial', () => {
    const live = new Set([1, 2, 3]);
    let nodes: TestNode[] = [];
    let small: TestNode;
    let large: TestNode;

    before(async () => {
      nodes = [await startNode(live), await startNode(live)];
      [small, large] = ordered(nodes[0] as TestNode, nodes[1] as TestNode);
    });
    after(() => stopNodes(nodes));

    it('called on both ends at once, only the smaller NodeId dials: one stream, established on both sides', async () => {
      const epoch = 1;
      small.transport.connect(epoch, large.id);
      large.transport.connect(epoch, small.id);
      // A send racing the eager dial (the link is not up yet) still arrives.
      expect(small.transport.established(epoch, large.id)).to.equal(false);
      const early = sendMany(small, large, epoch, 0, 1);
      await waitUntil(
        'the link established on both sides',
        () => small.transport.established(epoch, large.id) && large.transport.established(epoch, small.id),
        WAIT_MS,
      );
      await waitUntil('receivedIds(large, epoch, small.id).length >= 1', () => receivedIds(large, epoch, small.id).length >= 1, WAIT_MS);
      expect(receivedIds(large, epoch, small.id)).to.deep.equal(early);
      expect(small.transport.connections(epoch)).to.equal(1);
      expect(large.transport.connections(epoch)).to.equal(1);
      // The larger end answers over the stream it accepted: no dial of its own.
      const reply = sendMany(large, small, epoch, 100, 3);
      await waitUntil('receivedIds(small, epoch, large.id).length >= 3', () => receivedIds(small, epoch, large.id).length >= 3, WAIT_MS);
      expect(receivedIds(small, epoch, large.id)).to.deep.equal(reply);
      expect(large.accepted, 'streams accepted by the larger end').to.equal(1);
      expect(small.accepted, 'streams accepted by the smaller end').to.equal(0);
      // connect on a link that is up is a no-op.
      small.transport.connect(epoch, large.id);
      large.transport.connect(epoch, small.id);
      expect(small.transport.connections(epoch)).to.equal(1);
      expect(large.transport.connections(epoch)).to.equal(1);
      const more = sendMany(small, large, epoch, 1, 2);
      await waitUntil('receivedIds(large, epoch, small.id).length >= 3', () => receivedIds(large, epoch, small.id).length >= 3, WAIT_MS);
      expect(receivedIds(large, epoch, small.id)).to.deep.equal([...early, ...more]);
      expect(small.accepted + large.accepted).to.equal(1);
      expect(small.rec.linkDowns).to.deep.equal([]);
      expect(large.rec.linkDowns).to.deep.equal([]);
      expect([...small.rec.malformed, ...large.rec.malformed]).to.deep.equal([]);
      expect(small.refused + large.refused).to.equal(0);
    });

    it('a send from the larger end before the eager dial arrived opens its own stream; both ends keep one link and lose nothing', async () => {
      const epoch = 2;
      const acceptedBefore = small.accepted + large.accepted;
      small.transport.connect(epoch, large.id);
      large.transport.connect(epoch, small.id);
      const fromSmall = sendMany(small, large, epoch, 0, 5);
      const fromLarge = sendMany(large, small, epoch, 0, 5);
      await waitUntil(
        'the link established on both sides',
        () => small.transport.established(epoch, large.id) && large.transport.established(epoch, small.id),
        WAIT_MS,
      );
      await waitUntil(
        'receivedIds(large, epoch, small.id).length >= 5 && receivedIds(small, epoch, large.id)....',
        () => receivedIds(large, epoch, small.id).length >= 5 && receivedIds(small, epoch, large.id).length >= 5,
        WAIT_MS,
      );
      expect(receivedIds(large, epoch, small.id)).to.deep.equal(fromSmall);
      expect(receivedIds(small, epoch, large.id)).to.deep.equal(fromLarge);
      // Both ends dialed; the twin dialed by the larger end is retired, the link carries on.
      expect(small.accepted + large.accepted - acceptedBefore).to.equal(2);
      expect(small.transport.connections(epoch)).to.equal(1);
      expect(large.transport.connections(epoch)).to.equal(1);
      const later = sendMany(large, small, epoch, 5, 5);
      await waitUntil('receivedIds(small, epoch, large.id).length >= 10', () => receivedIds(small, epoch, large.id).length >= 10, WAIT_MS);
      expect(receivedIds(small, epoch, large.id)).to.deep.equal([...fromLarge, ...later]);
      expect(small.rec.linkDowns).to.deep.equal([]);
      expect(large.rec.linkDowns).to.deep.equal([]);
      expect(small.transport.established(epoch, large.id) && large.transport.established(epoch, small.id)).to.equal(true);
    });
  });

  describe('reapIdle', () => {
    const live = new Set([1, 2, 3, 4]);
    let nodes: TestNode[] = [];
    let a: TestNode;
    let b: TestNode;

    before(async () => {
      nodes = [await startNode(live), await startNode(live)];
      [a, b] = nodes as [TestNode, TestNode];
    });
    after(() => stopNodes(nodes));

    /** Opens `epoch`'s link a → b with traffic both ways and waits for it all to land. */
    async function exchange(epoch: number): Promise<{ ab: string[]; ba: string[] }> {
      const ab = sendMany(a, b, epoch, 0, 5);
      await waitUntil(
        'a.transport.established(epoch, b.id) && receivedIds(b, epoch, a.id).length >= 5',
        () => a.transport.established(epoch, b.id) && receivedIds(b, epoch, a.id).length >= 5,
        WAIT_MS,
      );
      const ba = sendMany(b, a, epoch, 0, 5);
      await waitUntil('receivedIds(a, epoch, b.id).length >= 5', () => receivedIds(a, epoch, b.id).length >= 5, WAIT_MS);
      expect(receivedIds(b, epoch, a.id)).to.deep.equal(ab);
      expect(receivedIds(a, epoch, b.id)).to.deep.equal(ba);
      return { ab, ba };
    }

    it('keeps links the overlay claims, and links used within idleMs', async () => {
      const epoch = 1;
      await exchange(epoch);
      const asked: string[] = [];
      expect(
        a.transport.reapIdle(0, (e, p) => {
          asked.push(`${e} ${p}`);
          return true;
        }),
      ).to.equal(0);
      expect(asked).to.deep.equal([`${epoch} ${b.id}`]);
      // Traffic a moment ago is newer than a minute.
      sendMany(a, b, epoch, 5, 1);
      expect(a.transport.reapIdle(60_000, () => false)).to.equal(0);
      expect(b.transport.reapIdle(60_000, () => false)).to.equal(0);
      expect(a.transport.established(epoch, b.id)).to.equal(true);
      expect(a.transport.connections(epoch)).to.equal(1);
      await waitUntil('receivedIds(b, epoch, a.id).length >= 6', () => receivedIds(b, epoch, a.id).length >= 6, WAIT_MS);
      expect(a.rec.linkDowns).to.deep.equal([]);
      expect(b.rec.linkDowns).to.deep.equal([]);
    });

    it('closes an idle link gracefully: frames in flight both ways land once and in order, no linkDown on the reaping side, a later send reopens it', async () => {
      const epoch = 2;
      const { ab, ba } = await exchange(epoch);
      const downsA = a.rec.linkDowns.length;
      // In one turn: frames both ways, then the reap. Fewer frames than the stream's buffer (16
      // objects) so the link's own queue is flushed into the stream at once and the link counts as
      // idle for idleMs 0 (a link with queued frames is never reaped). Nothing written before the
      // Goodbye may be lost.
      const ab2 = sendMany(a, b, epoch, 5, 10);
      const ba2 = sendMany(b, a, epoch, 5, 10);
      // Only epoch 2's link is idle-eligible here: epoch 1's is claimed.
      expect(a.transport.reapIdle(0, (e) => e !== epoch)).to.equal(1);
      expect(a.transport.established(epoch, b.id), 'established right after the reap').to.equal(false);
      await waitUntil(
        'receivedIds(b, epoch, a.id).length >= 15 && receivedIds(a, epoch, b.id).length >= 15',
        () => receivedIds(b, epoch, a.id).length >= 15 && receivedIds(a, epoch, b.id).length >= 15,
        WAIT_MS,
      );
      await waitUntil('link closed on both sides', () => a.transport.connections(epoch) === 0 && b.transport.connections(epoch) === 0, WAIT_MS);
      expect(receivedIds(b, epoch, a.id), 'a → b: each once, in order').to.deep.equal([...ab, ...ab2]);
      expect(receivedIds(a, epoch, b.id), 'b → a: each once, in order').to.deep.equal([...ba, ...ba2]);
      expect(a.rec.linkDowns.slice(downsA), 'linkDown on the reaping side').to.deep.equal([]);
      expect(a.transport.established(epoch, b.id)).to.equal(false);
      // The claimed epoch-1 link is untouched.
      expect(a.transport.established(1, b.id)).to.equal(true);
      // A later send on the same epoch opens a fresh link and arrives.
      const ab3 = sendMany(a, b, epoch, 15, 3);
      await waitUntil(
        'a.transport.established(epoch, b.id) && receivedIds(b, epoch, a.id).length >= 18',
        () => a.transport.established(epoch, b.id) && receivedIds(b, epoch, a.id).length >= 18,
        WAIT_MS,
      );
      expect(receivedIds(b, epoch, a.id)).to.deep.equal([...ab, ...ab2, ...ab3]);
      const ba3 = sendMany(b, a, epoch, 15, 3);
      await waitUntil('receivedIds(a, epoch, b.id).length >= 18', () => receivedIds(a, epoch, b.id).length >= 18, WAIT_MS);
      expect(receivedIds(a, epoch, b.id)).to.deep.equal([...ba, ...ba2, ...ba3]);
      expect(a.transport.connections(epoch)).to.equal(1);
      expect(b.transport.connections(epoch)).to.equal(1);
      expect(a.rec.linkDowns.slice(downsA)).to.deep.equal([]);
      expect([...a.rec.malformed, ...b.rec.malformed]).to.deep.equal([]);
    });

    it('a send in the same turn as the reap goes on a fresh link and arrives once', async () => {
      const epoch = 3;
      const { ab, ba } = await exchange(epoch);
      const downsA = a.rec.linkDowns.length;
      expect(a.transport.reapIdle(0, (e) => e !== epoch)).to.equal(1);
      const sameTurn = sendMany(a, b, epoch, 5, 3);
      await waitUntil('receivedIds(b, epoch, a.id).length >= 8', () => receivedIds(b, epoch, a.id).length >= 8, WAIT_MS);
      await waitUntil('a.transport.established(epoch, b.id)', () => a.transport.established(epoch, b.id), WAIT_MS);
      expect(receivedIds(b, epoch, a.id)).to.deep.equal([...ab, ...sameTurn]);
      // The peer's reply arrives too (over whichever stream it picks).
      const reply = sendMany(b, a, epoch, 5, 3);
      await waitUntil('receivedIds(a, epoch, b.id).length >= 8', () => receivedIds(a, epoch, b.id).length >= 8, WAIT_MS);
      expect(receivedIds(a, epoch, b.id)).to.deep.equal([...ba, ...reply]);
      expect(a.rec.linkDowns.slice(downsA)).to.deep.equal([]);
      expect([...a.rec.malformed, ...b.rec.malformed]).to.deep.equal([]);
    });

    // The fresh stream A dials in the same turn as the reap can reach B before B reads the idle
    // Goodbye on the old stream, so both streams share B's link for a moment; the Goodbye must end
    // only the old stream, and B must answer over the fresh one rather than dial a second.
    it('a send in the same turn as the reap: the peer uses the fresh stream instead of dialing a second one', async () => {
      const epoch = 4;
      await exchange(epoch);
      expect(a.transport.reapIdle(0, (e) => e !== epoch)).to.equal(1);
      sendMany(a, b, epoch, 5, 3);
      await waitUntil(
        'receivedIds(b, epoch, a.id).length >= 8 && a.transport.established(epoch, b.id)',
        () => receivedIds(b, epoch, a.id).length >= 8 && a.transport.established(epoch, b.id),
        WAIT_MS,
      );
      const acceptedByA = a.accepted;
      sendMany(b, a, epoch, 5, 3);
      await waitUntil('receivedIds(a, epoch, b.id).length >= 8', () => receivedIds(a, epoch, b.id).length >= 8, WAIT_MS);
      expect(a.accepted - acceptedByA, 'streams B dialed to A for its reply').to.equal(0);
    });
  });

  describe('fan-out', () => {
    const live = new Set([1]);
    let nodes: TestNode[] = [];
    after(() => stopNodes(nodes));

    // Overlays hand one message object to every neighbour of a broadcast and the transport encodes
    // it once; the bytes must still go out on each link (a dialed stream and an accepted one
    // serialize differently: client serializer vs. the server's response serializer), arrive
    // intact, and be counted per link.
    it('one message object sent to two peers, over an accepted and a dialed stream, arrives intact at both and is counted on both links', async () => {
      nodes = [await startNode(live), await startNode(live), await startNode(live)];
      const [x, y, z] = nodes as [TestNode, TestNode, TestNode];
      const epoch = 1;
      // y dials x, so x answers y over the stream it accepted.
      sendMany(y, x, epoch, 0, 1);
      await waitUntil(
        'receivedIds(x, epoch, y.id).length === 1 && x.transport.established(epoch, y.id)',
        () => receivedIds(x, epoch, y.id).length === 1 && x.transport.established(epoch, y.id),
        WAIT_MS,
      );
      const accepted = x.accepted;
      const message = appMessage(x.id, 7);
      const encoded = loadProto().topology.v1.PeerFrame.serialize({ epoch, message: encodeWireMessage(message) }).length;
      const outBefore = x.rec.bytes.out;
      expect(x.transport.send(epoch, y.id, message)).to.equal('queued');
      expect(x.transport.send(epoch, z.id, message)).to.equal('queued');
      await waitUntil(
        'receivedIds(y, epoch, x.id).length === 1 && receivedIds(z, epoch, x.id).length === 1',
        () => receivedIds(y, epoch, x.id).length === 1 && receivedIds(z, epoch, x.id).length === 1,
        WAIT_MS,
      );
      for (const peer of [y, z]) {
        const got = peer.rec.messages.find((m) => m.from === x.id)?.message;
        expect(got?.type).to.equal('fullmesh.app');
        expect(got?.hops).to.equal(0);
        expect(got?.app?.id).to.equal(`${x.id}/7`);
        expect([...(got?.app?.payload ?? [])]).to.deep.equal([7]);
      }
      expect(x.accepted, 'x answered y over the accepted stream').to.equal(accepted);
      expect(x.rec.bytes.out - outBefore, 'bytes counted on each link').to.be.at.least(2 * encoded);
      expect([...x.rec.malformed, ...y.rec.malformed, ...z.rec.malformed]).to.deep.equal([]);
    });
  });

  describe('byte limits', () => {
    const live = new Set([1]);
    let nodes: TestNode[] = [];
    after(() => stopNodes(nodes));

    it("gives a frame's bytes back once gRPC wrote it: after the traffic is delivered the budget is empty again", async () => {
      nodes = [await startNode(live), await startNode(live)];
      const [a, b] = nodes as [TestNode, TestNode];
      const epoch = 1;
      const payload = new Uint8Array(4096).fill(9);
      const ids: string[] = [];
      for (let seq = 0; seq < 500; seq++) {
        const message: WireMessage = { type: 'fullmesh.app', app: { id: `${a.id}/${seq}`, origin: a.id, payload, sentAt: 0 }, hops: 0 };
        expect(a.transport.send(epoch, b.id, message)).to.equal('queued');
        ids.push(`${a.id}/${seq}`);
      }
      expect(a.budget.bytes('link-queue'), 'held while in flight').to.be.greaterThan(0);
      await waitUntil('every frame arrived', () => receivedIds(b, epoch, a.id).length === ids.length, WAIT_MS);
      expect(receivedIds(b, epoch, a.id)).to.deep.equal(ids);
      await waitUntil(
        () => `the link-queue budget drains (${a.budget.bytes('link-queue')} bytes held)`,
        () => a.budget.bytes('link-queue') === 0,
        WAIT_MS,
      );
    });

    it('refuses sends to a peer that never reads once its link holds linkQueueBytes, and gives them back when the link fails', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => silent.listen(0, `127.${BLOCK}.250.1`, () => resolve()));
      const peer = `127.${BLOCK}.250.1:${(silent.address() as { port: number }).port}`;
      const a = await startNode(live, { linkQueueBytes: 64 << 10 });
      nodes.push(a);
      const payload = new Uint8Array(4096).fill(1);
      let queued = 0;
      let outcome = 'queued';
      for (let seq = 0; seq < 100 && outcome === 'queued'; seq++) {
        outcome = a.transport.send(1, peer, { type: 'fullmesh.app', app: { id: `${a.id}/${seq}`, origin: a.id, payload, sentAt: 0 }, hops: 0 });
        if (outcome === 'queued') queued++;
      }
      expect(outcome, 'the link refuses once full').to.equal('full');
      expect(queued, 'frames of ~4 KiB that fit in 64 KiB').to.be.within(10, 16);
      expect(a.budget.bytes('link-queue')).to.be.within(60 << 10, 64 << 10);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      await waitUntil(
        () => `the failed link gives its bytes back (${a.budget.bytes('link-queue')} held)`,
        () => a.budget.bytes('link-queue') === 0,
        WAIT_MS,
      );
    });
  });

  describe('pings', () => {
    const live = new Set([1]);
    let nodes: TestNode[] = [];

    before(async () => {
      nodes = [await startNode(live, { pingIntervalMs: 50, pingsPerInterval: 1 }), await startNode(live), await startNode(live)];
    });
    after(() => stopNodes(nodes));

    it('with a budget of one ping per interval, round robin still reaches every link', async () => {
      const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
      const epoch = 1;
      sendMany(a, b, epoch, 0, 1);
      sendMany(a, c, epoch, 0, 1);
      await waitUntil(
        'a.transport.established(epoch, b.id) && a.transport.established(epoch, c.id)',
        () => a.transport.established(epoch, b.id) && a.transport.established(epoch, c.id),
        WAIT_MS,
      );
      await waitUntil(
        () => `an RTT on both links: ${JSON.stringify(a.transport.linkStats(epoch))}`,
        () => {
          const stats = a.transport.linkStats(epoch);
          return stats.length === 2 && stats.every((s) => s.rttEwmaMs > 0);
        },
        WAIT_MS,
      );
      expect(new Set(a.transport.linkStats(epoch).map((s) => s.peer))).to.deep.equal(new Set([b.id, c.id]));
      expect(a.rec.linkDowns).to.deep.equal([]);
      expect(a.rec.malformed).to.deep.equal([]);
    });
  });
});
