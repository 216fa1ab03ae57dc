import { expect } from 'chai';
import fc from 'fast-check';
import { DeliveryRecord } from '../../../src/overlays/sim/delivery-record.js';
import { broadcastStats, mean, percentile } from '../../../src/overlays/sim/metrics.js';
import { LinkTable } from '../../../src/overlays/sim/link-table.js';

describe('sim metrics', () => {
  it('computes reliability over live members, RMR from payload copies and LDH from the last delivery', () => {
    const r = new DeliveryRecord('o/1', 'o', undefined, 0, 5);
    r.add('a', 3, 1);
    r.add('b', 7, 2);
    r.add('a', 8, 3);
    r.add('c', 9, 3);
    r.payloadReceived = 6;
    const alive = new Set(['o', 'a', 'b', 'c', 'd']);
    const s = broadcastStats(r, alive.size, (n) => alive.has(n));
    expect(s).to.deep.equal({ reliability: 0.75, rmr: 6 / 4 - 1, ldh: 3, expected: 4, delivered: 3, duplicates: 1 });
    expect(r.has('b')).to.equal(true);
    expect(r.count).to.equal(3);
    // A receiver that has crashed since no longer counts, on either side of the fraction.
    alive.delete('c');
    expect(broadcastStats(r, alive.size, (n) => alive.has(n)).reliability).to.equal(2 / 3);
  });

  it('percentile is nearest-rank; mean of nothing is 0', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).to.equal(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).to.equal(5);
    expect(percentile([], 50)).to.equal(0);
    expect(mean([])).to.equal(0);
  });
});

describe('sim LinkTable', () => {
  it('keeps every record and its fields across growth', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.nat(500), fc.nat(500)), { minLength: 1, maxLength: 400, selector: ([a, b]) => `${a},${b}` }), (pairs) => {
        const t = new LinkTable(4);
        pairs.forEach(([a, b], i) => {
          const s = t.slot(a, b);
          t.open(s, i);
          t.lastArrival[s] = i * 1.5;
        });
        pairs.forEach(([a, b], i) => {
          const s = t.find(a, b);
          expect(s).to.be.at.least(0);
          expect([t.peerInc[s], t.lastArrival[s], t.state[s], t.peerOf(s)]).to.deep.equal([i, i * 1.5, LinkTable.OPEN, b]);
        });
        expect(t.find(501, 0)).to.equal(-1);
        const owned: number[] = [];
        t.forEachOf(pairs[0]![0], (_s, peer) => owned.push(peer));
        expect(owned).to.deep.equal(pairs.filter(([a]) => a === pairs[0]![0]).map(([, b]) => b));
      }),
      { seed: 12, numRuns: 60 },
    );
  });
});
