/**
 * GitOps-safe control end to end on the local control plane: one `topology-operator` process
 * drives three real sidecar pods, and abort, retry and promote are sent with the real
 * `kubectl-topology` plugin, which writes only the control annotation. The spec is written once
 * per switch and never by a control command, so a GitOps controller re-applying it changes
 * nothing: the test re-applies the same manifest (what a sync does) and checks that too.
 *
 * In order: (a) FullMesh Ready; (b) a switch to HyParView with steps [50, pause, 100] waits at the
 * gate (phase Paused, AwaitingPromotion), and `kubectl topology status` says so; (c) abort rolls it
 * back, and it is not restarted, neither by a re-applied spec nor by a restarted operator (the
 * memory is in status); (d) retry starts the same target again with a new epoch, up to the gate;
 * (e) promote takes it past the gate to HyParView Ready.
 *
 * Local cluster only (the sidecar image is mapped by the local node agent).
 */
import { join } from 'node:path';
import { expect } from 'chai';
import type { KubeConfig } from '@kubernetes/client-node';
import { ANNOTATIONS, REASONS } from '../../src/api/constants.js';
import type { ClusterTopologySpec, ClusterTopologyStatus } from '../../src/api/types.js';
import { runWithKubeconfig } from '../../src/demo/shell.js';
import { buildRoot } from '../../src/paths.js';
import type { CommandResult, TestCluster } from './support/cluster.js';
import { waitFor } from './support/wait.js';
import {
  OperatorProcess,
  SIDECAR_PORT,
  StatusRecorder,
  conditionOf,
  eventsOf,
  readTopology,
  sidecarStatefulSet,
  topologyManifest,
  waitForReadyPods,
} from './fixtures/operator-harness.js';
import { operatorSuite } from './fixtures/operator-suite.js';

const APP = 'ctl';
const NAME = 'ctl';
const REPLICAS = 3;
const PLUGIN = join(buildRoot(), 'src', 'cli', 'main.js');

function log(line: string): void {
  process.stderr.write(`      [control e2e] ${line}\n`);
}

