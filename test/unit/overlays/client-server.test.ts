import { expect } from 'chai';
import fc from 'fast-check';
import { ClientServer, rendezvousHome, type ClientServerMessage } from '../../../src/overlays/client-server.js';
import type { AppMessage, OverlayOutput } from '../../../src/overlays/types.js';

type Out = OverlayOutput<ClientServerMessage, never>;
const app = (id: string, origin: string, to?: string): AppMessage =>
  to === undefined ? { id, origin, payload: new Uint8Array(), sentAt: 0 } : { id, origin, to, payload: new Uint8Array(), sentAt: 0 };
const sends = (out: Out[]) =>
  out
    .filter((o): o is Extract<Out, { kind: 'send' }> => o.kind === 'send')
    .map((o) => [o.to, o.message.type, 'high' in o.message ? o.message.high : 'hops' in o.message ? o.message.hops : undefined]);
const delivered = (out: Out[]) => out.filter((o): o is Extract<Out, { kind: 'deliver' }> => o.kind === 'deliver').map((o) => [o.message.id, o.hops]);
const SERVERS = ['s1', 's2', 's3'];

/** A client attached to SERVERS; returns it and its home. */
function client(id: string): { c: ClientServer; home: string } {
  const c = new ClientServer(id, { servers: SERVERS });
  c.handle({ kind: 'join', contacts: [] }, 0);
  return { c, home: c.homeServer as string };
}

