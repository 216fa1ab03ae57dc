/**
 * Native sidecars on the local node agent, with Kubernetes' ordering: an init container with
 * `restartPolicy: Always` starts first, the app containers only once its startup probe passed
 * (the kubelet's "started"), the pod's Ready includes it, and on deletion it stops after the app
 * containers. The containers append to a shared file, so the order is read, not timed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { isRunningAndReady } from './support/pods.js';
import { waitFor } from './support/wait.js';

/** Probe periods the app must stay unstarted while the sidecar's startup probe fails (a wild guess: 3 s). */
const HOLD_MS = 3_000;

describe('local node agent: native sidecars', function () {
  this.timeout(120_000);
  before(function () {
    skipWhenExternalCluster(this, 'it tests the local node agent itself, with images that are its own fixtures');
  });

  let cluster: TestCluster;
  let ns: string;
  let shared: string;
  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('native-sidecar');
    shared = await mkdtemp(join(tmpdir(), 'native-sidecar-'));
  });
  after(async () => {
    if (ns) await deleteTestNamespace(ns);
    if (shared) await rm(shared, { recursive: true, force: true });
  });

  const getPod = async (name: string): Promise<V1Pod | undefined> => {
    const r = await cluster.kubectl(['get', 'pod', name, '-n', ns, '-o', 'json'], { allowFail: true });
    return r.code === 0 ? (JSON.parse(r.stdout) as V1Pod) : undefined;
  };
  const events = async (): Promise<string[]> =>
    (await readFile(join(shared, 'events'), 'utf8').catch(() => ''))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');

  it('starts the app only after the sidecar started, and stops the sidecar after the app', async () => {
    const mount = [{ name: 'shared', mountPath: '/shared' }];
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'ordered' },
        spec: {
          terminationGracePeriodSeconds: 10,
          volumes: [{ name: 'shared', hostPath: { path: shared } }],
          initContainers: [
            {
              name: 'sidecar',
              image: 'topology-test-shell',
              restartPolicy: 'Always',
              args: ["echo sidecar-start >> /shared/events; trap 'echo sidecar-stop >> /shared/events; exit 0' TERM; while true; do sleep 0.2; done"],
              volumeMounts: mount,
              startupProbe: { exec: { command: ['sh', '-c', 'test -f /shared/go'] }, periodSeconds: 1, failureThreshold: 120 },
            },
          ],
          containers: [
            {
              name: 'app',
              image: 'topology-test-shell',
              // Slow to stop: a sidecar stopped at the same time as the app would log first.
              args: ["echo app-start >> /shared/events; trap 'sleep 1; echo app-stop >> /shared/events; exit 0' TERM; while true; do sleep 0.2; done"],
              volumeMounts: mount,
            },
          ],
        },
      }),
    });
    await waitFor('the sidecar running', async () => ((await events()).includes('sidecar-start') ? true : undefined));
    const holdSince = Date.now();
    while (Date.now() - holdSince < HOLD_MS) {
      const p = await getPod('ordered');
      expect(await events()).to.deep.equal(['sidecar-start']);
      expect(p?.status?.initContainerStatuses?.[0]?.started ?? false, 'sidecar started').to.equal(false);
      expect(p?.status?.phase).to.equal('Pending');
      await new Promise((r) => setTimeout(r, 500));
    }
    await writeFile(join(shared, 'go'), '');
    const ready = await waitFor('the pod Ready', async () => {
      const p = await getPod('ordered');
      return p && isRunningAndReady(p) ? p : undefined;
    });
    expect(ready.status?.initContainerStatuses?.[0]).to.deep.include({ name: 'sidecar', started: true });
    expect(ready.status?.conditions?.find((c) => c.type === 'Initialized')?.status).to.equal('True');
    expect(await events()).to.deep.equal(['sidecar-start', 'app-start']);

    await cluster.kubectl(['delete', 'pod', 'ordered', '-n', ns, '--wait=true', '--timeout=60s']);
    expect(await getPod('ordered')).to.equal(undefined);
    expect(await events()).to.deep.equal(['sidecar-start', 'app-start', 'app-stop', 'sidecar-stop']);
  });

  it('stops the sidecar once the app containers of a run-to-completion pod finished, so the pod Succeeds', async () => {
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'job-like' },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 5,
          initContainers: [
            { name: 'sidecar', image: 'topology-test-shell', restartPolicy: 'Always', args: ["trap 'exit 0' TERM; while true; do sleep 0.2; done"] },
          ],
          containers: [{ name: 'work', image: 'topology-test-shell', args: ['exit 0'] }],
        },
      }),
    });
    const done = await waitFor('job-like Succeeded with its sidecar terminated', async () => {
      const p = await getPod('job-like');
      return p?.status?.phase === 'Succeeded' && p.status.initContainerStatuses?.[0]?.state?.terminated !== undefined ? p : undefined;
    });
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).to.equal(0);
  });
});
