import { expect } from 'chai';
import { MemberCore, type CoreAction, type EpochStatsSink } from '../../../src/member/member-core.js';
import { BufferBudget } from '../../../src/member/buffer-budget.js';
import { newSession } from '../../../src/member/session.js';

const A = '10.0.0.1:7070';
const B = '10.0.0.2:7070';

function stats(): EpochStatsSink {
  return { messagesIn: 0, messagesOut: 0, duplicatesDropped: 0, delivered: 0, neighborLoss: 0, sendFailures: 0, deliveryLatency: { add: () => undefined } };
}

function core(self: string, startedAt = 0): MemberCore {
  return new MemberCore({
    self,
    session: newSession(startedAt, 'ab'),
    startedAt,
    announce: false,
    budget: new BufferBudget({ totalBytes: 1 << 20, kindBytes: { 'link-queue': 1 << 20, 'future-frames': 1 << 20, subscriber: 1 << 20 } }),
    futurePeerBytes: 1 << 18,
    frameBytes: () => 100,
    queuedFrames: () => 0,
    newStats: stats,
  });
}

const spec = (epoch: number) => ({ epoch, kind: 'FullMesh' as const, params: {}, members: [A, B], contacts: [], seed: 1 });
const of = <K extends CoreAction['kind']>(actions: CoreAction[], kind: K): Extract<CoreAction, { kind: K }>[] =>
  actions.filter((a): a is Extract<CoreAction, { kind: K }> => a.kind === kind);

describe('member/member-core', () => {
  it('answers Prepare first, then forms the overlay; refuses an app send until an epoch is routed', () => {
    const c = core(A);
    expect(of(c.handle({ kind: 'appSend', to: undefined, payload: new Uint8Array(1) }, 1), 'accepted')[0]?.result.ok).to.equal(false);
    const actions = c.handle({ kind: 'prepare', spec: spec(1) }, 2);
    expect(actions[0]).to.deep.include({ kind: 'switched', call: 'prepare', epoch: 1 });
    expect(of(actions, 'epochs')).to.have.length(1);
    expect(of(c.handle({ kind: 'commit', epoch: 1 }, 3), 'switched')[0]?.result.ok).to.equal(true);
    const sent = c.handle({ kind: 'appSend', to: B, payload: new Uint8Array(1) }, 4);
    expect(of(sent, 'accepted')[0]?.result).to.deep.include({ ok: true, epoch: 1, seq: 1 });
    expect(of(sent, 'send').some((s) => s.to === B && s.message.app?.seq === 1)).to.equal(true);
  });

  it('holds a frame of the next epoch until it is prepared, and refuses one beyond the window', () => {
    const c = core(A);
    c.handle({ kind: 'prepare', spec: spec(1) }, 0);
    c.handle({ kind: 'commit', epoch: 1 }, 0);
    expect(c.handle({ kind: 'message', epoch: 2, from: B, message: { type: 'fullmesh.hello' } }, 1)).to.deep.equal([]);
    const beyond = c.handle({ kind: 'message', epoch: 9, from: B, message: { type: 'fullmesh.hello' } }, 1);
    expect(of(beyond, 'refuseLink')[0]).to.deep.include({ epoch: 9, peer: B, code: 'precondition' });
    expect(of(beyond, 'refused')[0]?.reason).to.equal('far-future-epoch');
  });

  it('delivers an app message once to the app whichever epoch carries it, and repairs on request', () => {
    const a = core(A);
    const b = core(B);
    for (const c of [a, b]) {
      c.handle({ kind: 'prepare', spec: spec(1) }, 0);
      c.handle({ kind: 'commit', epoch: 1 }, 0);
    }
    const sent = of(a.handle({ kind: 'appSend', to: B, payload: new Uint8Array([7]) }, 10), 'send').find((s) => s.message.app !== undefined);
    expect(sent).to.not.equal(undefined);
    const first = b.handle({ kind: 'message', epoch: 1, from: A, message: sent!.message }, 11);
    expect(of(first, 'app').map((x) => x.event.kind)).to.deep.equal(['message']);
    expect(of(b.handle({ kind: 'message', epoch: 1, from: A, message: sent!.message }, 12), 'app')).to.deep.equal([]);
    // A repair request for it is answered with the message itself.
    const nack = { type: 'member.nack', id: a.session, high: true, ids: ['1'] };
    const answer = of(a.handle({ kind: 'message', epoch: 1, from: B, message: nack }, 13), 'send');
    expect(answer.map((s) => [s.to, s.message.type, s.message.app?.seq])).to.deep.equal([[B, 'member.repair', 1]]);
  });
});
