// The fuzz suite's hand-written protobuf encoder (test/integration/support/proto-wire.ts) against
// the sidecar's own decoder (proto-loader): what the fuzzer means to send is what the sidecar
// reads, the out-of-range values decode as protobuf says they do, and the "undecodable" bytes are
// refused by every request and frame type.
import { expect } from 'chai';
import fc from 'fast-check';
import { loadProto } from '../../../src/rpc/proto.js';
import { bytes, double, encodeFields, undecodable, varint, type UndecodableKind } from '../../integration/support/proto-wire.js';
import { classifyAddress, epochTextIsValid } from '../../integration/support/fuzz-addresses.js';

describe('fuzz suite: protobuf wire writer and oracles', () => {
  const t = loadProto().topology.v1;

  it('writes a PrepareRequest the sidecar decodes field for field', () => {
    const req = encodeFields([
      varint(1, 7),
      varint(2, 2),
      bytes(3, [bytes(1, [varint(1, 5), varint(5, 10_000)])]),
      bytes(4, '127.0.0.1:1'),
      bytes(4, '127.0.0.2:1'),
      bytes(5, ''),
      varint(6, 42),
    ]);
    const d = t.PrepareRequest.deserialize(req);
    expect(d.epoch).to.equal(7);
    expect(d.topology).to.equal('HYPAR_VIEW');
    expect(d.params?.hyparview?.activeViewSize).to.equal(5);
    expect(d.params?.hyparview?.shuffleIntervalMs).to.equal(10_000);
    expect(d.members).to.deep.equal(['127.0.0.1:1', '127.0.0.2:1']);
    expect(d.contacts).to.deep.equal(['']);
    expect(d.seed).to.equal(42);
  });

  it('writes uint64 corners, negative int32s, out-of-range enums and doubles as protobuf defines them', () => {
    expect(t.EpochRequest.deserialize(encodeFields([varint(1, 2n ** 53n - 1n)])).epoch).to.equal(Number.MAX_SAFE_INTEGER);
    expect(Number.isSafeInteger(t.EpochRequest.deserialize(encodeFields([varint(1, -1n)])).epoch)).to.equal(false);
    expect(t.PrepareRequest.deserialize(encodeFields([varint(2, 1000)])).topology).to.equal(1000);
    // A uint32 field keeps the low 32 bits of a larger varint.
    expect(t.ProbeRequest.deserialize(encodeFields([varint(2, 2n ** 32n + 3n)])).count).to.equal(3);
    const frame = t.PeerFrame.deserialize(encodeFields([varint(1, 3), bytes(3, [bytes(1, 'x'), varint(4, -5), double(9, Number.NaN)])]));
    expect(frame.body).to.equal('message');
    expect(frame.message?.ttl).to.equal(-5);
    expect(Number.isNaN(frame.message?.round)).to.equal(true);
  });

  it('makes bytes that no request or frame type decodes, whatever comes before them', () => {
    const types = [
      t.MembersRequest,
      t.SendRequest,
      t.BroadcastRequest,
      t.SubscribeRequest,
      t.GetStateRequest,
      t.GetMetricsRequest,
      t.PrepareRequest,
      t.EpochRequest,
      t.SetMembersRequest,
      t.ProbeRequest,
      t.PeerFrame,
    ];
    fc.assert(
      fc.property(fc.constantFrom<UndecodableKind>('truncated-length', 'bad-wire-type', 'truncated-varint'), fc.constantFrom(...types), (how, type) => {
        expect(() => type.deserialize(undecodable(how)), how).to.throw();
        expect(() => type.deserialize(undecodable(how, encodeFields([varint(1, 1)]))), how).to.throw();
      }),
      { seed: 1313 },
    );
  });

  it('classifies addresses: an IP literal and a port is valid, what cannot be a host:port is invalid, names are left open', () => {
    for (const a of ['127.0.0.1:1', '127.9.250.2:65535', '[::1]:7070']) expect(classifyAddress(a), a).to.equal('valid');
    for (const a of [
      '',
      ' ',
      'x\ny',
      'a b',
      '::::',
      '127.0.0.1',
      '127.0.0.1:',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '127.0.0.1:99999999',
      '[::1]',
      'unix:/x',
      ':1',
    ])
      expect(classifyAddress(a), JSON.stringify(a)).to.equal('invalid');
    for (const a of ['localhost:1', '127.0.0.1:01']) expect(classifyAddress(a), a).to.equal('unsure');
  });

  it('accepts only positive decimal safe integers as epoch metadata', () => {
    for (const e of ['1', '42', '9007199254740991']) expect(epochTextIsValid(e), e).to.equal(true);
    for (const e of ['', '0', '-1', '1.5', '1e3', '0x10', ' 1', '01', '9007199254740992']) expect(epochTextIsValid(e), e).to.equal(false);
  });
});