describe('e2e operator: abort, retry and promote through the control annotation, spec unchanged', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let kc: KubeConfig;
  let ns: string;
  let operator: OperatorProcess;
  let recorder: StatusRecorder | undefined;
  let abortedEpoch = 0;
  const suite = operatorSuite({
    namespace: 'op-control',
    async setUp(s) {
      ({ cluster, kc, ns } = s);
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: sidecarStatefulSet(APP, REPLICAS, { topology: NAME }) });
      operator = await startOperator('operator-a');
      recorder = await s.record(NAME);
    },
  });

  const base: ClusterTopologySpec = {
    selector: { matchLabels: { app: APP } },
    mode: 'Manual',
    topology: 'FullMesh',
    sidecar: { port: SIDECAR_PORT },
    rollout: { steps: [50, 'pause', 100], stepVerificationSeconds: 2, progressDeadlineSeconds: 40 },
  };
  /** What Git holds after the switch was decided: applied with kubectl apply, as a sync would. */
  const gitSpec: ClusterTopologySpec = { ...base, topology: 'HyParView' };
  const status = (): Promise<ClusterTopologyStatus> => suite.status(NAME);
  const apply = (spec: ClusterTopologySpec): Promise<unknown> => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: topologyManifest(NAME, spec) });
  const atGate = (s: ClusterTopologyStatus): boolean =>
    s.rollout?.gateStep === 2 && s.phase === 'Paused' && s.conditions?.find((c) => c.type === 'Ready')?.reason === REASONS.awaitingPromotion;

  const plugin = (args: string[]): Promise<CommandResult> => runWithKubeconfig(process.execPath, [PLUGIN, ...args, '-n', ns], cluster.kubeconfig);

  const startOperator = (id: string): Promise<OperatorProcess> => suite.startOperator(id, { lead: true });

  it('(a) FullMesh becomes Ready on 3 members', async () => {
    await apply(base);
    await waitForReadyPods(cluster, ns, APP, REPLICAS, 180_000);
    await waitFor('FullMesh Ready', async () => {
      const s = await status();
      return s.phase === 'Ready' && s.currentTopology === 'FullMesh' && s.members?.ready === REPLICAS;
    });
  });

  it('(b) a switch through steps [50, pause, 100] waits at the gate: phase Paused, reason AwaitingPromotion', async () => {
    await apply(gitSpec);
    const s = await waitFor('waiting at the gate', async () => {
      const st = await status();
      return atGate(st) ? st : undefined;
    });
    expect(s.rollout).to.deep.include({ stage: 'Routing', stepPercent: 50, to: 'HyParView' });
    expect(s.members?.onTarget).to.equal(Math.ceil(REPLICAS / 2));
    const out = await plugin(['status', NAME]);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.match(/Phase:\s+Paused/);
    expect(out.stdout).to.match(/AwaitingPromotion at step 2\/3 \(50%\)/);
    expect(out.stdout).to.match(/Ready\s+False\s+AwaitingPromotion/);
    log(`(b) waiting at the gate, epoch ${s.rollout!.epoch}, ${s.members?.onTarget}/${REPLICAS} members on HyParView`);
  });

  it('(c) abort rolls back and the switch is not restarted: not by a re-applied spec, not by an operator restart', async () => {
    const before = await readTopology(kc, ns, NAME);
    abortedEpoch = before.status!.rollout!.epoch;
    const out = await plugin(['abort', NAME]);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.include(`abort of the switch to HyParView (epoch ${abortedEpoch}) requested`);
    expect(out.stdout).to.include(`${ANNOTATIONS.control}=action=abort,target-epoch=${abortedEpoch},id=`);
    const rolledBack = await waitFor('RolledBack and remembered', async () => {
      const s = await status();
      return s.rollout?.stage === 'RolledBack' && s.phase === 'Degraded' && s.abortedTarget !== undefined ? s : undefined;
    });
    expect(rolledBack.currentTopology).to.equal('FullMesh');
    expect(rolledBack.lastControlRequest).to.deep.include({ action: 'abort', result: 'Applied', epoch: abortedEpoch });
    expect(rolledBack.abortedTarget).to.deep.include({ topology: 'HyParView', epoch: abortedEpoch });
    expect(rolledBack.conditions?.find((c) => c.type === 'Stalled')).to.deep.include({ status: 'True', reason: REASONS.aborted });
    // The plugin wrote no spec: the generation is the one the switch started at.
    const after = await readTopology(kc, ns, NAME);
    expect(after.metadata.generation).to.equal(before.metadata.generation);
    expect(after.spec.topology).to.equal('HyParView');

    // A GitOps sync applies Git's spec again: nothing changes, nothing restarts.
    await apply(gitSpec);
    expect((await readTopology(kc, ns, NAME)).metadata.generation).to.equal(before.metadata.generation);
    // A new operator process reconciles from status alone: the abort is remembered there.
    const t = Date.now();
    await operator.stop();
    operator = await startOperator('operator-b');
    await waitFor('the new operator reconciled the resource', async () => {
      const m = await operator.get('/metrics');
      return /topology_operator_reconcile_total\{controller="clustertopology",result="(?:success|requeue_after)"\} [1-9]/.test(m.body);
    });
    const s = await status();
    expect(s.rollout).to.deep.include({ stage: 'RolledBack', epoch: abortedEpoch });
    expect(s.currentTopology).to.equal('FullMesh');
    expect(conditionOf(s, 'Stalled')).to.equal('True');
    expect(
      recorder!.steps(t).filter((x) => x !== 'RolledBack'),
      'stages seen after the restart',
    ).to.deep.equal([]);
    const events = await eventsOf(cluster, ns, NAME);
    expect(events.filter((e) => e.reason === 'SwitchStarted')).to.have.length(2); // the first overlay and the aborted switch
    expect(events.map((e) => e.reason)).to.include(REASONS.aborted);
    log(`(c) aborted epoch ${abortedEpoch}; still rolled back after a re-applied spec and an operator restart`);
  });

  it('(d) retry starts the same target again, with a new epoch, up to the gate', async () => {
    const out = await plugin(['retry', NAME]);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.include(`retry of the switch to HyParView (epoch ${abortedEpoch}) requested`);
    const s = await waitFor('at the gate again', async () => {
      const st = await status();
      return atGate(st) && st.rollout!.epoch > abortedEpoch ? st : undefined;
    });
    expect(s.abortedTarget).to.equal(undefined);
    expect(s.lastControlRequest).to.deep.include({ action: 'retry', result: 'Applied', epoch: abortedEpoch });
  });

  it('(e) promote continues past the gate to HyParView Ready', async () => {
    const epoch = (await status()).rollout!.epoch;
    const out = await plugin(['promote', NAME]);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.include(`promote of the switch to HyParView (epoch ${epoch}) past the gate at step 2 requested`);
    const s = await waitFor('HyParView Ready', async () => {
      const st = await status();
      return st.phase === 'Ready' && st.currentTopology === 'HyParView' && st.members?.onTarget === REPLICAS ? st : undefined;
    });
    expect(s.epoch).to.equal(epoch);
    expect(s.history!.slice(-2).map((h) => `${h.to}:${h.result}`)).to.deep.equal(['HyParView:RolledBack', 'HyParView:Succeeded']);
    const again = await plugin(['promote', NAME]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('nothing to promote');
  });
});
