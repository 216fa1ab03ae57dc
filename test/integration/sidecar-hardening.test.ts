/**
 * Attacks on real sidecar processes (a loopback fleet of three), one test each, from
 * the three sides that can reach a sidecar: its app (Overlay API), an authenticated peer (Peer
 * streams carrying the cluster token) and the operator (Control).
 *
 * - Token harvest: an app's `Send{to: <a listener of ours>}` is refused with NOT_FOUND and the
 *   listener receives no byte at all, while the same listener, named by the operator, does see a
 *   dial (so the recorder works).
 * - Bad destinations get INVALID_ARGUMENT or NOT_FOUND naming `Send.to`; an 8 MiB Broadcast gets
 *   RESOURCE_EXHAUSTED naming its size and the limit, an undecodable one INVALID_ARGUMENT.
 * - Crafted Peer frames over an authenticated stream (a `hyparview.forwardJoin` without `peer`,
 *   a frame of a huge epoch, an oversized frame, undecodable bytes, bad link metadata, a
 *   far-future epoch, a flood of frames for a not-yet-prepared epoch) are refused and counted
 *   under their reason, and the sidecar keeps serving.
 * - `Prepare(2^53 - 1)` (and a jump too far above the highest epoch) is refused naming the limit,
 *   and a normal switch afterwards still works.
 * Throughout, no sidecar process exits and every one reports 0 errors caught by its last-resort
 * handler (`uncaught_errors_total`): the attacks are stopped at the boundary, not survived by luck.
 *
 * Determinism: every wait is on a condition with a deadline; addresses of the listeners come from
 * a loopback /16 picked from the pid (away from the fleet's), ports are ephemeral.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server, type Socket } from 'node:net';
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { FleetControl } from '../../src/fleet/fleet-control.js';
import { AppClient, waitUntil } from '../../src/fleet/app-traffic.js';
import { loadProto } from '../../src/rpc/proto.js';
import { tokenMetadata } from '../../src/rpc/auth.js';
import { FROM_KEY, EPOCH_KEY, LINK_METHOD, DEFAULT_MAX_FRAME_BYTES } from '../../src/sidecar/peer-frames.js';
import { encodeWireMessage } from '../../src/sidecar/wire-codec.js';
import { FUTURE_EPOCH_WINDOW, MAX_EPOCH, MAX_PREPARE_JUMP } from '../../src/member/switch-engine.js';
import { FUTURE_FRAME_PEER_SHARE } from '../../src/member/future-frames.js';
import { MAX_REQUEST_BYTES } from '../../src/sidecar/grpc-servers.js';
import type { WireMessage } from '../../src/overlays/types.js';
import type { OverlayClient } from '../../src/rpc/generated/topology/v1/Overlay.js';
import { expectBroadcastReachesAll } from './support/broadcast.js';

/** Bytes the sidecars hold for not-yet-prepared epochs (`--future-frame-bytes`): small, so a flood fills it fast. */
const FUTURE_BYTES = 4 << 20;
/** Loopback /16 of this run's listeners and fake peers: 127.(60 + pid % 40).x.y, away from the fleet's 127.(100..249). */
const BLOCK = 60 + (process.pid % 40);
/** A valid address nothing listens on, that crafted streams claim to come from. */
const FAKE_PEER = `127.${BLOCK}.201.1:7070`;
/** Deadline of every wait (ms). */
const WAIT_MS = 20_000;

/** A plain TCP listener that records every byte and connection it receives. */
interface Recorder {
  readonly address: string;
  readonly received: Buffer[];
  connections: number;
  close(): Promise<void>;
}

