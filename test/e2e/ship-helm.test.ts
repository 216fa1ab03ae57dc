/**
 * The Helm chart on the local control plane: `helm install` runs two operator replicas through the
 * local node agent (image topology-operator), the chart's RBAC gives the operator's
 * ServiceAccount exactly what it needs (checked with `kubectl auth can-i --as`), the aggregated
 * user roles let the built-in view read and edit patch ClusterTopologies, the operator
 * reconciles a 3-replica StatefulSet that gets its sidecar from the `topology-operator.sidecar`
 * named template plus a Manual FullMesh ClusterTopology to phase Ready, `helm test` passes, and
 * `helm uninstall` leaves nothing of the release behind except the CRD (Helm's crds/ convention)
 * and the operator's runtime Lease.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { expect } from 'chai';
import { CRD_NAME } from '../../src/api/constants.js';
import { operatorChartDir, writeAppChart } from '../../src/demo/app-chart.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { listPods, readyPods } from './support/pods.js';
import { waitFor } from './support/wait.js';

const RELEASE = 'topo';
const FULLNAME = 'topo-topology-operator';

describe('e2e: helm chart topology-operator on the local cluster', function () {
  this.timeout(300_000);
  before(function () {
    skipWhenExternalCluster(this, 'the topology-operator and topology-sidecar images of the chart are mapped by the local node agent');
  });

  let cluster: TestCluster;
  let ops: string;
  let app: string;
  let chartDir: string;
  let crdBefore = true;
  const sa = (): string => `system:serviceaccount:${ops}:${FULLNAME}`;
  const canI = async (args: string[]): Promise<string> => (await cluster.kubectl(['auth', 'can-i', ...args, '--as', sa()], { allowFail: true })).stdout.trim();

  before(async function () {
    this.timeout(30 * 60_000);
    cluster = await getCluster();
    crdBefore = (await cluster.kubectl(['get', 'crd', CRD_NAME], { allowFail: true })).code === 0;
    ops = await createTestNamespace('ship-ops');
    app = await createTestNamespace('ship-app');
    chartDir = writeAppChart(mkdtempSync(join(tmpdir(), 'ship-app-chart-')));
  });

  after(async function () {
    if (cluster === undefined) return;
    await cluster.kubectl(['delete', 'ctopo', '--all', '-n', app, '--ignore-not-found', '--wait=false'], { allowFail: true });
    await cluster.helm(['uninstall', 'members', '-n', app, '--wait'], { allowFail: true });
    await cluster.helm(['uninstall', RELEASE, '-n', ops], { allowFail: true });
    for (const ns of [app, ops]) if (ns) await deleteTestNamespace(ns);
    if (!crdBefore) {
      // Leave the cluster as found; clear finalizers of anything left so the CRD can go.
      await cluster.kubectl(['delete', 'crd', CRD_NAME, '--ignore-not-found', '--wait=false'], { allowFail: true });
    }
    if (chartDir) rmSync(chartDir, { recursive: true, force: true });
  });

  it('installs: the CRD, 2 operator pods Running, least-privilege RBAC for the operator ServiceAccount', async () => {
    const t0 = Date.now();
    await cluster.helm(['install', RELEASE, operatorChartDir(), '-n', ops]);
    await cluster.kubectl(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    const pods = await waitFor(
      '2 operator pods Running',
      async () => {
        const ps = (await listPods(cluster, ops, `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`)).filter(
          (p) => !p.metadata?.deletionTimestamp,
        );
        return ps.length === 2 && ps.every((p) => p.status?.phase === 'Running') ? ps : undefined;
      },
      { timeoutMs: 90_000 },
    );
    process.stderr.write(`      [measure] helm install → 2 operator pods Running in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(pods).to.have.length(2);

    expect(await canI(['list', 'clustertopologies.topology.foundation.dev', '-A'])).to.equal('yes');
    expect(await canI(['patch', 'clustertopologies.topology.foundation.dev', '--subresource=status', '-n', app])).to.equal('yes');
    expect(await canI(['update', 'clustertopologies.topology.foundation.dev', '--subresource=finalizers', '-n', app])).to.equal('yes');
    expect(await canI(['watch', 'pods', '-A'])).to.equal('yes');
    expect(await canI(['create', 'events.events.k8s.io', '-n', app])).to.equal('yes');
    expect(await canI(['update', 'leases.coordination.k8s.io', '-n', ops])).to.equal('yes');
    // Least privilege: nothing beyond that.
    expect(await canI(['update', 'leases.coordination.k8s.io', '-n', app])).to.equal('no');
    expect(await canI(['delete', 'clustertopologies.topology.foundation.dev', '-n', app])).to.equal('no');
    // Secrets only by name (each resource's credentials Secret, a named tokenSecretRef): never listed or watched.
    expect(await canI(['get', 'secrets', '-n', app])).to.equal('yes');
    expect(await canI(['create', 'secrets', '-n', app])).to.equal('yes');
    expect(await canI(['update', 'secrets', '-n', ops])).to.equal('yes');
    expect(await canI(['list', 'secrets', '-n', app])).to.equal('no');
    expect(await canI(['delete', 'secrets', '-n', app])).to.equal('no');
    expect(await canI(['watch', 'secrets', '-A'])).to.equal('no');
    expect(await canI(['delete', 'pods', '-n', app])).to.equal('no');
    expect(await canI(['create', 'clustertopologies.topology.foundation.dev', '-n', app])).to.equal('no');
    // The chart renders no Secret: the operator creates its key Secret itself (stable under GitOps).
    expect((await cluster.kubectl(['get', 'secret', '-n', ops, '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name'])).stdout.trim()).to.equal('');
  });

  it('the operator becomes Ready and one replica holds the leader Lease', async () => {
    const t0 = Date.now();
    await waitFor('2 Ready operator pods', () => readyPods(cluster, ops, `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`, 2), {
      timeoutMs: 120_000,
    });
    const holder = await waitFor(
      'a Lease holder',
      async () => {
        const r = await cluster.kubectl(['get', 'lease', `${FULLNAME}-lock`, '-n', ops, '-o', 'jsonpath={.spec.holderIdentity}'], { allowFail: true });
        return r.code === 0 && r.stdout !== '' ? r.stdout : undefined;
      },
      { timeoutMs: 60_000 },
    );
    process.stderr.write(`      [measure] operator Ready and leader ${holder} elected ${((Date.now() - t0) / 1000).toFixed(1)} s after the pods ran\n`);
    expect(holder).to.match(new RegExp(`^${FULLNAME}-`));
    // The leader created the operator key Secret (--credentials-secret) on its first reconcile or at once.
    await cluster.kubectl(['apply', '-n', app, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'topology.foundation.dev/v1alpha1',
        kind: 'ClusterTopology',
        metadata: { name: 'members' },
        spec: { selector: { matchLabels: { app: 'members' } }, mode: 'Manual', topology: 'FullMesh' },
      }),
    });
    await waitFor(
      "the operator key Secret and the resource's credentials Secret",
      async () =>
        (await cluster.kubectl(['get', 'secret', `${FULLNAME}-credentials`, '-n', ops], { allowFail: true })).code === 0 &&
        (await cluster.kubectl(['get', 'secret', 'members-sidecar-credentials', '-n', app], { allowFail: true })).code === 0,
      { timeoutMs: 60_000 },
    );
  });

  it('aggregated roles: a ServiceAccount bound only to the built-in view may get ClusterTopologies but not patch them; one bound to edit may patch', async () => {
    // The local API server authorizes with Node,RBAC (src/localcluster/control-plane.ts), so these are real decisions.
    const subject = (name: string): string => `system:serviceaccount:${app}:${name}`;
    for (const role of ['view', 'edit']) {
      await cluster.kubectl(['create', 'serviceaccount', `${role}-user`, '-n', app]);
      await cluster.kubectl(['create', 'rolebinding', `${role}-user`, `--clusterrole=${role}`, `--serviceaccount=${app}:${role}-user`, '-n', app]);
    }
    const resource = 'clustertopologies.topology.foundation.dev';
    const can = async (who: string, args: string[]): Promise<string> =>
      (await cluster.kubectl(['auth', 'can-i', ...args, '-n', app, '--as', subject(who)], { allowFail: true })).stdout.trim();
    // The clusterrole-aggregation controller folds <fullname>-view/-edit into view/edit shortly after install.
    await waitFor(
      'view and edit aggregate the chart roles',
      async () => (await can('view-user', ['list', resource])) === 'yes' && (await can('edit-user', ['patch', resource])) === 'yes',
      {
        timeoutMs: 60_000,
      },
    );
    expect(await can('view-user', ['watch', resource])).to.equal('yes');
    expect(await can('view-user', ['get', resource, '--subresource=status'])).to.equal('yes');
    expect(await can('view-user', ['patch', resource])).to.equal('no');
    expect(await can('view-user', ['delete', resource])).to.equal('no');
    expect(await can('edit-user', ['create', resource])).to.equal('yes');
    expect(await can('edit-user', ['delete', resource])).to.equal('yes');
    expect(await can('edit-user', ['patch', resource, '--subresource=status']), "status stays the operator's").to.equal('no');
    // The same through real requests, impersonated: kubectl get ctopo, and the merge patch of the
    // control annotation kubectl-topology abort sends (server-side dry run: nothing changes).
    const asUser = (who: string, args: string[]) => cluster.kubectl([...args, '-n', app, '--as', subject(who)], { allowFail: true });
    const got = await asUser('view-user', ['get', 'ctopo', 'members', '-o', 'name']);
    expect(got.code, got.stderr).to.equal(0);
    expect(got.stdout.trim()).to.equal(`clustertopology.topology.foundation.dev/members`);
    const patch = [
      'patch',
      'ctopo',
      'members',
      '--type=merge',
      '-p',
      JSON.stringify({ metadata: { annotations: { 'e2e.example/probe': 'x' } } }),
      '--dry-run=server',
    ];
    const refused = await asUser('view-user', patch);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/forbidden/i);
    const allowed = await asUser('edit-user', patch);
    expect(allowed.code, allowed.stderr).to.equal(0);
  });

  it('reconciles a 3-replica StatefulSet with the sidecar from the named template and a Manual FullMesh ClusterTopology to Ready', async () => {
    const t0 = Date.now();
    await cluster.helm([
      'install',
      'members',
      chartDir,
      '-n',
      app,
      '--set',
      'name=members',
      '--set',
      'replicas=3',
      '--set',
      'sidecar.appHost=$(POD_IP)',
      '--set',
      'sidecar.topology=members',
    ]);
    // The ClusterTopology (applied above) exists, so its credentials Secret does and the pods start.
    await waitFor('3 Ready member pods', () => readyPods(cluster, app, 'app=members', 3), { timeoutMs: 120_000 });
    const podsReady = Date.now();
    const status = await waitFor(
      'phase Ready with FullMesh on 3 members',
      async () => {
        const r = await cluster.kubectl(['get', 'ctopo', 'members', '-n', app, '-o', 'json']);
        const s = (JSON.parse(r.stdout) as { status?: { phase?: string; currentTopology?: string; members?: { ready: number; onTarget: number } } }).status;
        return s?.phase === 'Ready' && s.currentTopology === 'FullMesh' && s.members?.ready === 3 && s.members.onTarget === 3 ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    process.stderr.write(
      `      [measure] members Ready in ${((podsReady - t0) / 1000).toFixed(1)} s; pods Ready → resource Ready (FullMesh, 3 members) in ${((Date.now() - podsReady) / 1000).toFixed(1)} s\n`,
    );
    expect(status.members).to.deep.include({ ready: 3, onTarget: 3 });
  });

  it('the sample NetworkPolicy (deploy/samples/network-policy) is accepted by the API server', async () => {
    const sample = readFileSync(join(packageRoot(), 'deploy', 'samples', 'network-policy', 'chat-members.yaml'), 'utf8')
      .replaceAll('namespace: chat', `namespace: ${app}`)
      .replaceAll('namespace: topology-system', `namespace: ${ops}`);
    const r = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: sample });
    expect(r.stdout).to.match(/networkpolicy.networking.k8s.io\/chat-topology-members created \(server dry run\)/);
    expect(r.stdout).to.match(/networkpolicy.networking.k8s.io\/topology-operator created \(server dry run\)/);
  });

  it('helm test passes (kubectl-topology doctor with the operator ServiceAccount)', async () => {
    // The hook pod is deleted when it succeeds (hook-delete-policy), so its logs are not fetched.
    const r = await cluster.helm(['test', RELEASE, '-n', ops, '--timeout', '120s'], { timeoutMs: 150_000 });
    expect(r.stdout).to.match(/TEST SUITE:\s+topo-topology-operator-test/);
    expect(r.stdout).to.match(/Phase:\s+Succeeded/);
  });

  it('helm uninstall leaves nothing of the release behind but the CRD (and the runtime Lease and key Secret)', async () => {
    await cluster.kubectl(['delete', 'ctopo', 'members', '-n', app, '--timeout=60s']);
    await cluster.helm(['uninstall', 'members', '-n', app, '--wait']);
    await cluster.helm(['uninstall', RELEASE, '-n', ops, '--wait']);
    const sel = `app.kubernetes.io/instance=${RELEASE}`;
    const left = await waitFor(
      'release objects gone',
      async () => {
        const r = await cluster.kubectl(['get', 'deploy,rs,pods,svc,sa,role,rolebinding,secret,pdb', '-n', ops, '-l', sel, '-o', 'name']);
        const r2 = await cluster.kubectl(['get', 'secret', '-n', app, '-l', sel, '-o', 'name']);
        const all = (r.stdout + r2.stdout).trim();
        return all === '' ? 'none' : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(left).to.equal('none');
    for (const kind of ['clusterrole', 'clusterrolebinding']) {
      expect((await cluster.kubectl(['get', kind, FULLNAME], { allowFail: true })).code, kind).to.not.equal(0);
    }
    for (const role of [`${FULLNAME}-view`, `${FULLNAME}-edit`]) {
      expect((await cluster.kubectl(['get', 'clusterrole', role], { allowFail: true })).code, role).to.not.equal(0);
    }
    expect((await cluster.kubectl(['get', 'crd', CRD_NAME])).code).to.equal(0);
  });
});