describe('ClientServer', () => {
  it('rendezvous homes are stable, spread out, and losing a server moves only its clients', () => {
    const clients = Array.from({ length: 3000 }, (_, i) => `c${i}`);
    const homes = clients.map((c) => rendezvousHome(c, SERVERS));
    for (const s of SERVERS) expect(homes.filter((h) => h === s).length).to.be.within(850, 1150);
    const after = clients.map((c) => rendezvousHome(c, ['s1', 's3']));
    clients.forEach((_, i) => {
      if (homes[i] !== 's2') expect(after[i]).to.equal(homes[i]);
      else expect(after[i]).to.be.oneOf(['s1', 's3']);
    });
    expect(rendezvousHome('c', [])).to.equal(undefined);
  });

  it('a client attaches to every server and registers with exactly one home', () => {
    const c = new ClientServer('c1', { servers: SERVERS });
    const out = c.handle({ kind: 'join', contacts: [] }, 0);
    const home = rendezvousHome('c1', SERVERS);
    expect(sends(out).sort()).to.deep.equal(SERVERS.map((s) => [s, 'clientserver.register', s === home]).sort());
    expect(c.views().active.slice().sort()).to.deep.equal(SERVERS);
    expect(c.homeServer).to.equal(home);
    expect(c.isServer).to.equal(false);
  });

  it('servers mesh among themselves and serve registered clients and their rendezvous clients', () => {
    const s = new ClientServer('s1', { servers: SERVERS });
    expect(sends(s.handle({ kind: 'join', contacts: [] }, 0))).to.deep.equal([
      ['s2', 'clientserver.hello', undefined],
      ['s3', 'clientserver.hello', undefined],
    ]);
    const names = Array.from({ length: 50 }, (_, i) => `c${i}`);
    const elsewhere = names.find((c) => rendezvousHome(c, SERVERS) !== 's1') as string;
    const here = names.find((c) => rendezvousHome(c, SERVERS) === 's1') as string;
    s.handle({ kind: 'message', from: elsewhere, message: { type: 'clientserver.register', high: true } }, 1);
    s.handle({ kind: 'message', from: here, message: { type: 'clientserver.register', high: false } }, 1);
    expect(s.servedClients()).to.deep.equal([elsewhere, here]);
    expect(s.views().active).to.deep.equal(['s2', 's3', elsewhere, here]);
    s.handle({ kind: 'message', from: elsewhere, message: { type: 'clientserver.unregister' } }, 2);
    expect(s.servedClients()).to.deep.equal([here]);
    expect(s.views().active).to.include(elsewhere);
  });

  it('routes a client broadcast: home delivers, relays to the other servers and fans out to its clients', () => {
    const s = new ClientServer('s1', { servers: SERVERS });
    s.handle({ kind: 'join', contacts: [] }, 0);
    for (const c of ['c1', 'c2', 'c3']) s.handle({ kind: 'message', from: c, message: { type: 'clientserver.register', high: true } }, 0);
    const out = s.handle({ kind: 'message', from: 'c1', message: { type: 'clientserver.publish', app: app('c1/1', 'c1'), hops: 0 } }, 1);
    expect(delivered(out)).to.deep.equal([['c1/1', 1]]);
    expect(sends(out)).to.deep.equal([
      ['s2', 'clientserver.relay', 1],
      ['s3', 'clientserver.relay', 1],
      ['c2', 'clientserver.app', 1],
      ['c3', 'clientserver.app', 1],
    ]);
    const s2 = new ClientServer('s2', { servers: SERVERS });
    s2.handle({ kind: 'join', contacts: [] }, 0);
    s2.handle({ kind: 'message', from: 'c9', message: { type: 'clientserver.register', high: true } }, 0);
    const relayed = s2.handle({ kind: 'message', from: 's1', message: { type: 'clientserver.relay', app: app('c1/1', 'c1'), hops: 1 } }, 2);
    expect(delivered(relayed)).to.deep.equal([['c1/1', 2]]);
    expect(sends(relayed)).to.deep.equal([['c9', 'clientserver.app', 2]]);
    const { c } = client('c9');
    expect(delivered(c.handle({ kind: 'message', from: 's2', message: { type: 'clientserver.app', app: app('c1/1', 'c1'), hops: 2 } }, 3))).to.deep.equal([
      ['c1/1', 3],
    ]);
  });

  it('a client broadcast goes only to its home; its own copy is never delivered', () => {
    const { c, home } = client('c1');
    expect(sends(c.handle({ kind: 'broadcast', message: app('c1/1', 'c1') }, 1))).to.deep.equal([[home, 'clientserver.publish', 0]]);
    expect(delivered(c.handle({ kind: 'message', from: home, message: { type: 'clientserver.app', app: app('c1/1', 'c1'), hops: 1 } }, 2))).to.deep.equal([]);
  });

  it('client-to-client sends go through the home, which forwards straight to the target', () => {
    const { c, home } = client('c1');
    expect(sends(c.handle({ kind: 'send', message: app('c1/2', 'c1', 'c7') }, 1))).to.deep.equal([[home, 'clientserver.publish', 0]]);
    expect(sends(c.handle({ kind: 'send', message: app('c1/3', 'c1', 's2') }, 1))).to.deep.equal([['s2', 'clientserver.app', 0]]);
    const s = new ClientServer(home, { servers: SERVERS });
    const out = s.handle({ kind: 'message', from: 'c1', message: { type: 'clientserver.publish', app: app('c1/2', 'c1', 'c7'), hops: 0 } }, 2);
    expect(sends(out)).to.deep.equal([['c7', 'clientserver.app', 1]]);
    expect(delivered(out)).to.deep.equal([]);
  });

  it('re-homes on losing its home, re-registers and republishes recent broadcasts', () => {
    const { c, home } = client('c1');
    c.handle({ kind: 'broadcast', message: app('c1/1', 'c1') }, 1);
    const out = c.handle({ kind: 'linkDown', peer: home }, 2);
    const next = rendezvousHome(
      'c1',
      SERVERS.filter((s) => s !== home),
    );
    expect(c.homeServer).to.equal(next);
    expect(sends(out)).to.deep.equal([
      [next, 'clientserver.register', true],
      [next, 'clientserver.publish', 0],
    ]);
    expect(c.views().active).to.not.include(home);
    expect(c.views().passive).to.deep.equal([home]);
    // The lost server is back in the control plane's list: the client moves home again.
    const back = c.handle({ kind: 'members', members: [...SERVERS, 'c1'] }, 3);
    expect(c.homeServer).to.equal(home);
    expect(sends(back)).to.deep.equal([
      [next, 'clientserver.unregister', undefined],
      [home, 'clientserver.register', true],
    ]);
  });

  it('losing a standby server does not move the home; losing every server leaves no home', () => {
    const { c, home } = client('c1');
    const others = SERVERS.filter((s) => s !== home);
    expect(sends(c.handle({ kind: 'linkDown', peer: others[0] as string }, 1))).to.deep.equal([]);
    expect(c.homeServer).to.equal(home);
    c.handle({ kind: 'linkDown', peer: others[1] as string }, 2);
    c.handle({ kind: 'linkDown', peer: home }, 3);
    expect(c.homeServer).to.equal(undefined);
    expect(c.views().active).to.deep.equal([]);
  });

  it('a server forgets a lost server and stops relaying to it until it is heard from again', () => {
    const s = new ClientServer('s1', { servers: SERVERS });
    s.handle({ kind: 'join', contacts: [] }, 0);
    s.handle({ kind: 'linkDown', peer: 's2' }, 1);
    expect(sends(s.handle({ kind: 'broadcast', message: app('s1/1', 's1') }, 2))).to.deep.equal([['s3', 'clientserver.relay', 0]]);
    expect(sends(s.handle({ kind: 'message', from: 's2', message: { type: 'clientserver.hello' } }, 3))).to.deep.equal([
      ['s2', 'clientserver.hello', undefined],
    ]);
    expect(s.views().active).to.include('s2');
  });

  it('a server that loses another serves its clients at once and catches them up on recent broadcasts', () => {
    const s = new ClientServer('s1', { servers: SERVERS, catchUpWindowMs: 1000 });
    s.handle({ kind: 'join', contacts: [] }, 0);
    const clients = Array.from({ length: 30 }, (_, i) => `c${i}`);
    for (const c of clients) s.handle({ kind: 'message', from: c, message: { type: 'clientserver.register', high: rendezvousHome(c, SERVERS) === 's1' } }, 0);
    const mine = clients.filter((c) => rendezvousHome(c, SERVERS) === 's1');
    expect(s.servedClients()).to.deep.equal(mine);
    s.handle({ kind: 'broadcast', message: app('s1/1', 's1') }, 100);
    const out = s.handle({ kind: 'linkDown', peer: 's2' }, 500);
    const moved = clients.filter((c) => rendezvousHome(c, SERVERS) === 's2' && rendezvousHome(c, ['s1', 's3']) === 's1');
    expect(moved.length).to.be.greaterThan(0);
    expect(sends(out)).to.deep.equal([...moved.map((c) => [c, 'clientserver.app', 0]), ['s3', 'clientserver.down', undefined]]);
    expect(new Set(s.servedClients())).to.deep.equal(new Set([...mine, ...moved]));
    // Outside the window there is nothing to catch up on.
    const late = s.handle({ kind: 'linkDown', peer: 's3' }, 5000);
    expect(sends(late)).to.deep.equal([]);
    expect(s.servedClients().length).to.equal(clients.length);
  });

  it('a server serves its rendezvous clients from the member list before their registration arrives', () => {
    const s = new ClientServer('s1', { servers: SERVERS });
    s.handle({ kind: 'join', contacts: [] }, 0);
    const clients = Array.from({ length: 30 }, (_, i) => `c${i}`);
    s.handle({ kind: 'members', members: [...SERVERS, ...clients] }, 1);
    const mine = clients.filter((c) => rendezvousHome(c, SERVERS) === 's1');
    expect(mine.length).to.be.greaterThan(0);
    expect(new Set(s.servedClients())).to.deep.equal(new Set(mine));
    const origin = clients.find((c) => !mine.includes(c)) as string;
    const out = s.handle({ kind: 'message', from: 's2', message: { type: 'clientserver.relay', app: app(`${origin}/1`, origin), hops: 1 } }, 2);
    expect(
      sends(out)
        .map((x) => x[0])
        .sort(),
    ).to.deep.equal([...mine].sort());
    // A client whose link broke is served again (and caught up) at the next members update.
    const lost = mine[0] as string;
    s.handle({ kind: 'linkDown', peer: lost }, 3);
    expect(s.servedClients()).to.not.include(lost);
    const back = s.handle({ kind: 'members', members: [...SERVERS, ...clients] }, 4);
    expect(s.servedClients()).to.include(lost);
    expect(sends(back)).to.deep.include([lost, 'clientserver.app', 2]);
  });

  it('without configured servers, the head of the member list serves', () => {
    const a = new ClientServer('m0');
    const b = new ClientServer('m5');
    for (const n of [a, b]) n.handle({ kind: 'join', contacts: [] }, 0);
    const members = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
    a.handle({ kind: 'members', members }, 1);
    b.handle({ kind: 'members', members }, 1);
    expect(a.isServer).to.equal(true);
    expect(b.isServer).to.equal(false);
    expect(b.homeServer).to.equal(rendezvousHome('m5', ['m0', 'm1', 'm2']));
  });

  it('property: every client has exactly one home among the live servers, and it is the rendezvous choice', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SERVERS), { maxLength: 6 }), fc.nat(1000), (lost, n) => {
        const id = `c${n}`;
        const { c } = client(id);
        for (const s of lost) c.handle({ kind: 'linkDown', peer: s }, 1);
        const live = SERVERS.filter((s) => !lost.includes(s));
        expect(c.homeServer).to.equal(rendezvousHome(id, live));
        expect(c.views().active.slice().sort()).to.deep.equal(live);
      }),
      { seed: 9, numRuns: 300 },
    );
  });
});
