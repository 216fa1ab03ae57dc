import { expect } from 'chai';
import fc from 'fast-check';
import { FullMesh, type FullMeshMessage } from '../../../src/overlays/full-mesh.js';
import type { AppMessage, OverlayOutput } from '../../../src/overlays/types.js';

type Out = OverlayOutput<FullMeshMessage, never>;
const app = (id: string, origin: string, to?: string): AppMessage =>
  to === undefined ? { id, origin, payload: new Uint8Array(), sentAt: 0 } : { id, origin, to, payload: new Uint8Array(), sentAt: 0 };
const sends = (out: Out[]) => out.filter((o) => o.kind === 'send').map((o) => [o.to, o.message.type]);
const kinds = (out: Out[]) => out.map((o) => (o.kind === 'send' ? `send:${o.to}:${o.message.type}` : 'peer' in o ? `${o.kind}:${o.peer}` : o.kind));

describe('FullMesh', () => {
  it('takes the members input as its view, reporting each change once', () => {
    const m = new FullMesh('a');
    expect(kinds(m.handle({ kind: 'join', contacts: [] }, 0))).to.deep.equal([]);
    expect(kinds(m.handle({ kind: 'members', members: ['a', 'b', 'c'] }, 0))).to.deep.equal(['neighborUp:b', 'neighborUp:c']);
    expect(kinds(m.handle({ kind: 'members', members: ['c', 'd', 'a'] }, 0))).to.deep.equal(['neighborDown:b', 'neighborUp:d']);
    expect(m.views()).to.deep.equal({ active: ['c', 'd'], passive: [] });
    expect(m.members()).to.deep.equal(['a', 'c', 'd']);
  });

  it('joins through a contact: asks it, links to every member it names, and they learn of the joiner', () => {
    const j = new FullMesh('j');
    expect(sends(j.handle({ kind: 'join', contacts: ['c'] }, 0))).to.deep.equal([['c', 'fullmesh.join']]);
    const c = new FullMesh('c');
    c.handle({ kind: 'members', members: ['c', 'x', 'y'] }, 0);
    const answer = c.handle({ kind: 'message', from: 'j', message: { type: 'fullmesh.join' } }, 1);
    expect(kinds(answer)).to.deep.equal(['neighborUp:j', 'send:j:fullmesh.members']);
    const list = (answer[1] as { message: FullMeshMessage }).message;
    expect(list).to.deep.equal({ type: 'fullmesh.members', peers: ['c', 'x', 'y'] });
    const out = j.handle({ kind: 'message', from: 'c', message: list }, 2);
    expect(kinds(out)).to.deep.equal(['neighborUp:c', 'neighborUp:x', 'send:x:fullmesh.hello', 'neighborUp:y', 'send:y:fullmesh.hello']);
    const x = new FullMesh('x');
    expect(kinds(x.handle({ kind: 'message', from: 'j', message: { type: 'fullmesh.hello' } }, 3))).to.deep.equal(['neighborUp:j']);
  });

  it('tries the next contact when the first one cannot be reached', () => {
    const j = new FullMesh('j');
    j.handle({ kind: 'join', contacts: ['j', 'c1', 'c2'] }, 0);
    expect(sends(j.handle({ kind: 'linkDown', peer: 'c1' }, 5))).to.deep.equal([['c2', 'fullmesh.join']]);
  });

  it('a contact tells a hello-ing member about the members it introduced recently', () => {
    const c = new FullMesh('c', { recentJoinWindowMs: 1000 });
    c.handle({ kind: 'message', from: 'j1', message: { type: 'fullmesh.join' } }, 0);
    const out = c.handle({ kind: 'message', from: 'j2', message: { type: 'fullmesh.hello' } }, 500);
    expect(out.filter((o) => o.kind === 'send').map((o) => (o as { message: FullMeshMessage }).message)).to.deep.equal([
      { type: 'fullmesh.members', peers: ['j1'] },
    ]);
    expect(sends(c.handle({ kind: 'message', from: 'j3', message: { type: 'fullmesh.hello' } }, 2000))).to.deep.equal([]);
  });

  it('broadcasts straight to every member and never delivers its own message', () => {
    const m = new FullMesh('a');
    m.handle({ kind: 'members', members: ['a', 'b', 'c', 'd'] }, 0);
    const out = m.handle({ kind: 'broadcast', message: app('a/1', 'a') }, 1);
    expect(sends(out)).to.deep.equal([
      ['b', 'fullmesh.app'],
      ['c', 'fullmesh.app'],
      ['d', 'fullmesh.app'],
    ]);
    expect(m.handle({ kind: 'message', from: 'b', message: { type: 'fullmesh.app', app: app('a/1', 'a'), hops: 0 } }, 2)).to.deep.equal([]);
    expect(m.counters().appDelivered).to.equal(0);
  });

  it('sends directly to the destination, even one outside the view', () => {
    const m = new FullMesh('a');
    expect(sends(m.handle({ kind: 'send', message: app('a/1', 'a', 'z') }, 0))).to.deep.equal([['z', 'fullmesh.app']]);
    const z = new FullMesh('z');
    const out = z.handle({ kind: 'message', from: 'a', message: { type: 'fullmesh.app', app: app('a/1', 'a', 'z'), hops: 0 } }, 1);
    expect(kinds(out)).to.deep.equal(['neighborUp:a', 'deliver']);
    expect(out[1]).to.include({ kind: 'deliver', from: 'a', hops: 1 });
  });

  it('drops a member on linkDown and takes it back on evidence it is alive', () => {
    const m = new FullMesh('a');
    m.handle({ kind: 'members', members: ['a', 'b'] }, 0);
    expect(kinds(m.handle({ kind: 'linkDown', peer: 'b' }, 1))).to.deep.equal(['neighborDown:b']);
    expect(m.views().active).to.deep.equal([]);
    expect(kinds(m.handle({ kind: 'message', from: 'b', message: { type: 'fullmesh.hello' } }, 2))).to.deep.equal(['neighborUp:b']);
    m.handle({ kind: 'linkDown', peer: 'b' }, 3);
    expect(kinds(m.handle({ kind: 'members', members: ['a', 'b'] }, 4))).to.deep.equal(['neighborUp:b']);
  });

  it('leaves by telling every member, then ignores everything', () => {
    const m = new FullMesh('a');
    m.handle({ kind: 'members', members: ['a', 'b', 'c'] }, 0);
    expect(kinds(m.handle({ kind: 'leave' }, 1))).to.deep.equal(['send:b:fullmesh.leave', 'neighborDown:b', 'send:c:fullmesh.leave', 'neighborDown:c']);
    expect(m.handle({ kind: 'members', members: ['a', 'b'] }, 2)).to.deep.equal([]);
    const b = new FullMesh('b');
    b.handle({ kind: 'members', members: ['a', 'b'] }, 0);
    expect(kinds(b.handle({ kind: 'message', from: 'a', message: { type: 'fullmesh.leave' } }, 1))).to.deep.equal(['neighborDown:a']);
  });

  it('property: delivers each message id exactly once whatever the duplicates and order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.constantFrom('b', 'c', 'd')), { maxLength: 200 }), (arrivals) => {
        const m = new FullMesh('a', { dedupCapacity: 64 });
        const delivered: string[] = [];
        for (const [n, from] of arrivals) {
          for (const o of m.handle({ kind: 'message', from, message: { type: 'fullmesh.app', app: app(`x/${n}`, 'x'), hops: 0 } }, 0)) {
            if (o.kind === 'deliver') delivered.push(o.message.id);
          }
        }
        expect(delivered).to.deep.equal([...new Set(arrivals.map(([n]) => `x/${n}`))]);
        expect(m.counters().appDelivered + m.counters().duplicatesDropped).to.equal(arrivals.length);
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it('property: the view is the last member list minus self, minus links that went down since', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const step = fc.oneof(
      fc.record({ kind: fc.constant('members' as const), members: fc.subarray(ids) }),
      fc.record({ kind: fc.constant('linkDown' as const), peer: fc.constantFrom(...ids) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const m = new FullMesh('a');
        const model = new Set<string>();
        let ups = 0;
        let downs = 0;
        for (const s of steps) {
          for (const o of m.handle(s, 0)) {
            if (o.kind === 'neighborUp') ups++;
            if (o.kind === 'neighborDown') downs++;
          }
          if (s.kind === 'members') {
            model.clear();
            for (const p of s.members) if (p !== 'a') model.add(p);
          } else model.delete(s.peer);
          expect(new Set(m.views().active)).to.deep.equal(model);
        }
        expect(ups - downs).to.equal(model.size);
      }),
      { seed: 4, numRuns: 300 },
    );
  });
});
