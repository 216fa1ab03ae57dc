/**
 * Two ClusterTopologies selecting the same pods, on the local control plane with one operator
 * and real sidecar pods: the one created later leaves the shared pods to the earlier one
 * (Stalled=True, reason SelectorOverlap, naming the other resource and a pod), switches its own
 * pod without touching the shared ones, and takes them over once the earlier one is deleted.
 *
 * Pods: StatefulSet `chat` (3 pods: app=chat, group=ab) and StatefulSet `extra` (1 pod: app=extra,
 * group=ab). Resource `first` selects app=chat; resource `second`, created after it, selects
 * group=ab: it shares chat-0..2 with `first` and owns extra-0.
 *
 * Local cluster only (the sidecar image is mapped by the local node agent).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ClusterTopologyStatus } from '../../src/api/types.js';
import { ControlClient, type SidecarState } from '../../src/rpc/control-client.js';
import { SIDECAR_TOKEN_SECRET_TYPE } from '../../src/operator/sidecars/token.js';
import type { TestCluster } from './support/cluster.js';
import { listPods } from './support/pods.js';
import { waitFor } from './support/wait.js';
import { SIDECAR_PORT, conditionOf, eventsOf, sidecarStatefulSet, topologyManifest, waitForReadyPods } from './fixtures/operator-harness.js';
import { operatorSuite } from './fixtures/operator-suite.js';

const TOKEN = randomBytes(16).toString('hex');
const rollout = { steps: [100], stepVerificationSeconds: 1, progressDeadlineSeconds: 40 };

function log(line: string): void {
  process.stderr.write(`      [overlap e2e] ${line}\n`);
}

describe('e2e operator: two ClusterTopologies selecting the same pods', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let ns: string;
  const suite = operatorSuite({
    namespace: 'op-overlap',
    async setUp(s) {
      ({ cluster, ns } = s);
      // Both resources name one shared token (shared-token mode), so the shared pods can be handed
      // from one to the other: managed credentials belong to one resource.
      await cluster.kubectl(['create', 'secret', 'generic', 'cluster-token', '-n', ns, '--type', SIDECAR_TOKEN_SECRET_TYPE, `--from-literal=token=${TOKEN}`]);
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: sidecarStatefulSet('chat', 3, { tokenSecret: 'cluster-token' }, { group: 'ab' }) });
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: sidecarStatefulSet('extra', 1, { tokenSecret: 'cluster-token' }, { group: 'ab' }) });
      await s.startOperator('operator-overlap');
      await waitForReadyPods(cluster, ns, 'chat', 3, 180_000);
      await waitForReadyPods(cluster, ns, 'extra', 1, 180_000);
    },
  });

  const status = (name: string): Promise<ClusterTopologyStatus> => suite.status(name);
  /** Control.State of every pod matching `selector`, by pod name. */
  async function states(selector: string): Promise<Map<string, SidecarState>> {
    const out = new Map<string, SidecarState>();
    for (const pod of await listPods(cluster, ns, selector)) {
      const c = new ControlClient(`${pod.status!.podIP!}:${SIDECAR_PORT}`, { token: TOKEN });
      const st = await c.getState();
      c.close();
      if (!st.ok) throw new Error(`${pod.metadata!.name}: ${st.message}`);
      out.set(pod.metadata!.name!, st.value);
    }
    return out;
  }
  async function addresses(selector: string): Promise<string[]> {
    return (await listPods(cluster, ns, selector)).map((p) => `${p.status!.podIP!}:${SIDECAR_PORT}`).sort();
  }

  it('the later resource reports SelectorOverlap, leaves the shared pods alone and switches only its own', async () => {
    const t = Date.now();
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: topologyManifest('first', {
        selector: { matchLabels: { app: 'chat' } },
        topology: 'FullMesh',
        sidecar: { port: SIDECAR_PORT, tokenSecretRef: { name: 'cluster-token' } },
        rollout,
      }),
    });
    const first = await waitFor('first Ready on 3 members', async () => {
      const s = await status('first');
      return s.phase === 'Ready' && s.members?.ready === 3 ? s : undefined;
    });
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: topologyManifest('second', {
        selector: { matchLabels: { group: 'ab' } },
        topology: 'FullMesh',
        sidecar: { port: SIDECAR_PORT, tokenSecretRef: { name: 'cluster-token' } },
        rollout,
      }),
    });
    const second = await waitFor('second running its own pod, with SelectorOverlap', async () => {
      const s = await status('second');
      return s.currentTopology === 'FullMesh' && s.members?.ready === 1 && conditionOf(s, 'Stalled') === 'True' ? s : undefined;
    });
    log(`both resources settled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const stalled = second.conditions!.find((c) => c.type === 'Stalled')!;
    expect(stalled.reason).to.equal('SelectorOverlap');
    expect(stalled.message).to.include(`ClusterTopology ${ns}/first`).and.include('chat-0');
    expect(second.phase).to.equal('Degraded');
    expect(second.members).to.deep.include({ total: 1, ready: 1 });
    const events = await waitFor('a SelectorOverlap Event on second', async () => {
      const e = (await eventsOf(cluster, ns, 'second')).filter((x) => x.reason === 'SelectorOverlap');
      return e.length > 0 ? e : undefined;
    });
    expect(events[0]!.type).to.equal('Warning');
    // The earlier one is untouched by it.
    const firstNow = await status('first');
    expect(firstNow).to.deep.include({ phase: 'Ready', epoch: first.epoch });
    expect(conditionOf(firstNow, 'Stalled')).to.equal('False');

    // A switch of the later one moves its own pod only: the shared pods keep the earlier one's epoch and members.
    await cluster.kubectl(['patch', 'ctopo', 'second', '-n', ns, '--type', 'merge', '-p', JSON.stringify({ spec: { topology: 'HyParView' } })]);
    const switched = await waitFor('second switched to HyParView on its own pod', async () => {
      const s = await status('second');
      return s.currentTopology === 'HyParView' && s.rollout?.stage === 'Succeeded' ? s : undefined;
    });
    const chatAddresses = await addresses('app=chat');
    for (const [name, st] of await states('app=chat')) {
      expect(st.activeEpoch, `${name} active epoch`).to.equal(first.epoch);
      expect(st.stagedEpoch, `${name} staged epoch`).to.equal(0);
      expect([...st.members].sort(), `${name} members`).to.deep.equal(chatAddresses);
    }
    const extra = (await states('app=extra')).get('extra-0')!;
    expect(extra.activeEpoch).to.equal(switched.epoch);
    expect([...extra.members]).to.deep.equal(await addresses('app=extra'));
    expect((await status('first')).history!.length, 'first never switched').to.equal(1);
  });

  it('takes the shared pods over once the earlier resource is deleted', async () => {
    const t = Date.now();
    await cluster.kubectl(['delete', 'ctopo', 'first', '-n', ns, '--wait=true', '--timeout=30s']);
    const s = await waitFor(
      'second Ready on all 4 pods',
      async () => {
        const st = await status('second');
        return st.phase === 'Ready' && st.members?.ready === 4 && conditionOf(st, 'Stalled') === 'False' ? st : undefined;
      },
      { timeoutMs: 90_000 },
    );
    log(`took the shared pods over ${((Date.now() - t) / 1000).toFixed(1)} s after the delete`);
    expect(s.currentTopology).to.equal('HyParView');
    const all = await addresses('group=ab');
    for (const [name, st] of await states('group=ab')) {
      expect(st.activeEpoch, `${name} active epoch`).to.equal(s.epoch);
      expect([...st.members].sort(), `${name} members`).to.deep.equal(all);
    }
  });
});
