import { expect } from 'chai';
import { MAX_EPOCH_JUMP, withinEpochBound } from '../../../src/api/epoch-bound.js';
import { findCondition } from '../../../src/operator/rollout/conditions.js';
import { knownEpoch, untrustedMembers } from '../../../src/operator/rollout/epoch-trust.js';
import type { ObservedMember } from '../../../src/operator/rollout/types.js';
import { pods, World } from './fake-fleet.js';

const sel = { matchLabels: { app: 'chat' } };
const HUGE = Number.MAX_SAFE_INTEGER;

/** A world running FullMesh at epoch 1 on `n` pods. */
function established(n = 5): World {
  const w = new World({ selector: sel, topology: 'FullMesh', rollout: { steps: [50, 100], stepVerificationSeconds: 2 } }, pods(n));
  w.runUntil((x) => x.status.phase === 'Ready', 20);
  expect(w.status).to.deep.include({ currentTopology: 'FullMesh', epoch: 1 });
  return w;
}

function member(name: string, extra: Partial<ObservedMember>): ObservedMember {
  return { name, address: `10.0.0.9:7070`, ready: true, ...extra };
}

describe('epoch trust', () => {
  it('trusts a member while every epoch it reports is at most MAX_EPOCH_JUMP above the status', () => {
    expect(MAX_EPOCH_JUMP).to.equal(2 ** 20);
    expect(withinEpochBound(10 + MAX_EPOCH_JUMP, 10)).to.equal(true);
    expect(withinEpochBound(11 + MAX_EPOCH_JUMP, 10)).to.equal(false);
    const status = {
      epoch: 4,
      rollout: {
        stage: 'Preparing' as const,
        to: 'HyParView' as const,
        epoch: 6,
        trigger: 'Manual' as const,
        stepIndex: 0,
        stepPercent: 0,
        startedAt: 'x',
        stepStartedAt: 'x',
      },
    };
    expect(knownEpoch(status)).to.equal(6);
    const members = [
      member('ok', { activeEpoch: 4, stagedEpoch: 6 }),
      member('edge', { activeEpoch: 6 + MAX_EPOCH_JUMP }),
      member('staged', { activeEpoch: 4, stagedEpoch: 7 + MAX_EPOCH_JUMP }),
      member('routing', { activeEpoch: 4, routingEpoch: HUGE }),
      member('fresh', {}),
    ];
    expect(untrustedMembers(members, status)).to.deep.equal([
      { name: 'staged', epoch: 7 + MAX_EPOCH_JUMP },
      { name: 'routing', epoch: HUGE },
    ]);
  });

  it('leaves a member reporting epoch 2^53−1 out of the switch, names it once, and keeps switching with the others', () => {
    const w = established(5);
    const liar = w.members[2]!;
    liar.activeEpoch = HUGE;
    w.edit((s) => (s.topology = 'HyParView'));
    const first = w.reconcile();
    // The next epoch comes from the trusted members: 2, not 2^53.
    const prepare = first.actions.find((a) => a.kind === 'prepare');
    expect(prepare).to.deep.include({ epoch: 2, topology: 'HyParView' });
    expect(prepare!.kind === 'prepare' && prepare!.members).to.not.include(liar.name);
    expect(prepare!.kind === 'prepare' && prepare!.peers).to.not.include(liar.address);
    const stalled = findCondition(first.status.conditions, 'Stalled')!;
    expect(stalled).to.deep.include({ status: 'True', reason: 'UntrustedEpoch' });
    expect(stalled.message)
      .to.include(`pod ${liar.name} reports epoch ${HUGE}`)
      .and.include(`MAX_EPOCH_JUMP ${MAX_EPOCH_JUMP}`)
      .and.include('restart that pod');
    expect(first.events.filter((e) => e.reason === 'UntrustedEpoch')).to.have.length(1);
    expect(first.status.members).to.deep.include({ total: 5, ready: 4 });
    w.tick(first);
    const plans = w.runUntil((x) => x.status.currentTopology === 'HyParView' && x.status.rollout?.stage === 'Succeeded');
    expect(w.status.epoch).to.equal(2);
    expect(plans.flatMap((p) => p.actions).every((a) => !a.members.includes(liar.name))).to.equal(true);
    // Reported once: a lasting exclusion is not an Event on every pass.
    expect(plans.flatMap((p) => p.events).filter((e) => e.reason === 'UntrustedEpoch')).to.deep.equal([]);
    const done = w.reconcile();
    expect(done.status.phase).to.equal('Degraded');
    expect(findCondition(done.status.conditions, 'Ready')).to.deep.include({ status: 'False', reason: 'UntrustedEpoch' });
    // A later switch is not bricked either.
    w.edit((s) => (s.topology = 'PubSub'));
    w.runUntil((x) => x.status.currentTopology === 'PubSub' && x.status.rollout?.stage === 'Succeeded');
    expect(w.status.epoch).to.equal(3);
  });

  it('takes the member back once it reports sane epochs (a restarted pod), and clears the condition', () => {
    const w = established(4);
    const liar = w.members[1]!;
    liar.stagedEpoch = 10 * MAX_EPOCH_JUMP;
    w.tick(w.reconcile());
    expect(w.status.phase).to.equal('Degraded');
    delete liar.activeEpoch;
    delete liar.stagedEpoch;
    delete liar.routingEpoch;
    w.runUntil((x) => x.status.phase === 'Ready', 20);
    expect(liar.activeEpoch).to.equal(1);
    expect(findCondition(w.status.conditions, 'Stalled')).to.deep.include({ status: 'False' });
    expect(w.status.members).to.deep.include({ total: 4, ready: 4 });
  });

  it('still follows epochs within the bound that the status has not recorded (a resource recreated over running sidecars)', () => {
    const w = new World({ selector: sel, topology: 'FullMesh' }, pods(3));
    for (const m of w.members) m.activeEpoch = m.routingEpoch = 1000;
    w.runUntil((x) => x.status.phase === 'Ready', 20);
    expect(w.status.epoch).to.equal(1001);
    expect(w.members.map((m) => m.activeEpoch)).to.deep.equal([1001, 1001, 1001]);
  });
});
