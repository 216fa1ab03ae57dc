import { expect } from 'chai';
import { DEFAULT_PLUMTREE_CONFIG, Plumtree, type PlumtreeConfig, type PlumtreeOutput, type PlumtreeTimer } from '../../../src/overlays/plumtree.js';
import { OPTIMIZATION_MIN_SAMPLES } from '../../../src/overlays/plumtree-optimizer.js';
import type { AppMessage } from '../../../src/overlays/types.js';

function app(id: string): AppMessage {
  return { id, origin: id.split('/')[0] as string, payload: new Uint8Array([7]), sentAt: 0 };
}

function tree(peers: readonly string[], config: Partial<PlumtreeConfig> = {}): Plumtree {
  const t = new Plumtree('x', config);
  for (const p of peers) t.neighborUp(p, 0);
  return t;
}

function timerOf(outs: PlumtreeOutput[]): { afterMs: number; timer: PlumtreeTimer } {
  const t = outs.find((o) => o.kind === 'timer');
  if (t === undefined || t.kind !== 'timer') throw new Error('no timer');
  return { afterMs: t.afterMs, timer: t.timer };
}

describe('Plumtree handlers', () => {
  it('new neighbours start eager; the origin pushes to all of them and does not deliver to itself', () => {
    const t = tree(['a', 'b']);
    const outs = t.broadcast(app('x/1'), 0);
    expect(outs).to.deep.equal([
      { kind: 'send', to: 'a', message: { type: 'plumtree.gossip', app: app('x/1'), hops: 0 } },
      { kind: 'send', to: 'b', message: { type: 'plumtree.gossip', app: app('x/1'), hops: 0 } },
    ]);
  });

  it('delivers the first copy, pushes it on with one more hop, and PRUNEs the sender of a duplicate', () => {
    const t = tree(['a', 'b', 'c']);
    const first = t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 2 }, 0);
    expect(first).to.deep.equal([
      { kind: 'deliver', message: app('o/1'), from: 'a', hops: 3 },
      { kind: 'send', to: 'b', message: { type: 'plumtree.gossip', app: app('o/1'), hops: 3 } },
      { kind: 'send', to: 'c', message: { type: 'plumtree.gossip', app: app('o/1'), hops: 3 } },
    ]);
    const dup = t.receive('b', { type: 'plumtree.gossip', app: app('o/1'), hops: 2 }, 1); // no shorter than the first copy
    expect(dup).to.deep.equal([{ kind: 'send', to: 'b', message: { type: 'plumtree.prune' } }]);
    expect(t.lazyPeers()).to.deep.equal(['b']);
    expect(t.eagerPeers()).to.have.members(['a', 'c']);
    expect(t.counters().duplicatesDropped).to.equal(1);
  });

  it(`a duplicate does not prune a link that brought a first copy within pruneHoldMs (${DEFAULT_PLUMTREE_CONFIG.pruneHoldMs} ms): several senders keep one tree`, () => {
    const t = tree(['a', 'b', 'c']);
    const hold = DEFAULT_PLUMTREE_CONFIG.pruneHoldMs;
    t.receive('b', { type: 'plumtree.gossip', app: app('p/1'), hops: 0 }, 0); // b carries p's broadcasts to us
    t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 1 }, 10);
    expect(t.receive('b', { type: 'plumtree.gossip', app: app('o/1'), hops: 1 }, hold - 1), 'held: no PRUNE').to.deep.equal([]);
    expect(t.eagerPeers()).to.have.members(['a', 'b', 'c']);
    expect(t.counters().duplicatesDropped).to.equal(1);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/2'), hops: 1 }, hold + 10);
    expect(t.receive('b', { type: 'plumtree.gossip', app: app('o/2'), hops: 1 }, hold + 20), "hold over: the paper's PRUNE").to.deep.equal([
      { kind: 'send', to: 'b', message: { type: 'plumtree.prune' } },
    ]);
    expect(t.lazyPeers()).to.deep.equal(['b']);
    const paper = tree(['a', 'b'], { pruneHoldMs: 0 });
    paper.receive('b', { type: 'plumtree.gossip', app: app('p/1'), hops: 0 }, 0);
    paper.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 1 }, 1);
    expect(paper.receive('b', { type: 'plumtree.gossip', app: app('o/1'), hops: 1 }, 2), "pruneHoldMs 0 is the paper's rule").to.deep.equal([
      { kind: 'send', to: 'b', message: { type: 'plumtree.prune' } },
    ]);
  });

  it('a PRUNE makes the link lazy: later payloads go as IHAVEs, batched into one message per flush', () => {
    const t = tree(['a', 'b']);
    t.receive('b', { type: 'plumtree.prune' }, 0);
    const first = t.broadcast(app('x/1'), 0);
    const flush = timerOf(first);
    expect(flush).to.deep.equal({ afterMs: DEFAULT_PLUMTREE_CONFIG.lazyPushDelayMs, timer: { kind: 'plumtree.flush' } });
    const second = t.broadcast(app('x/2'), 10);
    expect(second.filter((o) => o.kind === 'timer')).to.deep.equal([]); // one flush timer at a time
    expect(t.timer(flush.timer, 50)).to.deep.equal([{ kind: 'send', to: 'b', message: { type: 'plumtree.ihave', ids: ['x/1', 'x/2'], round: 0 } }]);
    expect(t.timer(flush.timer, 60)).to.deep.equal([]); // nothing left to flush
  });

  it('GRAFTs the announcer when an announced message does not arrive in time, then retries the next one sooner', () => {
    const t = tree(['a', 'b', 'c']);
    t.receive('b', { type: 'plumtree.prune' }, 0);
    t.receive('c', { type: 'plumtree.prune' }, 0);
    const armed = t.receive('b', { type: 'plumtree.ihave', ids: ['o/1'], round: 1 }, 0);
    const first = timerOf(armed);
    expect(first.afterMs).to.equal(DEFAULT_PLUMTREE_CONFIG.graftTimeoutMs);
    expect(t.receive('c', { type: 'plumtree.ihave', ids: ['o/1'], round: 2 }, 5)).to.deep.equal([]); // already armed
    const fired = t.timer(first.timer, 500);
    const retry = timerOf(fired);
    expect(retry.afterMs).to.equal(DEFAULT_PLUMTREE_CONFIG.graftRetryTimeoutMs);
    expect(fired.filter((o) => o.kind === 'send')).to.deep.equal([{ kind: 'send', to: 'b', message: { type: 'plumtree.graft', id: 'o/1', round: 1 } }]);
    expect(t.eagerPeers()).to.include('b');
    // The first timer value is now stale.
    expect(t.timer(first.timer, 600)).to.deep.equal([]);
    const again = t.timer(retry.timer, 750);
    expect(again.filter((o) => o.kind === 'send')).to.deep.equal([{ kind: 'send', to: 'c', message: { type: 'plumtree.graft', id: 'o/1', round: 2 } }]);
  });

  it('ignores the missing-message timer once the message has arrived', () => {
    const t = tree(['a', 'b']);
    t.receive('b', { type: 'plumtree.prune' }, 0);
    const { timer } = timerOf(t.receive('b', { type: 'plumtree.ihave', ids: ['o/1'], round: 0 }, 0));
    t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 0 }, 10);
    expect(t.timer(timer, 500)).to.deep.equal([]);
  });

  it('answers a GRAFT with the cached payload and makes the link eager', () => {
    const t = tree(['a', 'b']);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 0 }, 0);
    t.receive('b', { type: 'plumtree.prune' }, 0);
    const outs = t.receive('b', { type: 'plumtree.graft', id: 'o/1', round: 1 }, 5);
    expect(outs).to.deep.equal([{ kind: 'send', to: 'b', message: { type: 'plumtree.gossip', app: app('o/1'), hops: 1 } }]);
    expect(t.eagerPeers()).to.include('b');
  });

  it('optimisation: a lazy path shorter by the threshold plus the margin replaces the eager one at once (GRAFT it, PRUNE the sender)', () => {
    const t = tree(['a', 'b'], { optimizationThreshold: 3 });
    t.receive('b', { type: 'plumtree.prune' }, 0);
    t.receive('b', { type: 'plumtree.ihave', ids: ['o/1'], round: 0 }, 0); // b is 1 hop from o through the lazy link
    const outs = t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 7 }, 10); // 8 hops through a: 7 shorter
    const sends = outs.filter((o) => o.kind === 'send' && o.message.type !== 'plumtree.gossip');
    expect(sends).to.deep.equal([
      { kind: 'send', to: 'b', message: { type: 'plumtree.graft', round: 0 } },
      { kind: 'send', to: 'a', message: { type: 'plumtree.prune' } },
    ]);
    expect(t.eagerPeers()).to.deep.equal(['b']);
    expect(t.lazyPeers()).to.deep.equal(['a']);
  });

  it(`optimisation: a path shorter by the threshold on average swaps after ${OPTIMIZATION_MIN_SAMPLES} broadcasts, late announcements included`, () => {
    const t = tree(['a', 'b', 'c'], { optimizationThreshold: 1 });
    t.receive('b', { type: 'plumtree.prune' }, 0);
    t.receive('c', { type: 'plumtree.prune' }, 0);
    const grafts: number[] = [];
    for (let i = 1; i <= OPTIMIZATION_MIN_SAMPLES; i++) {
      t.receive('a', { type: 'plumtree.gossip', app: app(`o/${i}`), hops: 3 }, i * 100); // 4 hops through a
      // b announces 2 hops (1 shorter) after the payload arrived; c announces a longer path.
      t.receive('c', { type: 'plumtree.ihave', ids: [`o/${i}`], round: 6 }, i * 100 + 50);
      const outs = t.receive('b', { type: 'plumtree.ihave', ids: [`o/${i}`], round: 2 }, i * 100 + 50);
      if (outs.some((o) => o.kind === 'send' && o.message.type === 'plumtree.graft')) grafts.push(i);
    }
    expect(grafts).to.deep.equal([OPTIMIZATION_MIN_SAMPLES]);
    expect(t.eagerPeers()).to.deep.equal(['b']);
    expect(t.lazyPeers()).to.have.members(['a', 'c']);
  });

  it('optimisation: no swap when the path is shorter for some senders and longer for others (many senders do not fight)', () => {
    const t = tree(['a', 'b'], { optimizationThreshold: 1 });
    t.receive('b', { type: 'plumtree.prune' }, 0);
    for (let i = 1; i <= 20; i++) {
      t.receive('a', { type: 'plumtree.gossip', app: app(`o/${i}`), hops: 4 }, i * 100);
      const round = i % 2 === 0 ? 1 : 7; // 3 hops shorter, then 3 hops longer
      const outs = t.receive('b', { type: 'plumtree.ihave', ids: [`o/${i}`], round }, i * 100 + 50);
      expect(
        outs.filter((o) => o.kind === 'send'),
        `broadcast ${i}`,
      ).to.deep.equal([]);
    }
    expect(t.eagerPeers()).to.deep.equal(['a']);
  });

  it('no optimisation below the threshold', () => {
    const t = tree(['a', 'b'], { optimizationThreshold: 7 });
    t.receive('b', { type: 'plumtree.prune' }, 0);
    t.receive('b', { type: 'plumtree.ihave', ids: ['o/1'], round: 0 }, 0);
    const outs = t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 4 }, 10);
    expect(outs.filter((o) => o.kind === 'send' && o.message.type === 'plumtree.graft')).to.deep.equal([]);
  });

  it('first flood: a duplicate that travelled fewer hops becomes the parent; its crossing PRUNE is answered with a GRAFT', () => {
    const t = tree(['a', 'b', 'c']);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 4 }, 0); // 5 hops through a
    const dup = t.receive('b', { type: 'plumtree.gossip', app: app('o/1'), hops: 1 }, 5); // 2 hops through b
    expect(dup).to.deep.equal([{ kind: 'send', to: 'a', message: { type: 'plumtree.prune' } }]);
    // b got our copy too, as a duplicate, and prunes us: we keep the link.
    expect(t.receive('b', { type: 'plumtree.prune' }, 8)).to.deep.equal([{ kind: 'send', to: 'b', message: { type: 'plumtree.graft', round: 0 } }]);
    expect(t.eagerPeers()).to.have.members(['b', 'c']);
    expect(t.lazyPeers()).to.deep.equal(['a']);
    // Our distance is now 2: a GRAFT is answered with that hop count. A later PRUNE from b is obeyed.
    expect(t.receive('c', { type: 'plumtree.graft', id: 'o/1', round: 0 }, 9)).to.deep.equal([
      { kind: 'send', to: 'c', message: { type: 'plumtree.gossip', app: app('o/1'), hops: 2 } },
    ]);
    t.receive('b', { type: 'plumtree.prune' }, 10);
    expect(t.lazyPeers()).to.have.members(['a', 'b']);
  });

  it('after the first flood, a shorter duplicate is pruned as usual (one message does not reshape the tree)', () => {
    const t = tree(['a', 'b']);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 0 }, 0);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/2'), hops: 4 }, 100);
    expect(t.receive('b', { type: 'plumtree.gossip', app: app('o/2'), hops: 0 }, 105)).to.deep.equal([
      { kind: 'send', to: 'b', message: { type: 'plumtree.prune' } },
    ]);
    expect(t.eagerPeers()).to.deep.equal(['a']);
  });

  it('neighborDown forgets the peer and its announcements; neighborUp brings it back eager', () => {
    const t = tree(['a', 'b']);
    t.receive('b', { type: 'plumtree.prune' }, 0);
    const { timer } = timerOf(t.receive('b', { type: 'plumtree.ihave', ids: ['o/1'], round: 0 }, 0));
    t.neighborDown('b');
    expect(t.lazyPeers()).to.deep.equal([]);
    expect(t.timer(timer, 500)).to.deep.equal([]); // no one left to graft
    t.neighborUp('b', 100_000);
    expect(t.eagerPeers()).to.have.members(['a', 'b']);
  });

  it('tells a new neighbour what it received lately, so a re-linked member can GRAFT what it missed', () => {
    const t = tree(['a']);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/1'), hops: 2 }, 0);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/2'), hops: 2 }, 20_000);
    const { timer } = timerOf(t.neighborUp('b', 30_000));
    expect(t.timer(timer, 30_050)).to.deep.equal([{ kind: 'send', to: 'b', message: { type: 'plumtree.ihave', ids: ['o/2'], round: 3 } }]);
  });

  it('ignores messages from non-neighbours for its link state', () => {
    const t = tree(['a']);
    t.receive('z', { type: 'plumtree.graft', round: 0 }, 0);
    t.receive('z', { type: 'plumtree.ihave', ids: ['o/9'], round: 0 }, 0);
    expect(t.eagerPeers()).to.deep.equal(['a']);
    expect(t.lazyPeers()).to.deep.equal([]);
  });

  it('derives the retry timeout and the prune hold from graftTimeoutMs when only that is set (the CRD has only it)', () => {
    expect(new Plumtree('x', { graftTimeoutMs: 1_000 }).config.graftRetryTimeoutMs).to.equal(500);
    expect(new Plumtree('x', { graftTimeoutMs: 1_000, graftRetryTimeoutMs: 100 }).config.graftRetryTimeoutMs).to.equal(100);
    expect(new Plumtree('x', { graftTimeoutMs: 1_000 }).config.pruneHoldMs).to.equal(2_000);
    expect(new Plumtree('x', { graftTimeoutMs: 1_000, pruneHoldMs: 0 }).config.pruneHoldMs).to.equal(0);
    expect(DEFAULT_PLUMTREE_CONFIG.pruneHoldMs).to.equal(2 * DEFAULT_PLUMTREE_CONFIG.graftTimeoutMs);
  });

  it('keeps its payload cache bounded by count and age', () => {
    expect(() => tree([], { messageCacheSize: 10, dedupCapacity: 5 })).to.throw(/Plumtree: dedupCapacity/);
    const t = tree(['a'], { messageCacheSize: 3, messageCacheRetentionMs: 1_000 });
    for (let i = 1; i <= 5; i++) t.receive('a', { type: 'plumtree.gossip', app: app(`o/${i}`), hops: 0 }, i);
    const graft = (id: string, now: number): number => t.receive('a', { type: 'plumtree.graft', id, round: 0 }, now).length;
    expect([graft('o/1', 10), graft('o/2', 10), graft('o/3', 10), graft('o/5', 10)]).to.deep.equal([0, 0, 1, 1]);
    t.receive('a', { type: 'plumtree.gossip', app: app('o/6'), hops: 0 }, 5_000);
    expect([graft('o/5', 5_000), graft('o/6', 5_000)]).to.deep.equal([0, 1]);
  });
});
