import { expect } from 'chai';
import fc from 'fast-check';
import { connected } from '../../../src/overlays/components.js';
import { plannedNeighbors } from '../../../src/overlays/hyparview-plan.js';
import { HyParView, type HyParViewOutput } from '../../../src/overlays/hyparview.js';
import { SeededRandom } from '../../../src/overlays/random.js';
import type { NodeId } from '../../../src/overlays/types.js';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}:7070`);

/** The planned graph as an adjacency map, computed by every member on its own. */
function graph(members: readonly string[], degree: number): Map<string, string[]> {
  return new Map(members.map((m) => [m, plannedNeighbors(m, members, degree)]));
}

describe('plannedNeighbors (the first HyParView links when the member list is known)', () => {
  it('is symmetric, bounded by the degree, connected, and the same whatever the list order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 120 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (n, degree, shuffleSeed) => {
        const members = names(n);
        const g = graph(members, degree);
        for (const [m, ns] of g) {
          expect(ns.length).to.be.at.most(degree);
          expect(ns).to.not.include(m);
          expect(new Set(ns).size).to.equal(ns.length);
          for (const x of ns) expect(g.get(x), `${x} lists ${m} back`).to.include(m);
        }
        if (degree >= 2 || n === 2) expect(connected(members, g), 'connected').to.equal(true);
        const r = new SeededRandom(shuffleSeed);
        const reordered = [...members].sort(() => r.float() - 0.5);
        for (const m of members) expect(plannedNeighbors(m, reordered, degree)).to.have.members(g.get(m) as string[]);
      }),
      { numRuns: 60 },
    );
  });

  it('gives most members the full degree at 200 members (duplicate draws are rare)', () => {
    const g = graph(names(200), 5);
    const full = [...g.values()].filter((ns) => ns.length === 5).length;
    expect(full).to.be.at.least(190);
    expect([...g.values()].reduce((s, ns) => s + ns.length, 0) / 2).to.be.within(490, 500);
  });

  it('plans nothing for a member missing from the list or a list of one', () => {
    expect(plannedNeighbors('x', ['a', 'b', 'c'], 5)).to.deep.equal([]);
    expect(plannedNeighbors('a', ['a'], 5)).to.deep.equal([]);
  });
});

describe('HyParView started with the member list', () => {
  const sends = (outs: HyParViewOutput[]): { to: NodeId; type: string; high?: boolean }[] =>
    outs.flatMap((o) => (o.kind === 'send' ? [{ to: o.to, type: o.message.type, ...('high' in o.message ? { high: o.message.high } : {}) }] : []));

  it('asks its planned neighbours with a larger address (high priority), waits for the smaller ones, seeds the passive view, and sends no join', () => {
    const members = names(40);
    const self = members[17] as string;
    const n = new HyParView(self, new SeededRandom(1), {});
    const outs = n.handle({ kind: 'join', contacts: [members[0] as string], members }, 0);
    const planned = plannedNeighbors(self, members, 5);
    expect(sends(outs)).to.have.deep.members(planned.filter((p) => self < p).map((to) => ({ to, type: 'hyparview.neighbor', high: true })));
    expect(n.views().active).to.deep.equal([]);
    expect(n.views().passive.length).to.equal(30);
    for (const p of n.views().passive) expect(planned).to.not.include(p);
    // The member list that follows does not make it ask anyone else: the planned slots are held.
    expect(sends(n.handle({ kind: 'members', members }, 1))).to.deep.equal([]);
  });

  it('a planned neighbour that asks is accepted; one that stays silent is asked after neighborRequestTimeoutMs', () => {
    const members = names(40);
    const planned = (m: string): string[] => plannedNeighbors(m, members, 5);
    // A member with at least two planned neighbours of smaller address.
    const self = members.find((m) => planned(m).filter((p) => p < m).length >= 2) as string;
    const smaller = planned(self).filter((p) => p < self);
    const n = new HyParView(self, new SeededRandom(2), { repairIntervalMs: 1000, neighborRequestTimeoutMs: 5000 });
    n.handle({ kind: 'join', contacts: [], members }, 0);
    const first = smaller[0] as string;
    const reply = n.handle({ kind: 'message', from: first, message: { type: 'hyparview.neighbor', high: true } }, 100);
    expect(sends(reply)).to.deep.equal([{ to: first, type: 'hyparview.neighborReply' }]);
    expect(n.views().active).to.include(first);
    // Before the timeout the silent ones are left alone; after it they are asked, once.
    expect(sends(n.handle({ kind: 'timer', timer: { kind: 'hyparview.repair' } }, 4000)).filter((s) => s.type === 'hyparview.neighbor')).to.deep.equal([]);
    const later = sends(n.handle({ kind: 'timer', timer: { kind: 'hyparview.repair' } }, 5000)).filter((s) => s.type === 'hyparview.neighbor');
    expect(later.map((s) => s.to)).to.include.members(smaller.slice(1));
    expect(later.map((s) => s.to)).to.not.include(first);
    for (const s of later.filter((x) => smaller.includes(x.to))) expect(s.high, `request to ${s.to}`).to.equal(true);
    expect(later.filter((x) => smaller.includes(x.to))).to.have.length(smaller.length - 1);
  });
});
