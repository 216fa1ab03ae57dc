import { expect } from 'chai';
import fc from 'fast-check';
import { SeededRandom, sample } from '../../../src/overlays/random.js';
import { SeenIds } from '../../../src/overlays/dedup.js';

describe('SeededRandom', () => {
  it('reproduces the same stream for the same seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const sa = Array.from({ length: 20 }, () => a.next32());
    const sb = Array.from({ length: 20 }, () => b.next32());
    const sc = Array.from({ length: 20 }, () => c.next32());
    expect(sa).to.deep.equal(sb);
    expect(sa).to.not.deep.equal(sc);
  });

  it('int(n) stays in [0, n) and is roughly uniform', () => {
    const r = new SeededRandom(7);
    const counts = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = r.int(10);
      if (v < 0 || v > 9 || !Number.isInteger(v)) outOfRange++;
      else counts[v]! += 1;
    }
    expect(outOfRange).to.equal(0);
    for (const c of counts) expect(c).to.be.within(9_500, 10_500);
  });

  it('sample returns k distinct members of the input', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { maxLength: 50 }), fc.nat(60), fc.integer(), (items, k, seed) => {
        const picked = sample(new SeededRandom(seed), items, k);
        expect(picked.length).to.equal(Math.min(k, items.length));
        expect(new Set(picked).size).to.equal(picked.length);
        for (const p of picked) expect(items).to.include(p);
      }),
      { seed: 1, numRuns: 200 },
    );
  });
});

describe('SeenIds', () => {
  it('reports a repeated id as seen', () => {
    const s = new SeenIds(4);
    expect(s.checkAndAdd('a')).to.equal(false);
    expect(s.checkAndAdd('a')).to.equal(true);
  });

  it('never holds more than its capacity and forgets the oldest first', () => {
    const s = new SeenIds(3);
    for (const id of ['a', 'b', 'c', 'd']) s.checkAndAdd(id);
    expect(s.size).to.equal(3);
    expect(s.has('a')).to.equal(false);
    expect(s.has('d')).to.equal(true);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new SeenIds(0)).to.throw(RangeError, /positive integer/);
  });
});

describe('SeenIds eviction order over many wraps', () => {
  it('remembers exactly the last `capacity` ids', () => {
    const s = new SeenIds(5);
    for (let i = 0; i < 23; i++) s.checkAndAdd(`m${i}`);
    const remembered = Array.from({ length: 23 }, (_, i) => `m${i}`).filter((id) => s.has(id));
    expect(remembered).to.deep.equal(['m18', 'm19', 'm20', 'm21', 'm22']);
  });
});
