import { expect } from 'chai';
import { overlayFormed } from '../../../src/fleet/fleet-control.js';
import { connected as activeViewsConnected, incompleteMeshMembers } from '../../../src/overlays/components.js';
import { auditDeliveries } from '../../../src/fleet/app-traffic.js';
import { LatencyWindow, quantile } from '../../../src/sidecar/latency-window.js';

describe('activeViewsConnected', () => {
  it('accepts a connected graph and rejects islands or isolated members', () => {
    const ms = ['a', 'b', 'c', 'd'];
    expect(
      activeViewsConnected(
        ms,
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['d']],
          ['d', []],
        ]),
      ),
    ).to.equal(true);
    expect(
      activeViewsConnected(
        ms,
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', ['d']],
          ['d', ['c']],
        ]),
      ),
    ).to.equal(false);
    expect(
      activeViewsConnected(
        ms,
        new Map([
          ['a', ['b', 'c']],
          ['b', []],
          ['c', []],
          ['d', ['x']],
        ]),
      ),
    ).to.equal(false);
    expect(activeViewsConnected(['a'], new Map())).to.equal(true);
  });
});

describe('overlayFormed', () => {
  const ms = ['a', 'b', 'c'];
  const chain = new Map([
    ['a', ['b']],
    ['b', ['a', 'c']],
    ['c', ['b']],
  ]);
  const mesh = new Map([
    ['a', ['b', 'c']],
    ['b', ['a', 'c']],
    ['c', ['a', 'b']],
  ]);

  it('a FullMesh is formed only once every member links every other; a connected chain is not enough', () => {
    expect(activeViewsConnected(ms, chain)).to.equal(true);
    expect(overlayFormed('FullMesh', ms, chain)).to.equal(false);
    expect(incompleteMeshMembers(ms, chain)).to.deep.equal(['a', 'c']);
    expect(overlayFormed('FullMesh', ms, mesh)).to.equal(true);
    expect(incompleteMeshMembers(ms, mesh)).to.deep.equal([]);
  });

  it('gossip overlays and ClientServer are formed once the graph is connected', () => {
    for (const kind of ['HyParView', 'PubSub', 'ClientServer'] as const) {
      expect(overlayFormed(kind, ms, chain), kind).to.equal(true);
      expect(
        overlayFormed(
          kind,
          ms,
          new Map([
            ['a', ['b']],
            ['b', ['a']],
            ['c', []],
          ]),
        ),
        kind,
      ).to.equal(false);
    }
    // Unknown kind (no member reported the epoch yet): the connectivity rule.
    expect(overlayFormed(undefined, ms, chain)).to.equal(true);
  });

  it('a member missing from the views counts as not linked', () => {
    expect(
      incompleteMeshMembers(
        ms,
        new Map([
          ['a', ['b', 'c']],
          ['b', ['a', 'c']],
        ]),
      ),
    ).to.deep.equal(['c']);
  });
});

describe('auditDeliveries', () => {
  it('counts lost and duplicated deliveries for broadcasts and sends', () => {
    const sent = [
      { id: 'b1', origin: 'a', to: undefined, epoch: 1, sentAt: 0 },
      { id: 's1', origin: 'a', to: 'c', epoch: 2, sentAt: 0 },
    ];
    const received = new Map([
      ['a', new Map<string, number>()],
      ['b', new Map([['b1', 1]])],
      ['c', new Map([['s1', 2]])],
    ]);
    const audit = auditDeliveries(sent, received);
    expect(audit.expectedDeliveries).to.equal(3);
    expect(audit.lost).to.equal(1);
    expect(audit.duplicated).to.equal(1);
    expect(audit.lostExamples[0]).to.contain('b1');
  });
});

describe('LatencyWindow', () => {
  it('keeps a bounded window, nearest-rank quantiles and an EWMA', () => {
    const w = new LatencyWindow(100, 0.5);
    for (let i = 1; i <= 1000; i++) w.add(i);
    expect(w.count).to.equal(1000);
    expect(w.quantile(0.5)).to.equal(950);
    expect(w.quantile(1)).to.equal(1000);
    expect(w.ewma()).to.be.closeTo(999, 1);
    expect(quantile([], 0.99)).to.equal(0);
    expect(quantile([3, 1, 2], 0.99)).to.equal(3);
  });
});
