import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import {
  FENCING_METADATA_KEY,
  MAX_FENCING_GENERATION,
  MAX_FENCING_HOLDER_LENGTH,
  formatFencingToken,
  parseFencingToken,
  readFencingToken,
  withFencingToken,
} from '../../../src/rpc/fencing.js';

describe('rpc/fencing: the x-topology-fencing token', () => {
  it('is "<leaseTransitions>/<holderIdentity>" and parses back, a holder may contain "/"', () => {
    expect(FENCING_METADATA_KEY).to.equal('x-topology-fencing');
    for (const token of [
      { generation: 0, holder: 'operator-0_1a2b3c4d' },
      { generation: 41, holder: 'ns/odd/holder' },
      { generation: MAX_FENCING_GENERATION, holder: 'x'.repeat(MAX_FENCING_HOLDER_LENGTH) },
    ]) {
      const value = formatFencingToken(token);
      expect(parseFencingToken(value)).to.deep.equal({ ok: true, token });
    }
    expect(formatFencingToken({ generation: 7, holder: 'op_1' })).to.equal('7/op_1');
  });

  it('refuses values outside the grammar with a reason naming the key, the part and the limit', () => {
    const refused: Array<[string, RegExp]> = [
      ['7', /must be "<generation>\/<holder>"/],
      ['/op', /generation must be a decimal integer 0\.\.2147483647, got ""/],
      ['-1/op', /generation must be a decimal integer/],
      ['07/op', /generation must be a decimal integer/],
      ['1e3/op', /generation must be a decimal integer/],
      ['2147483648/op', /generation must be a decimal integer 0\.\.2147483647, got "2147483648"/],
      ['99999999999/op', /generation must be a decimal integer/],
      ['3/', /holder must be 1\.\.262 printable ASCII characters without spaces, got 0 characters/],
      ['3/a b', /holder must be/],
      ['3/é', /holder must be .* "\?"/],
      [`3/${'x'.repeat(MAX_FENCING_HOLDER_LENGTH + 1)}`, /holder must be 1\.\.262 .* got 263 characters/],
    ];
    for (const [value, reason] of refused) {
      const r = parseFencingToken(value);
      expect(r.ok, value).to.equal(false);
      if (!r.ok) {
        expect(r.reason, value).to.match(reason);
        expect(r.reason, value).to.match(/^x-topology-fencing /);
        expect(r.reason.length, 'untrusted input is shown truncated').to.be.below(200);
      }
    }
  });

  it('reads none, one value, or refuses repeated or binary metadata', () => {
    expect(readFencingToken(new grpc.Metadata())).to.deep.equal({ ok: true, token: undefined });
    const one = withFencingToken(new grpc.Metadata(), { generation: 2, holder: 'b_2' });
    expect(readFencingToken(one)).to.deep.equal({ ok: true, token: { generation: 2, holder: 'b_2' } });
    expect(withFencingToken(new grpc.Metadata(), undefined).get(FENCING_METADATA_KEY)).to.deep.equal([]);
    const twice = new grpc.Metadata();
    twice.add(FENCING_METADATA_KEY, '1/a');
    twice.add(FENCING_METADATA_KEY, '2/b');
    const r = readFencingToken(twice);
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.reason).to.match(/at most once, got 2 values/);
  });
});
