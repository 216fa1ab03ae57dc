/** Pod phase and conditions from container snapshots, and the pod IP pool. */
import { expect } from 'chai';
import type { ContainerSnapshot } from '../../../src/localcluster/node-agent-container.js';
import { IpPool } from '../../../src/localcluster/node-agent-ip-pool.js';
import { buildPodStatus, strategicStatusPatch } from '../../../src/localcluster/node-agent-status.js';

const t = new Date('2026-01-01T00:00:00Z');
function snap(over: Partial<ContainerSnapshot>): ContainerSnapshot {
  return { name: 'c', image: 'i', state: { running: { startedAt: t } }, lastState: {}, restartCount: 0, ready: true, started: true, done: false, ...over };
}
const base = { podIP: '127.0.1.1', hostIP: '127.0.0.1', startTime: t, init: [], initCount: 0 };
const cond = (s: ReturnType<typeof buildPodStatus>, type: string): string | undefined => s.conditions?.find((c) => c.type === type)?.status;

describe('node agent pod status', () => {
  it('is Running and Ready when every container runs and is ready', () => {
    const s = buildPodStatus({ ...base, containers: [snap({}), snap({ name: 'd' })] });
    expect(s.phase).to.equal('Running');
    expect(cond(s, 'Ready')).to.equal('True');
    expect(cond(s, 'ContainersReady')).to.equal('True');
    expect(s.podIPs).to.deep.equal([{ ip: '127.0.1.1' }]);
  });

  it('is Ready only while every readiness gate condition is True (ContainersReady stays True), as the kubelet computes it', () => {
    const gated = (status?: string): ReturnType<typeof buildPodStatus> =>
      buildPodStatus({
        ...base,
        containers: [snap({})],
        readinessGates: ['example.com/gate'],
        podConditions: status === undefined ? [] : [{ type: 'example.com/gate', status }],
      });
    expect(cond(gated('True'), 'Ready')).to.equal('True');
    for (const closed of [gated('False'), gated(undefined)]) {
      expect(cond(closed, 'Ready')).to.equal('False');
      expect(cond(closed, 'ContainersReady')).to.equal('True');
      expect(closed.conditions?.find((c) => c.type === 'Ready')?.reason).to.equal('ReadinessGatesNotReady');
    }
  });

  it('as a strategic merge patch, deletes what it left unset: a condition reason, a container state left, a containerID', () => {
    const s = buildPodStatus({ ...base, containers: [snap({ state: { running: { startedAt: t } } })] });
    const patch = strategicStatusPatch(s) as { conditions: Record<string, unknown>[]; containerStatuses: Record<string, unknown>[] };
    expect(patch.conditions.find((c) => c['type'] === 'Ready')).to.include({ status: 'True', reason: null, message: null });
    expect(patch.containerStatuses[0]!['state']).to.deep.equal({ waiting: null, running: { startedAt: t }, terminated: null });
    expect(patch.containerStatuses[0]!['containerID']).to.equal(null);
  });

  it('is Running but not Ready while a readiness probe fails', () => {
    const s = buildPodStatus({ ...base, containers: [snap({ ready: false })] });
    expect(s.phase).to.equal('Running');
    expect(cond(s, 'Ready')).to.equal('False');
  });

  it('is Pending with the waiting reason while blocked (unknown image)', () => {
    const s = buildPodStatus({ ...base, containers: [], blocked: { reason: 'ErrImagePull', message: 'm', containers: [{ name: 'c', image: 'x' }] } });
    expect(s.phase).to.equal('Pending');
    expect(s.containerStatuses?.[0]?.state?.waiting?.reason).to.equal('ErrImagePull');
  });

  it('is Succeeded / Failed when all containers are done for good', () => {
    const ok = snap({ done: true, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    const bad = snap({ done: true, ready: false, state: { terminated: { exitCode: 2, reason: 'Error' } } });
    expect(buildPodStatus({ ...base, containers: [ok] }).phase).to.equal('Succeeded');
    expect(buildPodStatus({ ...base, containers: [ok, bad] }).phase).to.equal('Failed');
  });

  it('stays Running while a container waits in CrashLoopBackOff, and keeps transition times', () => {
    const crashing = snap({ ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } });
    const first = buildPodStatus({ ...base, containers: [crashing] });
    expect(first.phase).to.equal('Running');
    const again = buildPodStatus({ ...base, containers: [crashing], previous: first.conditions });
    expect(again.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).to.equal(
      first.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime,
    );
  });

  it('is Pending and not Initialized until the init containers succeeded', () => {
    const s = buildPodStatus({ ...base, initCount: 1, init: [snap({ ready: false })], containers: [] });
    expect(s.phase).to.equal('Pending');
    expect(cond(s, 'Initialized')).to.equal('False');
  });
});

describe('node agent pod IP pool', () => {
  it('hands out unique loopback addresses from 127.0.1.1 and does not reuse a released one at once', () => {
    const pool = new IpPool(0, () => new Set());
    const a = pool.allocate();
    const b = pool.allocate();
    expect([a, b]).to.deep.equal(['127.0.1.1', '127.0.1.2']);
    pool.release(a);
    expect(pool.allocate()).to.equal('127.0.1.3');
    expect(pool.reserve('127.0.1.2')).to.equal(false);
    expect(pool.reserve('127.0.9.9')).to.equal(true);
    expect(pool.size).to.equal(3);
  });

  it('skips .0 and .255 host octets', () => {
    const pool = new IpPool(0, () => new Set());
    const seen: string[] = [];
    for (let i = 0; i < 300; i++) seen.push(pool.allocate());
    expect(seen.some((ip) => ip.endsWith('.0') || ip.endsWith('.255'))).to.equal(false);
    expect(seen).to.include('127.0.2.1');
  });

  it('uses its own pod network and skips addresses something already listens on', () => {
    const pool = new IpPool(7, () => new Set(['127.7.1.1']));
    expect(pool.allocate()).to.equal('127.7.1.2');
    expect(pool.reserve('127.0.1.5')).to.equal(false);
    expect(() => new IpPool(256)).to.throw(/0-255/);
  });
});

describe('node agent pod status: native sidecars', () => {
  const sidecar = (over: Partial<ContainerSnapshot>): ContainerSnapshot => snap({ name: 'topology-sidecar', ...over });

  it('a started native sidecar counts as an initialized init container; its readiness is part of Ready', () => {
    const running = buildPodStatus({ ...base, init: [sidecar({})], initCount: 1, initRestartable: [true], containers: [snap({})] });
    expect(running.phase).to.equal('Running');
    expect(cond(running, 'Initialized')).to.equal('True');
    expect(cond(running, 'Ready')).to.equal('True');
    const notReady = buildPodStatus({ ...base, init: [sidecar({ ready: false })], initCount: 1, initRestartable: [true], containers: [snap({})] });
    expect(cond(notReady, 'Ready')).to.equal('False');
    const notStarted = buildPodStatus({ ...base, init: [sidecar({ started: false, ready: false })], initCount: 1, initRestartable: [true], containers: [] });
    expect(notStarted.phase).to.equal('Pending');
    expect(cond(notStarted, 'Initialized')).to.equal('False');
  });

  it('a crashed native sidecar does not fail the pod (it is restarted); a plain init container does', () => {
    const crashed = sidecar({ state: { terminated: { exitCode: 1, reason: 'Error' } }, done: false, ready: false, restartCount: 1 });
    expect(buildPodStatus({ ...base, init: [crashed], initCount: 1, initRestartable: [true], containers: [snap({})] }).phase).to.not.equal('Failed');
    const failed = snap({ name: 'init', state: { terminated: { exitCode: 1, reason: 'Error' } }, done: true, ready: false });
    expect(buildPodStatus({ ...base, init: [failed], initCount: 1, initRestartable: [false], containers: [] }).phase).to.equal('Failed');
  });
});
