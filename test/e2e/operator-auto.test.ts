/**
 * The operator end to end in Auto mode: one `topology-operator` replica and a StatefulSet of real
 * sidecars that grows from 5 to 25 pods.
 *
 * (c) The rule engine starts a full mesh for 5 members, and when the StatefulSet is scaled to 25
 *     it switches to HyParView on its own (trigger Auto; cooldown 0 s and a 5 s evaluation
 *     interval so the test does not wait minutes). Then the cooldown is raised and the thresholds
 *     are changed so that the rules recommend ClientServer: that second automatic switch is held
 *     back, and an Event says so.
 * (d) Changing `spec.workload` to EventDriven switches to PubSub at once (trigger Workload), the
 *     cooldown notwithstanding.
 *
 * Local cluster only (the sidecar image is mapped by the local node agent).
 */
import { expect } from 'chai';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterTopologyStatus } from '../../src/api/types.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { waitFor } from './support/wait.js';
import {
  OperatorProcess,
  SIDECAR_PORT,
  waitForReadyPods,
  conditionOf,
  dumpLogs,
  eventsOf,
  installCrd,
  readStatus,
  sidecarStatefulSet,
  topologyManifest,
} from './fixtures/operator-harness.js';

const APP = 'swarm';
const NAME = 'swarm';

function log(line: string): void {
  process.stderr.write(`      [operator e2e] ${line}\n`);
}

describe('e2e operator: Auto mode switches on size, holds back on cooldown, follows the workload', function () {
  this.timeout(240_000);
  before(function () {
    skipWhenExternalCluster(this, 'the topology-sidecar image is mapped by the local node agent');
  });

  let cluster: TestCluster;
  let kc: KubeConfig;
  let ns: string;
  let operator: OperatorProcess | undefined;
  let t0 = Date.now();

  const status = (): Promise<ClusterTopologyStatus> => readStatus(kc, ns, NAME);
  const patch = (spec: object): Promise<unknown> => cluster.kubectl(['patch', 'ctopo', NAME, '-n', ns, '--type', 'merge', '-p', JSON.stringify({ spec })]);
  const settledOn = (s: ClusterTopologyStatus, topology: string, members: number): boolean =>
    s.phase === 'Ready' && s.currentTopology === topology && conditionOf(s, 'Ready') === 'True' && s.members?.ready === members;

  before(async function () {
    this.timeout(240_000);
    t0 = Date.now();
    cluster = await getCluster();
    kc = cluster.kubeConfig();
    await installCrd(cluster);
    ns = await createTestNamespace('op-auto');
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: sidecarStatefulSet(APP, 5) });
    operator = await OperatorProcess.start('operator-auto', cluster.kubeconfig, ns, ['--leader-elect', 'false']);
    await waitForReadyPods(cluster, ns, APP, 5, 180_000);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && operator !== undefined) dumpLogs([operator]);
  });

  after(async function () {
    this.timeout(60_000);
    if (ns) await cluster.kubectl(['delete', 'ctopo', '--all', '-n', ns, '--wait=true', '--timeout=20s'], { allowFail: true });
    await operator?.stop();
    if (ns) await deleteTestNamespace(ns);
    if (ns) log(`auto suite wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('(c) starts FullMesh for 5, switches to HyParView at 25 on its own, and holds the next switch for the cooldown', async () => {
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: topologyManifest(NAME, {
        selector: { matchLabels: { app: APP } },
        mode: 'Auto',
        sidecar: { port: SIDECAR_PORT },
        autoSwitch: { cooldownSeconds: 0, evaluationIntervalSeconds: 5 },
        rollout: { steps: [50, 100], stepVerificationSeconds: 2, progressDeadlineSeconds: 90 },
      }),
    });
    const first = await waitFor(
      'FullMesh chosen for 5 members',
      async () => {
        const s = await status();
        return settledOn(s, 'FullMesh', 5) ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(first.recommendation?.topology).to.equal('FullMesh');
    expect(first.metrics?.nodeCount).to.equal(5);

    const t = Date.now();
    await cluster.kubectl(['scale', 'statefulset', APP, '-n', ns, '--replicas=25']);
    const s = await waitFor(
      'HyParView on 25 members',
      async () => {
        const st = await status();
        return settledOn(st, 'HyParView', 25) ? st : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const entry = s.history!.find((h) => h.to === 'HyParView')!;
    log(
      `(c) scaled 5 → 25: HyParView committed ${((Date.now() - t) / 1000).toFixed(1)} s after the scale (switch took ${entry.durationSeconds} s): ${entry.reason}`,
    );
    expect(entry).to.include({ from: 'FullMesh', trigger: 'Auto', result: 'Succeeded' });
    // The policy leaves FullMesh on size alone above largeClusterMinNodes (20), or from
    // smallClusterMaxNodes (10) up when a load signal is raised (size-rules.ts) — and a full mesh
    // of 17 or more linked members raises one (connectionsPerNode > maxConnectionsPerNode 16).
    // Which reason fires depends on how many of the new pods were Ready at the evaluation.
    expect(entry.reason).to.match(
      /nodeCount 2[1-5] > largeClusterMinNodes 20|nodeCount (1\d|2\d) ≥ smallClusterMaxNodes 10; (partitionCount|connectionsPerNode|maxQueueLength) \S+ > /,
    );
    expect(s.members).to.deep.equal({ total: 25, ready: 25, onTarget: 25 });

    // A second automatic switch: thresholds now make ClientServer the recommendation, under a long cooldown.
    await patch({ autoSwitch: { cooldownSeconds: 600, thresholds: { clientServerMinNodes: 20, maxBytesPerSecondPerNode: 1 } } });
    const held = await waitFor(
      'a CooldownActive Event',
      async () => {
        const events = await eventsOf(cluster, ns, NAME);
        return events.find((e) => e.reason === 'CooldownActive');
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    const after = await status();
    log(`(c) held back: ${held.note}`);
    expect(held.note).to.match(/switch to ClientServer held back by the cooldown until/);
    expect(after.recommendation?.topology).to.equal('ClientServer');
    expect(after.currentTopology).to.equal('HyParView');
    expect(after.rollout?.stage).to.equal('Succeeded');
    expect(after.metrics?.bytesPerSecond).to.be.greaterThan(1);
    const metrics = (await operator!.get('/metrics')).body;
    expect(metrics).to.match(/topology_switches_total\{from="FullMesh",to="HyParView",trigger="Auto",result="Succeeded"\} 1/);
  });

  it('(d) workload EventDriven switches to PubSub at once, regardless of the cooldown', async () => {
    const t = Date.now();
    await patch({ workload: 'EventDriven' });
    const s = await waitFor(
      'PubSub on 25 members',
      async () => {
        const st = await status();
        return settledOn(st, 'PubSub', 25) ? st : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const entry = s.history![s.history!.length - 1]!;
    log(`(d) workload EventDriven → PubSub in ${((Date.now() - t) / 1000).toFixed(1)} s: ${entry.reason}`);
    expect(entry).to.include({ from: 'HyParView', to: 'PubSub', trigger: 'Workload', result: 'Succeeded' });
    expect(entry.reason).to.match(/workload changed from Balanced to EventDriven/);
    const describe = (await cluster.kubectl(['describe', 'ctopo', NAME, '-n', ns])).stdout;
    expect(describe).to.contain('CooldownActive');
    expect(describe).to.match(/HyParView → PubSub/);
  });
});
