import { expect } from 'chai';
import fc from 'fast-check';
import * as grpc from '@grpc/grpc-js';
import {
  addressRefusal,
  checkPeerAddressList,
  MAX_PEER_ADDRESS_LENGTH,
  parsePeerAddress,
  quoteValue,
  QUOTED_VALUE_LIMIT,
} from '../../../src/rpc/peer-address.js';

/** The refusal reason of `input`, which must be refused. */
function reason(input: unknown): string {
  const r = parsePeerAddress(input);
  expect(r.ok, `refused: ${String(input)}`).to.equal(false);
  return r.ok ? '' : r.reason;
}

describe('peer address grammar', () => {
  it('accepts IPv4 dotted quads, bracketed IPv6 and RFC 1123 names with a port 1-65535', () => {
    for (const [text, host, port, family] of [
      ['127.0.0.1:7070', '127.0.0.1', 7070, 'ipv4'],
      ['0.0.0.0:1', '0.0.0.0', 1, 'ipv4'],
      ['255.255.255.255:65535', '255.255.255.255', 65535, 'ipv4'],
      ['[::1]:7070', '::1', 7070, 'ipv6'],
      ['[fd00:10:244::5]:7070', 'fd00:10:244::5', 7070, 'ipv6'],
      ['[::ffff:10.0.0.1]:80', '::ffff:10.0.0.1', 80, 'ipv6'],
      ['localhost:7070', 'localhost', 7070, 'dns'],
      ['topology-sidecar.chat.svc:7070', 'topology-sidecar.chat.svc', 7070, 'dns'],
      ['a-1.b2.c:9', 'a-1.b2.c', 9, 'dns'],
      ['1.2.3.example:9', '1.2.3.example', 9, 'dns'],
    ] as const) {
      expect(parsePeerAddress(text), text).to.deep.equal({ ok: true, value: { text, host, port, family } });
    }
  });

  it('refuses what is no host:port address, saying why', () => {
    expect(reason(undefined)).to.equal('missing');
    expect(reason(7070)).to.equal('not a string but number');
    expect(reason('')).to.equal('empty');
    expect(reason('a b:1')).to.equal('contains whitespace or a control character');
    expect(reason('x\ny')).to.equal('contains whitespace or a control character');
    expect(reason('10.0.0.1:7070\u0000')).to.equal('contains whitespace or a control character');
    expect(reason('héllo:1')).to.equal('contains a non-ASCII character');
    expect(reason('::::')).to.equal('an IPv6 address must be in brackets, as in [::1]:7070');
    expect(reason('::1')).to.match(/brackets/);
    expect(reason('127.0.0.1')).to.equal('no ":port"');
    expect(reason(':7070')).to.equal('no host before ":port"');
    expect(reason('127.0.0.1:')).to.equal('no port after ":"');
    expect(reason('127.0.0.1:99999999')).to.equal('port 99999999 is out of range 1-65535');
    expect(reason('127.0.0.1:65536')).to.equal('port 65536 is out of range 1-65535');
    expect(reason('127.0.0.1:0')).to.equal('port 0 is out of range 1-65535');
    expect(reason('127.0.0.1:07070')).to.equal('port "07070" has a leading zero');
    expect(reason('127.0.0.1:-1')).to.equal('port "-1" is not a decimal number');
    expect(reason('256.0.0.1:1')).to.equal('octet 256 is out of range 0-255');
    expect(reason('127.0.0.01:1')).to.equal('octet "01" has a leading zero');
    expect(reason('127.0.1:1')).to.equal('"127.0.1" is not a dotted quad (four octets)');
    expect(reason('1..2.3:1')).to.equal('"1..2.3" has an empty octet');
    expect(reason('[::1:7070')).to.equal('an opening "[" without its "]"');
    expect(reason('[::1]7070')).to.equal('no ":port" after the bracketed IPv6 address');
    expect(reason('[fe80::1%eth0]:1')).to.equal('an IPv6 zone id is not allowed');
    expect(reason('[1.2.3.4]:1')).to.equal('"1.2.3.4" is not an IPv6 address');
    expect(reason('[::::]:1')).to.equal('"::::" is not an IPv6 address');
    expect(reason('-bad.example:1')).to.match(/label "-bad" is not letters, digits and inner hyphens/);
    expect(reason('bad_name.svc:1')).to.match(/label "bad_name"/);
    expect(reason('a..b:1')).to.equal('host name has an empty label');
    expect(reason(`${'a'.repeat(64)}.svc:1`)).to.equal('host name label of 64 characters, more than 63');
    expect(reason('example.123:1')).to.equal('the last label of a host name must not be all digits');
    expect(reason('unix:7070')).to.equal('"unix" is a gRPC resolver scheme, not a host');
    expect(reason('DNS:7070')).to.equal('"DNS" is a gRPC resolver scheme, not a host');
    const long = `${'a'.repeat(63)}.`.repeat(4) + 'svc:1';
    expect(reason(long)).to.equal(`${long.length} characters, more than ${MAX_PEER_ADDRESS_LENGTH}`);
  });

  it('never throws, and every address it accepts is a target gRPC takes without throwing', () => {
    const chars = fc.constantFrom(...'0123456789abcdef.:[]%- \n\t\u0000éAZ_/'.split(''));
    const candidates = fc.oneof(
      fc.string({ unit: chars, maxLength: 40 }),
      fc.tuple(fc.ipV4(), fc.integer({ min: -5, max: 70_000 })).map(([h, p]) => `${h}:${p}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 70_000 })).map(([h, p]) => `[${h}]:${p}`),
      fc.tuple(fc.domain(), fc.integer({ min: 0, max: 70_000 })).map(([h, p]) => `${h}:${p}`),
      fc.anything(),
    );
    fc.assert(
      fc.property(candidates, (input) => {
        const r = parsePeerAddress(input);
        if (!r.ok) return;
        expect(r.value.port).to.be.within(1, 65535);
        const client = new grpc.Client(r.value.text, grpc.credentials.createInsecure());
        client.close();
      }),
      { numRuns: 500, seed: 1313 },
    );
  });

  it('quotes refused values with escapes and a length cut, so nothing unprintable reaches an error message', () => {
    expect(quoteValue('x\ny')).to.equal('"x\\ny"');
    expect(quoteValue('a"b\\c\u0007é')).to.equal('"a\\"b\\\\c\\u0007\\u00e9"');
    expect(quoteValue(undefined)).to.equal('(missing)');
    const long = quoteValue('a'.repeat(500));
    expect(long).to.equal(`"${'a'.repeat(QUOTED_VALUE_LIMIT)}"… (500 characters)`);
    expect(addressRefusal('Send.to', 'a b', 'contains whitespace or a control character')).to.equal(
      'Send.to "a b": not a host:port address (contains whitespace or a control character)',
    );
  });

  it('checks a list: the first bad entry by index, or the limit', () => {
    expect(checkPeerAddressList('Prepare.members', ['10.0.0.1:1', '10.0.0.2:1'], 10)).to.deep.equal({ ok: true });
    expect(checkPeerAddressList('Prepare.members', ['10.0.0.1:1', 'a b'], 10)).to.deep.equal({
      ok: false,
      tooMany: false,
      reason: 'Prepare.members[1] "a b": not a host:port address (contains whitespace or a control character)',
    });
    expect(checkPeerAddressList('SetMembers.members', ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'], 2)).to.deep.equal({
      ok: false,
      tooMany: true,
      reason: 'SetMembers.members: 3 entries, more than the limit of 2',
    });
  });
});
