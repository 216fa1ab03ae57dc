// Whom a sidecar may dial: only addresses learned from its own membership (the operator's lists,
// the live overlays' state, addresses from authenticated Peer frames, bounded).
import { expect } from 'chai';
import { LearnedPeers, forEachAddressIn, mayDialPeer, MAX_LEARNED_PEERS } from '../../../src/sidecar/dial-policy.js';
import { createOverlay, SeededRandom } from '../../../src/overlays/index.js';

describe('dial policy', () => {
  it('allows the operator-named, what live overlays hold, and what authenticated frames named; nothing else', () => {
    const overlay = createOverlay('FullMesh', { self: '10.0.0.1:7070', random: new SeededRandom(1) });
    overlay.handle({ kind: 'members', members: ['10.0.0.1:7070', '10.0.0.5:7070'] }, 0);
    const learned = new LearnedPeers();
    learned.learn('10.0.0.7:7070');
    const sources = { operator: new Set(['10.0.0.2:7070']), overlays: [overlay], learned };
    expect(mayDialPeer('10.0.0.2:7070', sources), 'operator').to.equal(true);
    expect(mayDialPeer('10.0.0.5:7070', sources), 'overlay state').to.equal(true);
    expect(mayDialPeer('10.0.0.7:7070', sources), 'learned from a frame').to.equal(true);
    expect(mayDialPeer('127.0.0.1:9999', sources), 'an address the app chose').to.equal(false);
  });

  it('remembers a bounded number of learned addresses, the oldest forgotten first, a re-learned one refreshed', () => {
    const learned = new LearnedPeers(3);
    for (const p of ['a:1', 'b:1', 'c:1']) learned.learn(p);
    learned.learn('a:1');
    learned.learn('d:1');
    expect(['a:1', 'b:1', 'c:1', 'd:1'].map((p) => learned.has(p))).to.deep.equal([true, false, true, true]);
    expect(learned.size).to.equal(3);
    const big = new LearnedPeers();
    for (let i = 0; i < MAX_LEARNED_PEERS + 10; i++) big.learn(`10.0.${i >> 8}.${i & 255}:1`);
    expect(big.size).to.equal(MAX_LEARNED_PEERS);
  });

  it('collects every address an overlay message names', () => {
    const seen = (m: Parameters<typeof forEachAddressIn>[0]): string[] => {
      const out: string[] = [];
      forEachAddressIn(m, (a) => out.push(a));
      return out;
    };
    expect(seen({ peer: 'p:1', peers: ['q:1'], route: ['r:1'], app: { origin: 'o:1', to: 't:1' } })).to.deep.equal(['p:1', 'q:1', 'r:1', 'o:1', 't:1']);
    expect(seen({})).to.deep.equal([]);
  });
});
