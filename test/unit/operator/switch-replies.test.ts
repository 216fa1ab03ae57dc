import { expect } from 'chai';
import { applySwitchReplies, type MemberObservation } from '../../../src/operator/sidecars/observe.js';
import type { MemberPod } from '../../../src/operator/reconcile/members.js';
import { isSynced, type MemberTarget } from '../../../src/operator/rollout/member-sync.js';

function observation(name: string, address: string | undefined, ready: boolean, epochs: { activeEpoch?: number; stagedEpoch?: number; routingEpoch?: number }): MemberObservation {
  const pod: MemberPod = { name, uid: `uid-${name}`, labels: {}, podReady: ready, pod: { metadata: { name } }, ...(address !== undefined ? { address } : {}) };
  return { pod, observed: { name, ready, ...(address !== undefined ? { address } : {}), ...epochs } };
}

describe('switch replies as observations', () => {
  it('sets the epochs a member replied with (0: none), so a stage it acknowledged counts as synced', () => {
    const a = observation('chat-0', '10.0.0.1:7070', true, { activeEpoch: 1 });
    const b = observation('chat-1', '10.0.0.2:7070', true, { activeEpoch: 1, stagedEpoch: 2, routingEpoch: 2 });
    const target: MemberTarget = { active: 1, activeTopology: 'FullMesh', staged: 2, stagedTopology: 'HyParView', routed: new Set<string>() };
    expect(isSynced(a.observed, target)).to.equal(false);
    applySwitchReplies([a, b], new Map([
      ['10.0.0.1:7070', { active: 1, staged: 2, route: 1 }],
      ['10.0.0.2:7070', { active: 1, staged: 2, route: 0 }],
    ]));
    expect(a.observed).to.include({ activeEpoch: 1, stagedEpoch: 2, routingEpoch: 1 });
    expect(isSynced(a.observed, target)).to.equal(true);
    expect(b.observed).to.not.have.property('routingEpoch');
    expect(isSynced(b.observed, target), 'route 0 means the active epoch').to.equal(true);
  });

  it('leaves members without a reply, and members not ready, as observed', () => {
    const silent = observation('chat-2', '10.0.0.3:7070', true, { activeEpoch: 1 });
    const notReady = observation('chat-3', '10.0.0.4:7070', false, {});
    const noIp = observation('chat-4', undefined, false, {});
    applySwitchReplies([silent, notReady, noIp], new Map([['10.0.0.4:7070', { active: 1, staged: 2, route: 2 }]]));
    expect(silent.observed).to.deep.equal({ name: 'chat-2', ready: true, address: '10.0.0.3:7070', activeEpoch: 1 });
    expect(notReady.observed).to.deep.equal({ name: 'chat-3', ready: false, address: '10.0.0.4:7070' });
    expect(noIp.observed).to.deep.equal({ name: 'chat-4', ready: false });
  });
});
