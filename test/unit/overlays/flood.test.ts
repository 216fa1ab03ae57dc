import { expect } from 'chai';
import { Flood, isFloodMessage, type FloodConfig } from '../../../src/overlays/flood.js';
import { DEFAULT_HYPARVIEW_CONFIG } from '../../../src/overlays/hyparview-config.js';
import type { AppMessage } from '../../../src/overlays/types.js';

const app = (id: string, at = 0): AppMessage => ({ id, origin: id.split('/')[0] as string, payload: new Uint8Array(0), sentAt: at });

function flood(config: Partial<FloodConfig> = {}): Flood {
  return new Flood('x', { ...DEFAULT_HYPARVIEW_CONFIG, ...config });
}

describe('Flood (the broadcast layer of the HyParView overlay)', () => {
  it('routes only hyparview.gossip to itself', () => {
    expect(isFloodMessage({ type: 'hyparview.gossip' })).to.equal(true);
    for (const type of ['hyparview.direct', 'hyparview.join', 'plumtree.gossip']) expect(isFloodMessage({ type }), type).to.equal(false);
  });

  it('fans out to the neighbours the membership reported, in the order their links came up', () => {
    const f = flood();
    for (const p of ['c', 'a', 'b']) expect(f.neighborUp(p, 0)).to.deep.equal([]);
    expect(f.neighborDown('a')).to.deep.equal([]);
    f.neighborUp('a', 0);
    const m = app('x/1');
    expect(f.broadcast(m, 0)).to.deep.equal(['c', 'b', 'a'].map((to) => ({ kind: 'send', to, message: { type: 'hyparview.gossip', app: m, hops: 0 } })));
    expect(f.broadcast(m, 0), 'a second broadcast of one id').to.deep.equal([]);
  });

  it('delivers a first copy once and forwards it to everyone but its sender; drops duplicates and copies from itself', () => {
    const f = flood();
    for (const p of ['a', 'b']) f.neighborUp(p, 0);
    const m = app('o/1');
    expect(f.receive('a', { type: 'hyparview.gossip', app: m, hops: 2 }, 5)).to.deep.equal([
      { kind: 'deliver', message: m, from: 'a', hops: 3 },
      { kind: 'send', to: 'b', message: { type: 'hyparview.gossip', app: m, hops: 3 } },
    ]);
    expect(f.receive('b', { type: 'hyparview.gossip', app: m, hops: 0 }, 6)).to.deep.equal([]);
    expect(f.receive('x', { type: 'hyparview.gossip', app: app('o/2'), hops: 0 }, 7)).to.deep.equal([]);
    expect(f.counters()).to.include({ messagesReceived: 3, messagesSent: 1, appDelivered: 1, duplicatesDropped: 1, neighborUps: 0 });
  });

  it('sends a new neighbour the broadcasts of the catch-up window, at most catchUpCapacity of them, with their hops', () => {
    const f = flood({ catchUpCapacity: 2, catchUpWindowMs: 1_000 });
    f.neighborUp('a', 0);
    const [m1, m2, m3] = [app('o/1'), app('o/2'), app('x/3')];
    f.receive('a', { type: 'hyparview.gossip', app: m1, hops: 0 }, 0);
    f.receive('a', { type: 'hyparview.gossip', app: m2, hops: 4 }, 500);
    f.broadcast(m3, 900);
    expect(f.neighborUp('b', 1_200)).to.deep.equal([
      { kind: 'send', to: 'b', message: { type: 'hyparview.gossip', app: m2, hops: 5 } },
      { kind: 'send', to: 'b', message: { type: 'hyparview.gossip', app: m3, hops: 0 } },
    ]);
    expect(f.neighborUp('c', 1_600).map((o) => (o.kind === 'send' ? o.message.app.id : o.kind))).to.deep.equal(['x/3']);
    expect(flood({ catchUpCapacity: 0 }).neighborUp('a', 0)).to.deep.equal([]);
  });
});
