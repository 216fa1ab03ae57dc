import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodeWireMessage,
  encodeWireMessage,
  MAX_HOPS,
  MAX_LIST_LENGTH,
  MAX_STRING_LENGTH,
  MAX_TTL,
  REQUIRED_FIELDS,
  wireMessageBytes,
} from '../../../src/sidecar/wire-codec.js';
import { isPeerAddress } from '../../../src/rpc/peer-address.js';
import type { OverlayMessage__Output } from '../../../src/rpc/generated/topology/v1/OverlayMessage.js';
import { loadProto } from '../../../src/rpc/proto.js';
import type { WireMessage } from '../../../src/overlays/types.js';

/** Printable ASCII: what ids and types are made of (control characters are refused). */
const text = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 });
/** Peer addresses: IPv4, bracketed IPv6 or DNS names, with a port. */
const address = fc
  .tuple(
    fc.oneof(
      fc.ipV4(),
      fc.ipV6().map((a) => `[${a}]`),
      fc.domain(),
    ),
    fc.integer({ min: 1, max: 65535 }),
  )
  .map(([host, port]) => `${host}:${port}`)
  .filter(isPeerAddress);
const app = fc.record(
  { id: text, origin: address, to: address, payload: fc.uint8Array({ maxLength: 64 }), sentAt: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { requiredKeys: ['id', 'origin', 'payload', 'sentAt'] },
);
/** Messages of types the codec knows nothing special about, so any field may be set or not. */
const wire: fc.Arbitrary<WireMessage> = fc.record(
  {
    type: text.map((t) => `test.${t}`.slice(0, 30)),
    peer: address,
    peers: fc.array(address, { maxLength: 8 }),
    ttl: fc.integer({ min: 0, max: MAX_TTL }),
    high: fc.boolean(),
    accepted: fc.boolean(),
    id: text,
    ids: fc.array(text, { maxLength: 8 }),
    round: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 })),
    app,
    hops: fc.integer({ min: 0, max: MAX_HOPS }),
    route: fc.array(address, { maxLength: 8 }),
  },
  { requiredKeys: ['type'] },
);
const base: OverlayMessage__Output = { type: 'x', peers: [], ids: [], route: [], presentLists: 0 };
const goodApp = {
  id: 'm1',
  origin: '10.0.0.1:7070',
  to: '',
  payload: Buffer.alloc(0),
  sentAt: 0,
  session: '',
  seq: 0,
  prevSentAt: 0,
  topic: '',
  requestId: '',
  deadlineMs: 0,
  ack: false,
};

/** The refusal of `m`, which must be refused. */
function refusal(m: OverlayMessage__Output): { reason: string; counted: string } {
  const r = decodeWireMessage(m);
  expect(r.ok, `refused: ${JSON.stringify(m).slice(0, 200)}`).to.equal(false);
  return r.ok ? { reason: '', counted: '' } : { reason: r.reason, counted: r.counted };
}

function normalise(m: WireMessage): unknown {
  // Buffers (decoded payloads) and Uint8Arrays (generated ones) compare as plain byte lists.
  const app = m.app === undefined ? undefined : { ...m.app, payload: [...m.app.payload] };
  return JSON.parse(JSON.stringify({ ...m, app }));
}

