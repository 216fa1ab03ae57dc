import { expect } from 'chai';
import fc from 'fast-check';
import { components, connected, incompleteMeshMembers, mutualLinks } from '../../../src/overlays/components.js';

const views = (entries: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(entries));

describe('components (the one graph helper)', () => {
  it('has no component for no nodes, and one of its own for a single node', () => {
    expect(components([], new Map())).to.deep.equal([]);
    expect(connected([], new Map())).to.equal(true);
    expect(components(['a'], new Map())).to.deep.equal([['a']]);
    expect(components(['a'], views({ a: ['a'] }))).to.deep.equal([['a']]);
    expect(connected(['a'], new Map())).to.equal(true);
  });

  it('finds two pieces, and takes a link listed by one end only as joining both', () => {
    const v = views({ a: ['b'], c: ['d'], d: [] });
    expect(components(['a', 'b', 'c', 'd'], v)).to.deep.equal([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(connected(['a', 'b', 'c', 'd'], v)).to.equal(false);
    expect(connected(['a', 'b', 'c', 'd'], views({ a: ['b'], b: ['c'], d: ['c'] }))).to.equal(true);
  });

  it('ignores links to nodes outside the list and views of nodes outside it', () => {
    // x is not a member: a-x-b does not join a and b, and x's own view is not read.
    const v = views({ a: ['x'], b: ['x'], x: ['a', 'b'] });
    expect(components(['a', 'b'], v)).to.deep.equal([['a'], ['b']]);
    expect(components(['a', 'b'], views({ x: ['a', 'b'] }))).to.deep.equal([['a'], ['b']]);
  });

  it('orders components largest first, ties by their first node, and nodes as listed', () => {
    const v = views({ e: ['d'], b: ['f'], c: ['a', 'g'] });
    expect(components(['g', 'e', 'f', 'a', 'b', 'c', 'd', 'h'], v)).to.deep.equal([['g', 'a', 'c'], ['e', 'd'], ['f', 'b'], ['h']]);
  });

  it('partitions the nodes: every node in exactly one component, each linked pair in the same one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.array(fc.tuple(fc.nat(40), fc.nat(40)), { maxLength: 60 }), (n, edges) => {
        const nodes = Array.from({ length: n }, (_, i) => i);
        const v = new Map<number, number[]>();
        for (const [x, y] of edges) v.set(x, [...(v.get(x) ?? []), y]);
        const pieces = components(nodes, v);
        expect(pieces.flat().sort((x, y) => x - y)).to.deep.equal(nodes);
        const pieceOf = new Map(pieces.flatMap((p, i) => p.map((node) => [node, i] as const)));
        for (const [x, y] of edges) if (x < n && y < n) expect(pieceOf.get(x)).to.equal(pieceOf.get(y));
        for (let i = 1; i < pieces.length; i++) expect((pieces[i - 1] as number[]).length).to.be.at.least((pieces[i] as number[]).length);
      }),
      { seed: 58, numRuns: 200 },
    );
  });
});

describe('mutualLinks', () => {
  it('keeps only the links both ends list, in view order, for the components of agreed links', () => {
    const v = views({ a: ['b', 'c', 'x'], b: ['a'], c: ['d'], d: ['c', 'a'] });
    const mutual = mutualLinks(v);
    expect([...mutual]).to.deep.equal([
      ['a', ['b']],
      ['b', ['a']],
      ['c', ['d']],
      ['d', ['c']],
    ]);
    expect(components(['a', 'b', 'c', 'd'], v)).to.have.length(1);
    expect(components(['a', 'b', 'c', 'd'], mutual)).to.deep.equal([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});

describe('incompleteMeshMembers', () => {
  it('lists the members whose view lacks another member, ignoring self and outsiders', () => {
    const members = ['a', 'b', 'c'];
    expect(incompleteMeshMembers(members, views({ a: ['b', 'c'], b: ['a', 'c', 'x'], c: ['a', 'b'] }))).to.deep.equal([]);
    expect(incompleteMeshMembers(members, views({ a: ['b', 'c'], b: ['a'], c: ['a', 'b', 'c'] }))).to.deep.equal(['b']);
    expect(incompleteMeshMembers(members, views({ a: ['b', 'c'] }))).to.deep.equal(['b', 'c']);
  });
});
