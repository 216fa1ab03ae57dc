/**
 * Leader election against a real API server: two candidates on one Lease, exactly one leads; when
 * the leader stops renewing (crash: no release) the other takes over within the lease duration;
 * a graceful stop releases the lease and the standby takes over within a retry period or two.
 */
import { expect } from 'chai';
import { LeaderElector, kubernetesLeaseStore } from '../../src/operator/controller/leader-election.js';
import { silentLogger } from '../../src/operator/controller/log.js';
import { createTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { waitFor } from './support/wait.js';

// Short timings so the test runs in seconds; same ratios as client-go's 15/10/2.
const LEASE_MS = 3_000;
const RENEW_DEADLINE_MS = 2_000;
const RETRY_MS = 500;

describe('e2e controller/leader-election', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;
  const electors: LeaderElector[] = [];

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('ctl-leader');
  });

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });

  function candidate(leaseName: string, id: string, log: string[], releaseOnStop = true): LeaderElector {
    const e = new LeaderElector({
      store: kubernetesLeaseStore(cluster.kubeConfig(), ns, leaseName),
      identity: id,
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: RENEW_DEADLINE_MS,
      retryPeriodMs: RETRY_MS,
      releaseOnStop,
      logger: silentLogger(),
      onStartedLeading: () => log.push(`${id} started`),
      onStoppedLeading: () => log.push(`${id} stopped`),
    });
    electors.push(e);
    return e;
  }

  async function holder(leaseName: string): Promise<string> {
    const r = await cluster.kubectl(['get', 'lease', leaseName, '-n', ns, '-o', 'jsonpath={.spec.holderIdentity}']);
    return r.stdout.trim();
  }

  it('two candidates: exactly one leads and holds the Lease; a crashed leader is replaced within the lease duration', async () => {
    const log: string[] = [];
    const a = candidate('crash', 'pod-a_1', log, false);
    const b = candidate('crash', 'pod-b_2', log, false);
    void a.run();
    void b.run();
    await waitFor('a leader', () => a.isLeader() || b.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
    // Over several renew periods: never two leaders, and the Lease names the one that leads.
    const until = Date.now() + 3 * RETRY_MS * 2;
    while (Date.now() < until) {
      expect(Number(a.isLeader()) + Number(b.isLeader())).to.equal(1);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    expect(await holder('crash')).to.equal(leader.identity);

    // The leader stops renewing without releasing (as if the process died).
    const stoppedAt = Date.now();
    electors.splice(electors.indexOf(leader), 1);
    await leader.stop();
    await waitFor('the standby to take over', () => standby.isLeader(), { timeoutMs: 20_000, intervalMs: 25 });
    const takeoverMs = Date.now() - stoppedAt;
    // Expiry after LEASE_MS from the standby's last observation of a renewal, plus one jittered retry.
    expect(takeoverMs).to.be.at.most(LEASE_MS + RETRY_MS * (1 + 1.2) + 2_000, 'slack for API latency on a loaded machine');
    expect(takeoverMs).to.be.at.least(LEASE_MS - RETRY_MS * (1 + 1.2) - 100, 'the lease was not released, so the standby had to wait for expiry');
    expect(await holder('crash')).to.equal(standby.identity);
    const transitions = await cluster.kubectl(['get', 'lease', 'crash', '-n', ns, '-o', 'jsonpath={.spec.leaseTransitions}']);
    expect(Number(transitions.stdout)).to.equal(1);
  });

  it('a graceful stop releases the Lease so the standby takes over quickly', async () => {
    const log: string[] = [];
    const a = candidate('release', 'pod-a_3', log);
    void a.run();
    await waitFor('a leads', () => a.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
    const b = candidate('release', 'pod-b_4', log);
    void b.run();
    await waitFor('b observes a', () => b.observedLeader() === a.identity, { timeoutMs: 10_000, intervalMs: 50 });
    const stoppedAt = Date.now();
    electors.splice(electors.indexOf(a), 1);
    await a.stop();
    expect(log).to.include('pod-a_3 stopped');
    await waitFor('b takes over', () => b.isLeader(), { timeoutMs: 20_000, intervalMs: 25 });
    expect(Date.now() - stoppedAt).to.be.below(LEASE_MS, 'released: no need to wait for expiry');
    expect(await holder('release')).to.equal(b.identity);
  });

  it('a leader that cannot renew (its Lease taken over behind its back) stops leading and says so', async () => {
    const log: string[] = [];
    const a = candidate('stolen', 'pod-a_5', log);
    void a.run();
    await waitFor('a leads', () => a.isLeader(), { timeoutMs: 20_000, intervalMs: 50 });
    // Someone else writes the Lease with a long duration: a's renewals now see a valid foreign holder.
    await cluster.kubectl([
      'patch',
      'lease',
      'stolen',
      '-n',
      ns,
      '--type',
      'merge',
      '-p',
      '{"spec":{"holderIdentity":"intruder","leaseDurationSeconds":3600}}',
    ]);
    await waitFor('a stops leading', () => log.includes('pod-a_5 stopped'), { timeoutMs: 20_000, intervalMs: 50 });
    expect(a.isLeader()).to.equal(false);
    expect(await holder('stolen')).to.equal('intruder');
  });
});