async function recorder(host: string): Promise<Recorder> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    rec.connections++;
    sockets.add(socket);
    socket.on('data', (d: Buffer) => rec.received.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const rec: Recorder = {
    address: '',
    received: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  (rec as { address: string }).address = `${host}:${(server.address() as { port: number }).port}`;
  return rec;
}

/** One raw Peer Link stream: what it received, and its final status. */
interface RawLink {
  readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly frames: Buffer[];
  readonly status: Promise<grpc.StatusObject>;
}

describe('sidecar hardening: attacks on real sidecar processes (integration)', function () {
  this.timeout(300_000);
  let fleet: LoopbackFleet;
  let orch: FleetControl;
  let ids: string[] = [];
  let apps: AppClient[] = [];
  let overlays: OverlayClient[] = [];
  const raw: grpc.Client[] = [];
  let epoch = 1;
  const frameType = loadProto().topology.v1.PeerFrame;

  const frame = (e: number, message: WireMessage): Buffer => frameType.serialize({ epoch: e, message: encodeWireMessage(message) });

  function link(target: string, metadata: Record<string, string>, withToken = true, deadlineMs?: number): RawLink {
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    raw.push(client);
    const md = withToken ? tokenMetadata(fleet.token) : new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    const call = client.makeBidiStreamRequest<Buffer, Buffer>(
      LINK_METHOD,
      (b) => b,
      (b) => b,
      md,
      deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
    );
    const frames: Buffer[] = [];
    call.on('data', (b: Buffer) => frames.push(b));
    const status = new Promise<grpc.StatusObject>((resolve) => {
      call.on('status', resolve);
      call.on('error', () => undefined);
    });
    return { call, frames, status };
  }

  async function metrics(member: string): Promise<{ malformed: Record<string, number>; uncaught: number; future: number }> {
    const m = await orch.client(member).getMetrics();
    if (!m.ok) throw new Error(`GetMetrics of ${member} failed: ${m.message}`);
    return { malformed: m.value.malformedByReason, uncaught: m.value.uncaughtErrorsTotal, future: m.value.bufferedBytes['future-frames'] ?? 0 };
  }

  /** Waits until `member` counted one more refusal of `reason` than `before`. */
  async function counted(member: string, reason: string, before: number): Promise<void> {
    await waitUntil(`${member} counts a refusal "${reason}"`, async () => ((await metrics(member)).malformed[reason] ?? 0) > before, WAIT_MS, 50);
  }

  /** Every member serves (Health, GetState), runs in its own live process, and caught 0 errors at the last resort. */
  async function allServing(): Promise<void> {
    const Health = loadProto().grpc.health.v1.Health;
    for (const m of fleet.members) {
      expect(m.proc.exited, `${m.pod} is still running`).to.equal(false);
      const health = new Health(m.id, grpc.credentials.createInsecure());
      const status = await new Promise<string>((resolve) =>
        health.Check({ service: '' }, (err, r) => resolve(err ? `error ${err.message}` : String(r?.status))),
      );
      health.close();
      expect(status, `${m.pod} health`).to.equal('SERVING');
      const state = await orch.client(m.id).getState();
      expect(state.ok && state.value.activeEpoch, `${m.pod} answers GetState`).to.equal(epoch);
      expect((await metrics(m.id)).uncaught, `${m.pod} caught no error at the last resort`).to.equal(0);
    }
  }

  /** A phased switch of every member to `kind` at epoch `next`, by raw Control calls. */
  async function switchTo(next: number, kind: 'HyParView' | 'FullMesh'): Promise<void> {
    const prepared = await orch.prepare({ epoch: next, kind, members: ids });
    expect([...prepared.failed.entries()]).to.deep.equal([]);
    await orch.waitFormed(next, ids, 60_000);
    expect([...(await orch.route(next, ids)).failed.entries()]).to.deep.equal([]);
    expect([...(await orch.each(ids, (c) => c.commit(next))).failed.entries()]).to.deep.equal([]);
    epoch = next;
  }

  before(async () => {
    fleet = await LoopbackFleet.start({ size: 3, extraArgs: ['--future-frame-bytes', String(FUTURE_BYTES)] });
    orch = new FleetControl(fleet.token);
    ids = fleet.ids();
    // FullMesh first: an operator-named member is dialed at once (the token-harvest test's control).
    await switchTo(1, 'FullMesh');
    apps = fleet.members.map((m) => new AppClient(m.id, m.appAddress));
    await Promise.all(apps.map((a) => a.subscribe()));
    const Overlay = loadProto().topology.v1.Overlay;
    overlays = fleet.members.map((m) => new Overlay(m.appAddress, grpc.credentials.createInsecure()));
  });

  after(async () => {
    for (const a of apps) a.close();
    for (const o of overlays) o.close();
    for (const c of raw) c.close();
    orch?.close();
    await fleet?.stop();
  });

  const send = (i: number, to: string, payload = Buffer.from('hi')): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => overlays[i]!.Send({ to, payload }, { deadline: Date.now() + 10_000 }, (err) => resolve(err)));

  it('an app cannot harvest the token: Send to a non-member is NOT_FOUND and the listener it names receives no byte', async () => {
    const target = await recorder(`127.${BLOCK}.200.1`);
    const control = await recorder(`127.${BLOCK}.200.2`);
    try {
      for (let i = 0; i < 3; i++) {
        const err = await send(i, target.address);
        expect(err?.code, 'NOT_FOUND').to.equal(grpc.status.NOT_FOUND);
        expect(err?.details).to.equal(`Send.to "${target.address}": no member of this overlay has that address (see Members)`);
      }
      // The recorder works: the same kind of listener, named by the operator as a member, is dialed
      // (HTTP/2 preface first). Member 2's dial starts after every refused Send above was answered.
      const withListener = [...ids, control.address];
      expect((await orch.client(ids[2]!).setMembers(withListener)).ok).to.equal(true);
      await waitUntil('the operator-named listener is dialed', () => Buffer.concat(control.received).includes('PRI * HTTP/2.0'), WAIT_MS, 20);
      expect(target.connections, 'connections to the app-named listener').to.equal(0);
      expect(Buffer.concat(target.received).length, 'bytes the app-named listener received').to.equal(0);
      expect((await orch.client(ids[2]!).setMembers(ids)).ok).to.equal(true);
      expect((await metrics(ids[0]!)).malformed['unknown-member']).to.be.at.least(1);
    } finally {
      await target.close();
      await control.close();
    }
    await allServing();
  });

  it('refuses bad destinations with INVALID_ARGUMENT naming Send.to, and a valid non-member with NOT_FOUND', async () => {
    for (const [to, code, details] of [
      ['a b', grpc.status.INVALID_ARGUMENT, 'Send.to "a b": not a host:port address (contains whitespace or a control character)'],
      ['::::', grpc.status.INVALID_ARGUMENT, 'Send.to "::::": not a host:port address (an IPv6 address must be in brackets, as in [::1]:7070)'],
      ['127.0.0.1:99999999', grpc.status.INVALID_ARGUMENT, 'Send.to "127.0.0.1:99999999": not a host:port address (port 99999999 is out of range 1-65535)'],
      ['x\ny', grpc.status.INVALID_ARGUMENT, 'Send.to "x\\ny": not a host:port address (contains whitespace or a control character)'],
      ['', grpc.status.INVALID_ARGUMENT, 'Send.to is empty: name a member address (host:port); use Broadcast for everyone'],
      ['127.0.0.1:9999', grpc.status.NOT_FOUND, 'Send.to "127.0.0.1:9999": no member of this overlay has that address (see Members)'],
    ] as const) {
      const err = await send(1, to);
      expect(err?.code, JSON.stringify(to)).to.equal(code);
      expect(err?.details).to.equal(details);
    }
    // A member is fine.
    expect(await send(1, ids[2]!)).to.equal(null);
    await allServing();
  });

  it('answers an 8 MiB Broadcast with RESOURCE_EXHAUSTED naming its size and the limit, and undecodable bytes with INVALID_ARGUMENT', async () => {
    const before = (await metrics(ids[0]!)).malformed;
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      overlays[0]!.Broadcast({ payload: Buffer.alloc(8 << 20, 1) }, { deadline: Date.now() + 20_000 }, (e) => resolve(e)),
    );
    expect(err?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).to.match(new RegExp(`^Broadcast request of 838\\d{4} bytes exceeds the limit of ${MAX_REQUEST_BYTES} bytes$`));
    const payload = await new Promise<grpc.ServiceError | null>((resolve) =>
      overlays[0]!.Broadcast({ payload: Buffer.alloc(1 << 20, 1) }, { deadline: Date.now() + 20_000 }, (e) => resolve(e)),
    );
    expect(payload?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(payload?.details).to.equal('Broadcast.payload of 1048576 bytes exceeds the limit of 524288 bytes');
    const client = new grpc.Client(fleet.members[0]!.appAddress, grpc.credentials.createInsecure());
    raw.push(client);
    const garbage = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        '/topology.v1.Overlay/Broadcast',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0x05, 0x01]),
        (e) => resolve(e),
      ),
    );
    expect(garbage?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(garbage?.details).to.match(/^Broadcast request of 3 bytes does not decode/);
    const after = (await metrics(ids[0]!)).malformed;
    expect(after['oversized']).to.equal((before['oversized'] ?? 0) + 1);
    expect(after['oversized-app-payload']).to.equal((before['oversized-app-payload'] ?? 0) + 1);
    expect(after['undecodable']).to.equal((before['undecodable'] ?? 0) + 1);
    await expectBroadcastReachesAll(apps, 0, 'after the oversized broadcast');
    await allServing();
  });

  it('refuses crafted frames on an authenticated Peer stream and counts them; the stream and the sidecar carry on', async () => {
    // HyParView: the overlay a forwardJoin without `peer` once crashed.
    await switchTo(epoch + 1, 'HyParView');
    const target = ids[0]!;
    const stream = link(target, { [FROM_KEY]: FAKE_PEER, [EPOCH_KEY]: String(epoch) });
    await waitUntil('the sidecar says Hello on the crafted stream', () => stream.frames.length > 0, WAIT_MS, 20);
    let m = (await metrics(target)).malformed;
    // A forwardJoin without `peer` once made HyParView dial `undefined`, and new grpc.Client(undefined) throw.
    stream.call.write(frame(epoch, { type: 'hyparview.forwardJoin', ttl: 3 }));
    await counted(target, 'bad-message', m['bad-message'] ?? 0);
    stream.call.write(frame(epoch, { type: 'hyparview.forwardJoin', peer: 'x\ny', ttl: 3 }));
    await counted(target, 'bad-address', m['bad-address'] ?? 0);
    stream.call.write(frame(epoch, { type: 'hyparview.shuffle', peer: FAKE_PEER, peers: [], ttl: 9999, round: 1 }));
    await counted(target, 'bad-number', m['bad-number'] ?? 0);
    stream.call.write(frame(2 ** 53 - 1, { type: 'hyparview.join' }));
    await counted(target, 'epoch-mismatch', m['epoch-mismatch'] ?? 0);
    await allServing();
    // An oversized frame ends the stream with RESOURCE_EXHAUSTED naming the size and the limit.
    m = (await metrics(target)).malformed;
    stream.call.write(Buffer.alloc(2 * DEFAULT_MAX_FRAME_BYTES, 1));
    const oversized = await stream.status;
    expect(oversized.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(oversized.details).to.equal(`Peer frame of ${2 * DEFAULT_MAX_FRAME_BYTES} bytes exceeds the limit of ${DEFAULT_MAX_FRAME_BYTES} bytes`);
    await counted(target, 'oversized', m['oversized'] ?? 0);
    // Undecodable bytes: INVALID_ARGUMENT.
    const garbled = link(target, { [FROM_KEY]: FAKE_PEER, [EPOCH_KEY]: String(epoch) });
    garbled.call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]));
    const undecodable = await garbled.status;
    expect(undecodable.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(undecodable.details).to.match(/^Peer frame of 7 bytes does not decode/);
    // Frames gRPC read ahead of a refused one are not answered: a pong written after the refusal
    // once lost the stream's status, and the dialer saw only its own deadline.
    const readAhead = link(target, { [FROM_KEY]: FAKE_PEER, [EPOCH_KEY]: String(epoch) }, true, WAIT_MS);
    const ping = frameType.serialize({ epoch, ping: { nonce: 1, sentAtMs: Date.now() } });
    readAhead.call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]));
    for (let i = 0; i < 8; i++) readAhead.call.write(ping);
    readAhead.call.end();
    const refusedFirst = await readAhead.status;
    expect(refusedFirst.code, refusedFirst.details).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(refusedFirst.details).to.match(/^Peer frame of 7 bytes does not decode/);
    await allServing();
  });

  it('refuses Peer links with bad metadata or a far-future epoch, naming what is wrong', async () => {
    const target = ids[1]!;
    for (const [metadata, code, details, reason] of [
      [
        { [FROM_KEY]: 'x y', [EPOCH_KEY]: String(epoch) },
        grpc.status.INVALID_ARGUMENT,
        /^Link metadata x-topology-from "x y": not a host:port address/,
        'bad-address',
      ],
      [{ [EPOCH_KEY]: String(epoch) }, grpc.status.INVALID_ARGUMENT, /^Link needs exactly one x-topology-from/, 'bad-link-metadata'],
      [{ [FROM_KEY]: target, [EPOCH_KEY]: String(epoch) }, grpc.status.INVALID_ARGUMENT, /names this sidecar itself/, 'self-link'],
      [
        { [FROM_KEY]: FAKE_PEER, [EPOCH_KEY]: String(2 ** 53 - 1) },
        grpc.status.INVALID_ARGUMENT,
        new RegExp(`one epoch from 1 to ${MAX_EPOCH}`),
        'bad-link-metadata',
      ],
      [
        { [FROM_KEY]: FAKE_PEER, [EPOCH_KEY]: String(epoch + FUTURE_EPOCH_WINDOW + 1) },
        grpc.status.FAILED_PRECONDITION,
        /too far above the highest epoch prepared/,
        'far-future-epoch',
      ],
    ] as const) {
      const before = (await metrics(target)).malformed[reason] ?? 0;
      const l = link(target, metadata);
      const status = await l.status;
      expect(status.code, JSON.stringify(metadata)).to.equal(code);
      expect(status.details).to.match(details);
      expect((await metrics(target)).malformed[reason]).to.equal(before + 1);
    }
    // Without the token, nothing else is even looked at.
    const noToken = await link(target, { [FROM_KEY]: FAKE_PEER, [EPOCH_KEY]: String(epoch) }, false).status;
    expect(noToken.code).to.equal(grpc.status.UNAUTHENTICATED);
    await allServing();
  });

  it('refuses, not buffers, a peer flooding frames of a not-yet-prepared epoch: its link is cut at its byte share', async () => {
    const target = ids[2]!;
    const before = (await metrics(target)).malformed['future-overflow'] ?? 0;
    const flood = link(target, { [FROM_KEY]: FAKE_PEER, [EPOCH_KEY]: String(epoch + 1) });
    const payload = new Uint8Array(200 << 10);
    // Written without waiting for backpressure: the point is to flood.
    for (let i = 0; i < 20; i++)
      flood.call.write(frame(epoch + 1, { type: 'test.flood', app: { id: `flood-${i}`, origin: FAKE_PEER, payload, sentAt: 0 }, hops: 0 }));
    const status = await flood.status;
    expect(status.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).to.match(new RegExp(`holds no more frames for epoch ${epoch + 1}, not prepared here yet \\(peer-bytes`));
    const after = await metrics(target);
    expect(after.malformed['future-overflow']).to.equal(before + 1);
    expect(after.future, 'future-frame bytes held')
      .to.be.at.most(FUTURE_BYTES * FUTURE_FRAME_PEER_SHARE)
      .and.above(0);
    await allServing();
  });

  it('refuses Prepare(2^53 - 1), a jump too far, and bad member lists, naming the limit; a normal switch afterwards still works', async () => {
    const c = orch.client(ids[0]!);
    const huge = await c.prepare({ epoch: 2 ** 53 - 1, topology: 'FULL_MESH', members: ids });
    expect(huge.ok).to.equal(false);
    if (!huge.ok) {
      expect(huge.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(huge.message).to.equal(`Prepare.epoch 9007199254740991 is out of range 1-${MAX_EPOCH}`);
    }
    const jump = await c.prepare({ epoch: epoch + MAX_PREPARE_JUMP + 1, topology: 'FULL_MESH', members: ids });
    expect(jump.ok).to.equal(false);
    if (!jump.ok) {
      expect(jump.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(jump.message).to.match(
        new RegExp(
          `^Prepare: epoch ${epoch + MAX_PREPARE_JUMP + 1} is ${MAX_PREPARE_JUMP + 1} above epoch ${epoch}.*the limit is ${MAX_PREPARE_JUMP} above it`,
        ),
      );
    }
    const badMembers = await c.prepare({ epoch: epoch + 1, topology: 'FULL_MESH', members: [...ids, 'a b'] });
    expect(badMembers.ok).to.equal(false);
    if (!badMembers.ok) {
      expect(badMembers.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(badMembers.message).to.equal(`Prepare.members[3] "a b": not a host:port address (contains whitespace or a control character)`);
    }
    const badParams = await c.prepare({ epoch: epoch + 1, topology: 'HYPAR_VIEW', members: ids, params: { hyparview: { shuffleIntervalMs: 0 } } });
    expect(badParams.ok).to.equal(false);
    if (!badParams.ok) expect(badParams.message).to.equal('Prepare.params.hyparview.shuffle_interval_ms 0 is out of range 100-3600000');
    const state = await c.getState();
    expect(state.ok && [state.value.activeEpoch, state.value.stagedEpoch]).to.deep.equal([epoch, 0]);
    await switchTo(epoch + 1, 'FullMesh');
    await expectBroadcastReachesAll(apps, 1, 'after the refused epochs');
    await allServing();
  });
});