describe('wire codec', () => {
  it('round-trips every WireMessage exactly through the protobuf PeerFrame', () => {
    const frameType = loadProto().topology.v1.PeerFrame;
    fc.assert(
      fc.property(wire, (m) => {
        const bytes = frameType.serialize({ epoch: 7, message: encodeWireMessage(m) });
        const frame = frameType.deserialize(bytes);
        expect(frame.epoch).to.equal(7);
        expect(frame.body).to.equal('message');
        const back = decodeWireMessage(frame.message!);
        expect(back.ok).to.equal(true);
        if (back.ok) expect(normalise(back.value)).to.deep.equal(normalise(m));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an empty list distinct from an absent one', () => {
    const frameType = loadProto().topology.v1.PeerFrame;
    const withEmpty = decodeWireMessage(
      frameType.deserialize(frameType.serialize({ epoch: 1, message: encodeWireMessage({ type: 'x', peers: [] }) })).message!,
    );
    const without = decodeWireMessage(frameType.deserialize(frameType.serialize({ epoch: 1, message: encodeWireMessage({ type: 'x' }) })).message!);
    expect(withEmpty.ok && withEmpty.value.peers).to.deep.equal([]);
    expect(without.ok && without.value.peers).to.equal(undefined);
    const emptyRoute = decodeWireMessage(
      frameType.deserialize(frameType.serialize({ epoch: 1, message: encodeWireMessage({ type: 'x', route: [] }) })).message!,
    );
    expect(emptyRoute.ok && emptyRoute.value.route).to.deep.equal([]);
    expect(without.ok && without.value.route).to.equal(undefined);
  });

  it('refuses messages without a type, with oversized lists, or with an app message lacking an id', () => {
    expect(refusal({ ...base, type: '' }).counted).to.equal('bad-message');
    expect(refusal({ ...base, peers: new Array<string>(MAX_LIST_LENGTH + 1).fill('10.0.0.1:1') }).reason).to.match(/peers: 4097 entries, more than 4096/);
    expect(refusal({ ...base, route: new Array<string>(MAX_LIST_LENGTH + 1).fill('10.0.0.1:1') }).counted).to.equal('bad-message');
    expect(refusal({ ...base, ids: ['a'.repeat(MAX_STRING_LENGTH + 1)] }).reason).to.match(/ids\[0\] of 1025 characters, more than 1024/);
    expect(refusal({ ...base, app: { ...goodApp, id: '' } }).reason).to.match(/app\.id is empty/);
    expect(refusal({ ...base, round: Number.NaN }).counted).to.equal('bad-number');
    expect(refusal({ ...base, type: 'a\nb' }).reason).to.match(/type contains a control character/);
  });

  it('refuses every address field that is no host:port address, naming the field', () => {
    expect(refusal({ ...base, peer: '' })).to.deep.equal({ reason: 'peer "": not a host:port address (empty)', counted: 'bad-address' });
    expect(refusal({ ...base, peer: 'x\ny:1' }).reason).to.equal('peer "x\\ny:1": not a host:port address (contains whitespace or a control character)');
    expect(refusal({ ...base, peers: ['10.0.0.1:1', 'a b:1'] }).reason).to.match(/^peers\[1\] "a b:1": not a host:port address/);
    expect(refusal({ ...base, route: ['::::'] }).reason).to.match(/^route\[0\] "::::": .*brackets/);
    expect(refusal({ ...base, app: { ...goodApp, origin: '127.0.0.1:99999999' } }).reason).to.match(/^app\.origin .*out of range 1-65535/);
    expect(refusal({ ...base, app: { ...goodApp, to: 'unix:7070' } }).reason).to.match(/^app\.to .*gRPC resolver scheme/);
    expect(refusal({ ...base, route: ['a'.repeat(MAX_STRING_LENGTH + 1)] }).counted).to.equal('bad-address');
  });

  it('round-trips the App API v2 fields (topic, request id, deadline, ack, Reply) and refuses bad ones', () => {
    const frameType = loadProto().topology.v1.PeerFrame;
    const through = (m: WireMessage): WireMessage => {
      const r = decodeWireMessage(frameType.deserialize(frameType.serialize({ epoch: 1, message: encodeWireMessage(m) })).message!);
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    };
    const app = {
      id: 'a',
      origin: '10.0.0.1:7070',
      to: '10.0.0.2:7070',
      payload: new Uint8Array([1]),
      sentAt: 5,
      topic: 'chat/x',
      requestId: 's.1',
      deadlineAt: 99,
      ack: true,
    };
    expect(through({ type: 'x', app }).app).to.deep.include({ topic: 'chat/x', requestId: 's.1', deadlineAt: 99, ack: true });
    const reply = through({ type: 'member.reply', reply: { requestId: 's.1', status: 9, detail: 'no app', payload: new Uint8Array([7]) } }).reply;
    expect(reply && { ...reply, payload: [...reply.payload] }).to.deep.equal({ requestId: 's.1', status: 9, detail: 'no app', payload: [7] });
    expect(refusal({ ...base, app: { ...goodApp, topic: 'has space' } }).reason).to.match(/app\.topic "has space" is not a topic/);
    expect(refusal({ ...base, app: { ...goodApp, requestId: 'r', deadlineMs: Number.NaN } }).counted).to.equal('bad-number');
    expect(refusal({ ...base, type: 'member.reply', reply: { requestId: '', status: 0, detail: '', payload: Buffer.alloc(0) } }).reason).to.match(
      /reply\.request_id is empty/,
    );
    expect(refusal({ ...base, type: 'member.reply', reply: { requestId: 'r', status: 99, detail: '', payload: Buffer.alloc(0) } }).counted).to.equal(
      'bad-number',
    );
  });

  it('range-checks ttl, hops, round and sent_at', () => {
    expect(refusal({ ...base, ttl: MAX_TTL + 1 })).to.deep.equal({ reason: 'ttl 65 is out of range 0-64', counted: 'bad-number' });
    expect(refusal({ ...base, ttl: -1 }).counted).to.equal('bad-number');
    expect(refusal({ ...base, hops: MAX_HOPS + 1 }).reason).to.equal('hops 1025 is out of range 0-1024');
    expect(refusal({ ...base, round: 2 ** 60 }).reason).to.match(/^round .* within ±9007199254740991/);
    expect(refusal({ ...base, app: { ...goodApp, sentAt: Number.POSITIVE_INFINITY } }).reason).to.match(/app\.sent_at Infinity/);
    expect(decodeWireMessage({ ...base, ttl: MAX_TTL, hops: MAX_HOPS, round: -5 }).ok).to.equal(true);
  });

  it('refuses a known message type without its required fields (a forwardJoin without peer would add a member named undefined)', () => {
    expect(refusal({ ...base, type: 'hyparview.forwardJoin', ttl: 3 })).to.deep.equal({ reason: 'hyparview.forwardJoin without peer', counted: 'bad-message' });
    expect(refusal({ ...base, type: 'hyparview.shuffle', peer: '10.0.0.1:1', ttl: 2, round: 1 }).reason).to.equal('hyparview.shuffle without peers');
    expect(refusal({ ...base, type: 'fullmesh.app', hops: 0 }).reason).to.equal('fullmesh.app without app');
    expect(refusal({ ...base, type: 'sidecar.probe-ack' }).reason).to.equal('sidecar.probe-ack without id');
    expect(decodeWireMessage({ ...base, type: 'hyparview.forwardJoin', peer: '10.0.0.1:7070', ttl: 3 }).ok).to.equal(true);
    // A type this version does not know (a newer peer's) passes the generic checks only: the overlay ignores it.
    expect(decodeWireMessage({ ...base, type: 'hyparview.someday' }).ok).to.equal(true);
    expect(Object.keys(REQUIRED_FIELDS)).to.include.members(['hyparview.join', 'plumtree.ihave', 'clientserver.down', 'fullmesh.members']);
  });

  it('counts a held message in bytes: its payload, its strings and a fixed overhead', () => {
    const small = wireMessageBytes({ type: 'fullmesh.hello' });
    const big = wireMessageBytes({ type: 'fullmesh.app', app: { id: 'i', origin: 'o', payload: new Uint8Array(100_000), sentAt: 0 }, hops: 0 });
    expect(small).to.be.greaterThan(0).and.lessThan(1000);
    expect(big - small).to.be.greaterThan(100_000);
  });
});
