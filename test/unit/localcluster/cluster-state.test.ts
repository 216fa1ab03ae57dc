/** Process identity and staleness rules of the local cluster's state file. */
import { expect } from 'chai';
import { isAlive, isStale, processStartTime, START_GRACE_MS, type ClusterState } from '../../../src/localcluster/cluster-state.js';

function state(over: Partial<ClusterState>): ClusterState {
  return {
    name: 'x',
    dir: '/tmp/x',
    kubeconfig: '',
    server: '',
    binDir: '',
    nodeName: 'n',
    id: 'x-1',
    createdAt: new Date().toISOString(),
    processes: [],
    ...over,
  };
}

describe('local cluster state', () => {
  it('identifies a process by pid and start time, so a reused pid is not ours', () => {
    const me = { pid: process.pid, startTime: processStartTime(process.pid)! };
    expect(me.startTime).to.match(/^\d+$/);
    expect(isAlive(me)).to.equal(true);
    expect(isAlive({ pid: process.pid, startTime: '1' })).to.equal(false);
    expect(processStartTime(2 ** 22 + 12345)).to.equal(undefined);
  });

  it('is stale when the owner died, a process died, or nothing started within the grace period', () => {
    const me = { role: 'r', pid: process.pid, startTime: processStartTime(process.pid)!, logFile: '' };
    const dead = { ...me, startTime: '1' };
    expect(isStale(state({ processes: [me] }))).to.equal(false);
    expect(isStale(state({ processes: [me, dead] }))).to.equal(true);
    expect(isStale(state({ processes: [me], ownerPid: process.pid, ownerStartTime: '1' }))).to.equal(true);
    expect(isStale(state({ processes: [] }))).to.equal(false);
    expect(isStale(state({ processes: [] }), Date.now() + START_GRACE_MS + 1000)).to.equal(true);
  });
});
