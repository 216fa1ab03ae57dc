/**
 * The kubectl plugin against a real API server: the test installs the CRD, creates a
 * ClusterTopology, writes its status through the status subresource (as the operator would: the
 * plugin only reads status) and runs `kubectl-topology` as a child process, checking its output,
 * the spec changes it makes and its exit codes.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { ANNOTATIONS, CRD_NAME } from '../../src/api/constants.js';
import { CRD_FILE } from '../../src/api/crd.js';
import { buildRoot, packageRoot } from '../../src/paths.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type CommandResult, type TestCluster } from './support/cluster.js';

const PLUGIN = join(buildRoot(), 'src', 'cli', 'main.js');

const T0 = '2026-01-01T00:00:00Z';

function manifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'topology.foundation.dev/v1alpha1',
    kind: 'ClusterTopology',
    metadata: { name },
    spec: { selector: { matchLabels: { app: name } }, ...spec },
  });
}

describe('e2e: kubectl-topology plugin', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;
  let installedHere = false;

  function plugin(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [PLUGIN, ...args], {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr });
      });
    });
  }

  async function setStatus(name: string, status: Record<string, unknown>): Promise<void> {
    await cluster.kubectl(['patch', 'ctopo', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  }

  async function spec(name: string): Promise<Record<string, unknown>> {
    return (JSON.parse((await cluster.kubectl(['get', 'ctopo', name, '-n', ns, '-o', 'json'])).stdout) as { spec: Record<string, unknown> }).spec;
  }

  const annotation = async (name: string): Promise<string | undefined> =>
    (JSON.parse((await cluster.kubectl(['get', 'ctopo', name, '-n', ns, '-o', 'json'])).stdout) as { metadata: { annotations?: Record<string, string> } })
      .metadata.annotations?.[ANNOTATIONS.control];

  const generation = async (name: string): Promise<number> =>
    (JSON.parse((await cluster.kubectl(['get', 'ctopo', name, '-n', ns, '-o', 'json'])).stdout) as { metadata: { generation: number } }).metadata.generation;

  before(async function () {
    this.timeout(30 * 60_000);
    cluster = await getCluster();
    installedHere = (await cluster.kubectl(['get', 'crd', CRD_NAME], { allowFail: true })).code !== 0;
    await cluster.kubectl(['apply', '-f', join(packageRoot(), CRD_FILE)]);
    await cluster.kubectl(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    ns = await createTestNamespace('cli-plugin');
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest('chat', { mode: 'Manual', topology: 'HyParView' }) });
  });

  after(async function () {
    if (cluster === undefined) return;
    if (ns) {
      await cluster.kubectl(['delete', 'ctopo', '--all', '-n', ns, '--ignore-not-found', '--wait=false'], { allowFail: true });
      await deleteTestNamespace(ns);
    }
    if (installedHere) await cluster.kubectl(['delete', 'crd', CRD_NAME, '--ignore-not-found', '--wait=false'], { allowFail: true });
  });

  it('status, history and analyze read what the operator wrote to status', async () => {
    const gen = await generation('chat');
    await setStatus('chat', {
      observedGeneration: gen,
      phase: 'Progressing',
      currentTopology: 'FullMesh',
      targetTopology: 'HyParView',
      epoch: 1,
      members: { total: 30, ready: 30, onTarget: 15 },
      rollout: {
        stage: 'Routing',
        from: 'FullMesh',
        to: 'HyParView',
        epoch: 2,
        trigger: 'Manual',
        stepIndex: 2,
        stepPercent: 50,
        startedAt: T0,
        stepStartedAt: T0,
        message: 'routing 50% of members over epoch 2',
      },
      history: [{ time: T0, to: 'FullMesh', trigger: 'Manual', result: 'Succeeded', reason: 'first overlay', durationSeconds: 3, epoch: 1 }],
      recommendation: { topology: 'HyParView', trigger: 'Auto', reasons: ['nodeCount 30 > largeClusterMinNodes 20'] },
      metrics: { nodeCount: 30, latencyP99Ms: 4.2, connectivityScore: 1, sampledAt: T0 },
      conditions: [{ type: 'Reconciling', status: 'True', reason: 'Routing', message: 'routing', lastTransitionTime: T0, observedGeneration: gen }],
    });
    const st = await plugin(['status', 'chat', '-n', ns]);
    expect(st.code, st.stderr).to.equal(0);
    expect(st.stdout).to.match(/Phase:\s+Progressing/);
    expect(st.stdout).to.match(/Topology:\s+FullMesh → HyParView/);
    expect(st.stdout).to.match(/Members:\s+30\/30 ready, 15 on target/);
    expect(st.stdout).to.match(/Routing 2\/3 \(50%\)/);
    const json = JSON.parse((await plugin(['status', 'chat', '-n', ns, '-o', 'json'])).stdout) as { phase: string; inFlight: boolean; namespace: string };
    expect(json).to.deep.include({ phase: 'Progressing', inFlight: true, namespace: ns });
    const yaml = await plugin(['status', 'chat', '-n', ns, '-o', 'yaml']);
    expect(yaml.stdout).to.match(/^name: chat$/m);

    const h = await plugin(['history', 'chat', '-n', ns]);
    expect(h.code).to.equal(0);
    expect(h.stdout).to.match(/FullMesh\s+Manual\s+Succeeded\s+3s\s+first overlay/);
    const a = await plugin(['analyze', 'chat', '-n', ns]);
    expect(a.stdout).to.match(/Recommendation:\s+switch to HyParView/);
    expect(a.stdout).to.include('nodeCount 30 > largeClusterMinNodes 20');
    expect(a.stdout).to.match(/latencyP99\s+4.2 ms/);
  });

  it('pause and resume set spec.paused; abort writes the control annotation and leaves spec alone', async () => {
    expect((await plugin(['pause', 'chat', '-n', ns])).stdout).to.match(/paused/);
    expect((await spec('chat')).paused).to.equal(true);
    expect((await plugin(['pause', 'chat', '-n', ns])).stdout).to.match(/already paused/);
    expect((await plugin(['resume', 'chat', '-n', ns])).code).to.equal(0);
    expect((await spec('chat')).paused).to.equal(false);

    const gen = await generation('chat');
    const ab = await plugin(['abort', 'chat', '-n', ns]);
    expect(ab.code, ab.stderr).to.equal(0);
    expect(ab.stdout).to.match(/abort of the switch to HyParView \(epoch 2\) requested: rolling back to FullMesh/);
    expect(await spec('chat')).to.deep.include({ mode: 'Manual', topology: 'HyParView' });
    expect(await generation('chat')).to.equal(gen);
    expect(await annotation('chat')).to.match(/^action=abort,target-epoch=2,id=\d{4}-\d\d-\d\dT/);
  });

  it('promote writes the control annotation for a switch waiting at a gate, and refuses otherwise', async () => {
    const refused = await plugin(['promote', 'chat', '-n', ns]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/nothing to promote: the switch to HyParView is Routing, not waiting at a gate/);
    await setStatus('chat', { phase: 'Paused', rollout: { gateStep: 2 } });
    const st = await plugin(['status', 'chat', '-n', ns]);
    expect(st.stdout).to.match(/AwaitingPromotion at step 2\/3 \(50%\)/);
    const ok = await plugin(['promote', 'chat', '-n', ns]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/promote of the switch to HyParView \(epoch 2\) past the gate at step 2 requested/);
    expect(await annotation('chat')).to.match(/^action=promote,target-epoch=2,id=/);
    await cluster.kubectl([
      'patch',
      'ctopo',
      'chat',
      '-n',
      ns,
      '--subresource=status',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/status/rollout/gateStep"}]',
    ]);
  });

  it('abort refuses when nothing is in flight (retry then applies) and when the switch is committing', async () => {
    const gen = await generation('chat');
    await setStatus('chat', {
      observedGeneration: gen,
      phase: 'Ready',
      currentTopology: 'FullMesh',
      rollout: {
        stage: 'RolledBack',
        from: 'FullMesh',
        to: 'HyParView',
        epoch: 2,
        trigger: 'Rollback',
        stepIndex: 2,
        stepPercent: 50,
        startedAt: T0,
        stepStartedAt: T0,
      },
    });
    const none = await plugin(['abort', 'chat', '-n', ns]);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.match(/no switch in flight/);
    // A rolled-back switch can be retried: the request names its epoch.
    const retry = await plugin(['retry', 'chat', '-n', ns]);
    expect(retry.code, retry.stderr).to.equal(0);
    expect(retry.stdout).to.match(/retry of the switch to HyParView \(epoch 2\) requested: the switch to HyParView starts again with a new epoch/);
    expect(await annotation('chat')).to.match(/^action=retry,target-epoch=2,id=/);
    await setStatus('chat', { phase: 'Progressing', rollout: { stage: 'Committing' } });
    const late = await plugin(['abort', 'chat', '-n', ns]);
    expect(late.code).to.equal(1);
    expect(late.stderr).to.match(/point of no return/);
  });

  it('switch --to sets spec.topology; --wait returns 0 once the operator reports it established', async () => {
    // Git (or the user) sets the spec back: abort above left spec.topology at HyParView.
    await cluster.kubectl(['patch', 'ctopo', 'chat', '-n', ns, '--type', 'merge', '-p', JSON.stringify({ spec: { topology: 'FullMesh' } })]);
    await setStatus('chat', { phase: 'Ready', currentTopology: 'FullMesh', rollout: { stage: 'Succeeded' } });
    const same = await plugin(['switch', 'chat', '--to', 'FullMesh', '-n', ns]);
    expect(same.stdout).to.match(/already_current_topology/);

    const waiting = plugin(['switch', 'chat', '--to', 'PubSub', '--wait', '--timeout', '60s', '--interval', '200ms', '-n', ns]);
    // Play the operator: observe the new generation, then report PubSub established.
    let gen = 0;
    for (let i = 0; i < 200; i++) {
      const s = await spec('chat');
      if (s.topology === 'PubSub') {
        gen = await generation('chat');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(gen).to.be.greaterThan(0);
    await setStatus('chat', {
      observedGeneration: gen,
      phase: 'Ready',
      currentTopology: 'PubSub',
      epoch: 3,
      rollout: { stage: 'Succeeded', from: 'FullMesh', to: 'PubSub', epoch: 3 },
    });
    const done = await waiting;
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.match(/PubSub is established \(epoch 3\)/);
    // Not a TTY: the live view printed one line per change.
    expect(done.stdout).to.match(/phase="Ready" topology="PubSub"/);
  });

  it('watch exits 0 when Ready, and 1 after --timeout when not', async () => {
    const w = await plugin(['watch', 'chat', '-n', ns, '--timeout', '10s']);
    expect(w.code, w.stderr).to.equal(0);
    expect(w.stdout).to.match(/phase="Ready"/);
    await setStatus('chat', { phase: 'Progressing' });
    const t = await plugin(['watch', 'chat', '-n', ns, '--timeout', '1s', '--interval', '200ms']);
    expect(t.code).to.equal(1);
    expect(t.stderr).to.match(/not Ready after 1s/);
  });

  it('reports missing resources, bad contexts and usage errors with kubectl exit codes', async () => {
    const missing = await plugin(['status', 'nope', '-n', ns]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/clustertopology "nope" in namespace "[a-z0-9-]+" not found/);
    const ctx = await plugin(['status', 'chat', '-n', ns, '--context', 'no-such-context']);
    expect(ctx.code).to.equal(1);
    expect(ctx.stderr).to.match(/context "no-such-context" does not exist/);
    const usage = await plugin(['switch', 'chat', '-n', ns]);
    expect(usage.code).to.equal(2);
    const help = await plugin(['--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include('kubectl topology simulate');
  });

  it('simulate needs no cluster and prints the recommendation', async () => {
    const r = await plugin(['simulate', '--nodes', '12', '--fail', '25', '--seed', '2', '-o', 'json'], { KUBECONFIG: '/nonexistent' });
    expect(r.code, r.stderr).to.equal(0);
    const rep = JSON.parse(r.stdout) as { nodes: number; overlays: unknown[]; recommendation: { topology: string } };
    expect(rep.nodes).to.equal(12);
    expect(rep.overlays).to.have.length(4);
    expect(rep.recommendation.topology).to.equal('HyParView');
  });
});
