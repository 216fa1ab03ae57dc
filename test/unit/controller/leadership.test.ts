/**
 * Leadership validity and the fencing generation of the elector, on the fake clock and the
 * in-memory Lease: a leader may act until its last successful renewal + renewDeadline, gives up
 * exactly then, and a standby can take over only leaseDuration − renewDeadline later.
 */
import { expect } from 'chai';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  LeaderElector,
  leadershipValidUntil,
  MAX_LEASE_TRANSITIONS,
  nextRecord,
} from '../../../src/operator/controller/leader-election.js';
import { silentLogger } from '../../../src/operator/controller/log.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** Steps the fake clock timer by timer until `cond` holds, checking `invariant` after every step. */
async function runUntil(clock: FakeClock, cond: () => boolean, what: string, invariant: () => void = () => undefined, maxSteps = 1000): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await flush();
    invariant();
    if (cond()) return;
    if (!clock.step()) throw new Error(`no timers pending while waiting for: ${what}`);
  }
  throw new Error(`gave up waiting for: ${what}`);
}

function candidate(store: MemoryLeaseStore, clock: FakeClock, id: string, log: string[]): LeaderElector {
  return new LeaderElector({
    store: store.forCandidate(id),
    identity: id,
    clock,
    random: () => 0.5,
    logger: silentLogger(),
    onStartedLeading: () => log.push(`${id} started@${clock.now()}`),
    onStoppedLeading: () => log.push(`${id} stopped@${clock.now()}`),
  });
}

describe('controller/leader-election: leadership validity and generation', () => {
  it('validity ends renewDeadline after the start of the last successful renewal', () => {
    expect(leadershipValidUntil(1_000, DEFAULT_RENEW_DEADLINE_MS)).to.equal(11_000);
  });

  it('a new leader acts with generation leaseTransitions, and its validity moves forward with each renewal', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a', []);
    void a.run();
    const start = clock.now();
    await runUntil(clock, () => a.isLeader(), 'a leads');
    const first = a.grant();
    expect(first).to.include({ identity: 'a', generation: 0, validUntilMs: start + DEFAULT_RENEW_DEADLINE_MS });
    expect(first?.signal.aborted).to.equal(false);
    await runUntil(clock, () => store.rv >= 3, 'two renewals');
    const later = a.grant();
    expect(later!.validUntilMs).to.be.greaterThan(first!.validUntilMs);
    expect(later!.validUntilMs).to.equal(store.record!.renewTimeMs! + DEFAULT_RENEW_DEADLINE_MS);
    await a.stop();
  });

  it('a leader cut off from the API stops acting at its validity end, and the standby acts only 5 s (lease − renew deadline) later, with generation + 1', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = candidate(store, clock, 'a', log);
    void a.run();
    await runUntil(clock, () => a.isLeader(), 'a leads');
    const b = candidate(store, clock, 'b', log);
    void b.run();
    await runUntil(clock, () => b.observedLeader() === 'a', 'b sees a');
    const grantA = a.grant()!;
    store.cutOff.add('a');
    // From here a cannot renew: its last grant is the one it has.
    const validUntil = a.grant()!.validUntilMs;
    let aActedAt = 0;
    let bActedAt: number | undefined;
    await runUntil(
      clock,
      () => bActedAt !== undefined,
      'b acts',
      () => {
        const ga = a.grant();
        const gb = b.grant();
        if (ga !== undefined) aActedAt = clock.now();
        if (gb !== undefined && bActedAt === undefined) bActedAt = clock.now();
        expect(ga !== undefined && gb !== undefined, `two valid grants at t=${clock.now()}`).to.equal(false);
        if (clock.now() >= validUntil) expect(ga, `a still acting at t=${clock.now()} ≥ ${validUntil}`).to.equal(undefined);
      },
    );
    expect(aActedAt).to.be.below(validUntil);
    expect(grantA.signal.aborted).to.equal(true, 'losing the lease aborts the signal in-flight calls listen on');
    expect(log).to.include(`a stopped@${validUntil}`, 'the elector gives up exactly when the grant expires');
    expect(bActedAt! - validUntil).to.be.at.least(DEFAULT_LEASE_DURATION_MS - DEFAULT_RENEW_DEADLINE_MS);
    expect(b.grant()).to.include({ identity: 'b', generation: grantA.generation + 1 });
    await b.stop();
  });

  it('a leader whose Lease is taken over behind its back has no grant from its next read', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a', []);
    void a.run();
    await runUntil(clock, () => a.isLeader(), 'a leads');
    store.record = { ...store.record!, holderIdentity: 'intruder', leaseDurationSeconds: 3600, leaseTransitions: 5 };
    store.rv++;
    const takenAt = clock.now();
    await runUntil(clock, () => a.grant() === undefined, 'a sees the intruder');
    expect(clock.now() - takenAt).to.be.at.most(2_000, 'within one retry period');
    await a.stop();
  });

  it('stop() ends the grant at once, before the release lets a standby in', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a', []);
    void a.run();
    await runUntil(clock, () => a.isLeader(), 'a leads');
    const g = a.grant()!;
    const stopping = a.stop();
    expect(a.grant()).to.equal(undefined);
    expect(g.signal.aborted).to.equal(true);
    expect(store.record?.holderIdentity).to.equal('a', 'not yet released');
    await runUntil(clock, () => store.record?.holderIdentity === '', 'released');
    await stopping;
  });

  it('raiseGeneration takes the Lease past a generation a sidecar obeys, at the next renewal, never lower and never beyond int32', async () => {
    expect(nextRecord({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 2 }, 'renew', 'a', 5, 15_000, 7).leaseTransitions).to.equal(7);
    expect(nextRecord({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 9 }, 'renew', 'a', 5, 15_000, 7).leaseTransitions).to.equal(9);
    expect(nextRecord({ holderIdentity: 'x', leaseDurationSeconds: 15, leaseTransitions: 2 }, 'acquire', 'a', 5, 15_000, 7).leaseTransitions).to.equal(7);
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a', []);
    void a.run();
    await runUntil(clock, () => a.isLeader(), 'a leads');
    expect(a.grant()?.generation).to.equal(0);
    a.raiseGeneration(MAX_LEASE_TRANSITIONS + 1);
    a.raiseGeneration(6);
    a.raiseGeneration(3);
    await runUntil(clock, () => a.grant()?.generation === 6, 'the renewal writes generation 6');
    expect(store.record?.leaseTransitions).to.equal(6);
    expect(store.record?.holderIdentity).to.equal('a');
    await a.stop();
  });
});
