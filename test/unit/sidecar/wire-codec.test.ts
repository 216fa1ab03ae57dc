import { expect } from 'chai';
import fc from 'fast-check';
import { decodeWireMessage, encodeWireMessage, MAX_LIST_LENGTH, MAX_STRING_LENGTH } from '../../../src/sidecar/wire-codec.js';
import { loadProto } from '../../../src/rpc/proto.js';
import type { WireMessage } from '../../../src/overlays/types.js';

const text = fc.string({ minLength: 1, maxLength: 30 });
const app = fc.record(
  { id: text, origin: text, to: text, payload: fc.uint8Array({ maxLength: 64 }), sentAt: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { requiredKeys: ['id', 'origin', 'payload', 'sentAt'] },
);
const wire: fc.Arbitrary<WireMessage> = fc.record(
  {
    type: text,
    peer: text,
    peers: fc.array(text, { maxLength: 8 }),
    ttl: fc.integer({ min: 0, max: 1000 }),
    high: fc.boolean(),
    accepted: fc.boolean(),
    id: text,
    ids: fc.array(text, { maxLength: 8 }),
    round: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    app,
    hops: fc.integer({ min: 0, max: 1000 }),
    route: fc.array(text, { maxLength: 8 }),
  },
  { requiredKeys: ['type'] },
);

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
    const base = { type: 'x', peers: [], ids: [], route: [], presentLists: 0 };
    expect(decodeWireMessage({ ...base, type: '' }).ok).to.equal(false);
    expect(decodeWireMessage({ ...base, peers: new Array<string>(MAX_LIST_LENGTH + 1).fill('a') }).ok).to.equal(false);
    expect(decodeWireMessage({ ...base, route: new Array<string>(MAX_LIST_LENGTH + 1).fill('a') }).ok).to.equal(false);
    expect(decodeWireMessage({ ...base, route: ['a'.repeat(MAX_STRING_LENGTH + 1)] }).ok).to.equal(false);
    expect(decodeWireMessage({ ...base, app: { id: '', origin: 'o', to: '', payload: Buffer.alloc(0), sentAt: 0 } }).ok).to.equal(false);
    expect(decodeWireMessage({ ...base, round: Number.NaN }).ok).to.equal(false);
  });
});
