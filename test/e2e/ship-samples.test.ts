/**
 * The runnable sample on a fresh install of the chart, on the local control plane: `helm install`
 * the operator with its defaults but one replica (the injection webhook on, called through its
 * Service), then `kubectl apply -k` the chat sample (deploy/samples/chat, through its local-cluster
 * variant deploy/samples/chat-local, which only adds the annotation binding the injected sidecar's
 * Overlay API to the pod IP: every pod shares the host loopback there). Nothing else is created by
 * hand: the sidecars come from the webhook, the credentials Secret from the operator. The sample
 * reaches Ready with its three members, the demo apps see each other over the overlay, and the
 * chart's NOTES point at the sample. Every other sample says in its first line what it expects.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CRD_NAME } from '../../src/api/constants.js';
import type { ClusterTopologyStatus } from '../../src/api/types.js';
import { operatorChartDir } from '../../src/demo/app-chart.js';
import { packageRoot } from '../../src/paths.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { listPods, readyPods } from './support/pods.js';
import { waitFor } from './support/wait.js';

const RELEASE = 'samples';
const SAMPLES = join(packageRoot(), 'deploy', 'samples');

describe('e2e: deploy/samples/chat on a fresh install of the chart', function () {
  this.timeout(300_000);
  before(function () {
    skipWhenExternalCluster(this, 'the images of the chart and the sample are mapped by the local node agent');
  });

  let cluster: TestCluster;
  let ops: string;
  let app: string;
  let crdBefore = true;
  let notes = '';

  before(async function () {
    this.timeout(30 * 60_000);
    cluster = await getCluster();
    crdBefore = (await cluster.kubectl(['get', 'crd', CRD_NAME], { allowFail: true })).code === 0;
    ops = await createTestNamespace('samples-ops');
    app = await createTestNamespace('samples-chat');
  });

  after(async function () {
    if (cluster === undefined) return;
    if (app)
      await cluster.kubectl(['delete', '-k', join(SAMPLES, 'chat-local'), '-n', app, '--ignore-not-found', '--wait=true', '--timeout=60s'], {
        allowFail: true,
      });
    await cluster.helm(['uninstall', RELEASE, '-n', ops], { allowFail: true });
    for (const ns of [app, ops]) if (ns) await deleteTestNamespace(ns);
    if (!crdBefore) await cluster.kubectl(['delete', 'crd', CRD_NAME, '--ignore-not-found', '--wait=false'], { allowFail: true });
  });

  it('helm install: the operator is Ready (its webhook serving), and the NOTES point at the sample', async () => {
    const r = await cluster.helm(['install', RELEASE, operatorChartDir(), '-n', ops, '--set', 'replicaCount=1']);
    notes = r.stdout;
    await waitFor('the operator pod Ready', () => readyPods(cluster, ops, `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`, 1), {
      timeoutMs: 120_000,
    });
    expect(notes).to.include('kubectl apply -n chat -k deploy/samples/chat');
    expect(notes).to.include('//deploy/samples/chat?ref=v0.1.0');
    expect(notes).to.include('kubectl topology promote chat');
  });

  it('kubectl apply -k the chat sample reaches Ready with 3 members, and the demo apps hear each other', async () => {
    const t0 = Date.now();
    const applied = await cluster.kubectl(['apply', '-k', join(SAMPLES, 'chat-local'), '-n', app]);
    expect(applied.stdout).to.match(/clustertopology.topology.foundation.dev\/chat created/);
    expect(applied.stdout).to.match(/statefulset.apps\/chat created/);
    const status = await waitFor(
      'ClusterTopology chat Ready, FullMesh on 3 members',
      async () => {
        const r = await cluster.kubectl(['get', 'ctopo', 'chat', '-n', app, '-o', 'json']);
        const s = (JSON.parse(r.stdout) as { status?: ClusterTopologyStatus }).status;
        return s?.phase === 'Ready' && s.currentTopology === 'FullMesh' && s.members?.ready === 3 && s.members.onTarget === 3 ? s : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    process.stderr.write(`      [measure] kubectl apply -k deploy/samples/chat → Ready (FullMesh, 3 members) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.reason).to.equal('Established');
    // The Secret the sidecars mount was made by the operator, not by the sample.
    const secret = JSON.parse((await cluster.kubectl(['get', 'secret', 'chat-sidecar-credentials', '-n', app, '-o', 'json'])).stdout) as {
      metadata: { ownerReferences?: { kind: string; name: string }[] };
    };
    expect(secret.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).to.deep.equal(['ClusterTopology/chat']);
    await waitFor('3 Ready pods (app and sidecar)', () => readyPods(cluster, app, 'app=chat', 3), { timeoutMs: 60_000 });
    // The sidecar is the webhook's: a native sidecar, with the app's address set for the app.
    for (const pod of await listPods(cluster, app, 'app=chat')) {
      expect(pod.spec!.containers.map((c) => c.name)).to.deep.equal(['app']);
      expect(pod.spec!.initContainers?.map((c) => [c.name, c.restartPolicy])).to.deep.equal([['topology-sidecar', 'Always']]);
      expect(pod.spec!.containers[0]!.env!.find((e) => e.name === 'TOPOLOGY_APP_ADDRESS')?.value).to.equal('$(POD_IP):7947');
    }
    // Each demo app lists the three members and receives the others' heartbeats over the overlay.
    const pods = await listPods(cluster, app, 'app=chat');
    for (const pod of pods) {
      const stats = await waitFor(
        `${pod.metadata!.name} hears the other two`,
        async () => {
          const res = await fetch(`http://${pod.status!.podIP!}:8090/stats`, { signal: AbortSignal.timeout(2000) });
          const s = (await res.json()) as { members: string[]; byOrigin: Record<string, number> };
          const others = Object.keys(s.byOrigin).filter((o) => o !== pod.metadata!.name);
          return s.members.length === 3 && others.length === 2 ? s : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(stats.members).to.have.length(3);
    }
  });

  it('every other sample says in its first line what it expects to exist', () => {
    const files = readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml') && !f.startsWith('chat'));
    expect(files.length).to.be.greaterThan(3);
    for (const f of files) expect(readFileSync(join(SAMPLES, f), 'utf8').split('\n')[0], f).to.match(/^# (The ClusterTopology alone: expects|Expects) /);
  });
});
