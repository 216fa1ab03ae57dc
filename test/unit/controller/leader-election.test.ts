import { expect } from 'chai';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import {
  decideLeadership,
  LeaderElector,
  nextRecord,
  observe,
  releasedRecord,
  type LeaseRecord,
  type ObservedLease,
} from '../../../src/operator/controller/leader-election.js';
import { silentLogger } from '../../../src/operator/controller/log.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

const held = (holder: string, observedAtMs: number, rv = '1', leaseDurationSeconds = 15): ObservedLease => ({
  record: { holderIdentity: holder, leaseDurationSeconds, leaseTransitions: 0 },
  resourceVersion: rv,
  observedAtMs,
});

describe('controller/leader-election: decision', () => {
  it('acquires when there is no lease, renews its own, acquires a released one', () => {
    expect(decideLeadership(undefined, 0, 'me')).to.equal('acquire');
    expect(decideLeadership(held('me', 0), 10_000_000, 'me')).to.equal('renew');
    expect(decideLeadership(held('', 1000), 1000, 'me')).to.equal('acquire');
  });

  it("waits while another holder's lease is valid by local observation, acquires once expired", () => {
    expect(decideLeadership(held('other', 1000), 1000, 'me')).to.equal('wait');
    expect(decideLeadership(held('other', 1000), 15_999, 'me')).to.equal('wait');
    expect(decideLeadership(held('other', 1000), 16_000, 'me')).to.equal('acquire');
  });

  it('measures expiry from when the record last changed, not from its renewTime (no cross-machine clock comparison)', () => {
    const record: LeaseRecord = { holderIdentity: 'other', leaseDurationSeconds: 15, leaseTransitions: 0, renewTimeMs: 0 };
    let o = observe(undefined, record, '5', 100_000);
    expect(decideLeadership(o, 110_000, 'me')).to.equal('wait', 'an ancient renewTime does not make it expired');
    o = observe(o, record, '5', 112_000);
    expect(o.observedAtMs).to.equal(100_000, 'unchanged resourceVersion keeps the observation time');
    o = observe(o, { ...record, renewTimeMs: 1 }, '6', 112_000);
    expect(o.observedAtMs).to.equal(112_000, 'a renewal restarts the clock');
    expect(decideLeadership(o, 126_999, 'me')).to.equal('wait');
    expect(decideLeadership(o, 127_000, 'me')).to.equal('acquire');
  });

  it('counts transitions on takeover, keeps acquireTime on renew, and releases with an empty holder and 1 s', () => {
    const first = nextRecord(undefined, 'acquire', 'a', 1000, 15_000);
    expect(first).to.deep.equal({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTimeMs: 1000, renewTimeMs: 1000, leaseTransitions: 0 });
    const renewed = nextRecord(first, 'renew', 'a', 3000, 15_000);
    expect(renewed.acquireTimeMs).to.equal(1000);
    expect(renewed.renewTimeMs).to.equal(3000);
    const taken = nextRecord(renewed, 'acquire', 'b', 20_000, 15_000);
    expect(taken.holderIdentity).to.equal('b');
    expect(taken.leaseTransitions).to.equal(1);
    expect(releasedRecord(taken, 30_000)).to.deep.equal({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTimeMs: 30_000,
      renewTimeMs: 30_000,
      leaseTransitions: 1,
    });
  });
});

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** Advances the fake clock timer by timer until `cond` holds; returns the virtual time it took. */
async function runUntil(clock: FakeClock, cond: () => boolean, what: string, maxSteps = 500): Promise<number> {
  const start = clock.now();
  for (let i = 0; i < maxSteps; i++) {
    await flush();
    if (cond()) return clock.now() - start;
    if (!clock.step()) throw new Error(`no timers pending while waiting for: ${what}`);
  }
  throw new Error(`gave up waiting for: ${what}`);
}

describe('controller/leader-election: elector loop (fake clock, in-memory lease)', () => {
  function candidate(store: MemoryLeaseStore, clock: FakeClock, id: string, log: string[]) {
    return new LeaderElector({
      store: store.forCandidate(id),
      identity: id,
      clock,
      random: () => 0.5,
      logger: silentLogger(),
      onStartedLeading: () => log.push(`${id} started`),
      onStoppedLeading: () => log.push(`${id} stopped`),
    });
  }

  it('exactly one of two candidates leads; the other takes over within a lease duration after the leader is cut off', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = candidate(store, clock, 'a', log);
    const b = candidate(store, clock, 'b', log);
    const runA = a.run();
    void b.run();
    await runUntil(clock, () => a.isLeader() || b.isLeader(), 'a leader');
    // Let several renew rounds pass: still exactly one leader.
    for (let i = 0; i < 30; i++) {
      clock.step();
      await flush();
      expect(Number(a.isLeader()) + Number(b.isLeader())).to.equal(1, `step ${i} t=${clock.now()} ${JSON.stringify(store.record)} ${log.join(',')}`);
    }
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    const leaderId = leader.identity;
    store.cutOff.add(leaderId);
    const cutAt = clock.now();
    await runUntil(clock, () => standby.isLeader(), 'standby takes over');
    const takeover = clock.now() - cutAt;
    // Expiry: 15 s after the last observed renewal, plus at most one jittered retry period.
    expect(takeover).to.be.at.most(15_000 + 2_000 * (1 + 0.5 * 1.2) + 1);
    await runUntil(clock, () => log.includes(`${leaderId} stopped`), 'old leader gives up');
    expect(leader.isLeader()).to.equal(false);
    expect(store.record?.holderIdentity).to.equal(standby.identity);
    expect(store.record?.leaseTransitions).to.equal(1);
    if (leader === a) await runA;
    await standby.stop();
  });

  it('a leader that stops gracefully releases the lease so the standby takes over within a retry period', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = candidate(store, clock, 'a', log);
    void a.run();
    await runUntil(clock, () => a.isLeader(), 'a leads');
    const b = candidate(store, clock, 'b', log);
    void b.run();
    await runUntil(clock, () => b.observedLeader() === 'a', 'b sees a');
    const stopping = a.stop();
    await runUntil(clock, () => store.record?.holderIdentity === '', 'released');
    await stopping;
    expect(store.record?.leaseDurationSeconds).to.equal(1);
    expect(log).to.include('a stopped');
    const waited = await runUntil(clock, () => b.isLeader(), 'b takes over');
    expect(waited).to.be.at.most(2_000 * (1 + 1.2));
    await b.stop();
  });

  it('rejects inconsistent timings like client-go', () => {
    const store = new MemoryLeaseStore().forCandidate('x');
    expect(() => new LeaderElector({ store, identity: 'x', leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).to.throw(/leaseDuration/);
    expect(() => new LeaderElector({ store, identity: 'x', renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).to.throw(/renewDeadline/);
  });
});
