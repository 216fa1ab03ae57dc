/**
 * Member readiness with hysteresis (spec.memberReadiness.notReadyGraceSeconds), on the local
 * control plane with one operator and four real sidecar pods.
 *
 * The pods carry a readiness gate the test opens and closes (`spec.readinessGates`, as a load
 * balancer controller would), so a pod turns NotReady while its sidecar keeps serving — what a
 * readiness probe that times out on a loaded node does.
 *
 * (a) A member that turns NotReady in the middle of a switch, and Ready again after it, neither
 *     rolls the switch back nor leaves the other members' views.
 * (b) A member NotReady for longer than the grace leaves: the others' member lists drop it, and
 *     it comes back once Ready.
 *
 * Local cluster only (the sidecar image is mapped by the local node agent).
 */
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterTopologyStatus } from '../../src/api/types.js';
import { ControlClient } from '../../src/rpc/control-client.js';
import type { ControlSigner } from '../../src/rpc/control-credential.js';
import type { TestCluster } from './support/cluster.js';
import { listPods } from './support/pods.js';
import { waitFor } from './support/wait.js';
import {
  SIDECAR_PORT,
  conditionOf,
  controlSignerOf,
  manualFullMesh,
  sidecarStatefulSet,
  topologyManifest,
  waitForReadyPods,
} from './fixtures/operator-harness.js';
import { operatorSuite } from './fixtures/operator-suite.js';

const APP = 'flap';
const NAME = 'flap';
const REPLICAS = 4;
/** The readiness gate the test drives. */
const GATE = 'e2e.topology.foundation.dev/serving';
const GRACE_SECONDS = 20;

function log(line: string): void {
  process.stderr.write(`      [readiness e2e] ${line}\n`);
}

/** The sidecar StatefulSet of the harness, its pods gated on {@link GATE}. */
function gatedStatefulSet(): string {
  const sts = JSON.parse(sidecarStatefulSet(APP, REPLICAS, { topology: NAME })) as { spec: { template: { spec: Record<string, unknown> } } };
  sts.spec.template.spec['readinessGates'] = [{ conditionType: GATE }];
  return JSON.stringify(sts);
}

describe('e2e operator: member readiness with hysteresis (a NotReady pod whose sidecar serves)', function () {
  this.timeout(240_000);
  let cluster: TestCluster;
  let ns: string;
  let signer: ControlSigner | undefined;
  const clients: ControlClient[] = [];
  const suite = operatorSuite({
    namespace: 'op-ready',
    async setUp(s) {
      ({ cluster, ns } = s);
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: gatedStatefulSet() });
      await s.startOperator('operator-ready');
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
        input: topologyManifest(NAME, {
          ...manualFullMesh(APP, { steps: [50, 100], stepVerificationSeconds: 3, progressDeadlineSeconds: 90 }),
          memberReadiness: { notReadyGraceSeconds: GRACE_SECONDS },
        }),
      });
      await waitFor(
        `${REPLICAS} pods with an IP`,
        async () => (await listPods(cluster, ns, `app=${APP}`)).filter((p) => (p.status?.podIP ?? '') !== '').length === REPLICAS,
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      for (let i = 0; i < REPLICAS; i++) await setGate(`${APP}-${i}`, true);
      await waitForReadyPods(cluster, ns, APP, REPLICAS, 180_000);
      signer = await controlSignerOf(cluster, ns, NAME);
      await waitFor('FullMesh Ready on every member', async () => settledOrSay(await status(), 'FullMesh'), { timeoutMs: 90_000 });
    },
    tearDown: () => {
      for (const c of clients) c.close();
    },
  });

  const status = (): Promise<ClusterTopologyStatus> => suite.status(NAME);
  const settled = (s: ClusterTopologyStatus, topology: string): boolean =>
    s.phase === 'Ready' && s.currentTopology === topology && conditionOf(s, 'Ready') === 'True' && s.members?.ready === REPLICAS;
  /** True when settled; otherwise throws what the status says instead, which a timed-out wait reports. */
  const settledOrSay = (s: ClusterTopologyStatus, topology: string): true => {
    if (settled(s, topology)) return true;
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    throw new Error(
      `phase ${s.phase}, current ${s.currentTopology}, Ready ${ready?.status} (${ready?.reason}: ${ready?.message}), members ${JSON.stringify(s.members)}, rollout ${JSON.stringify(s.rollout)}`,
    );
  };

  /** Opens or closes the readiness gate of `pod` (a strategic merge of one condition, by type). */
  async function setGate(pod: string, open: boolean): Promise<void> {
    const body = { status: { conditions: [{ type: GATE, status: open ? 'True' : 'False', lastTransitionTime: new Date().toISOString() }] } };
    await cluster.kubectl(['patch', 'pod', pod, '-n', ns, '--subresource=status', '--type=strategic', '-p', JSON.stringify(body)]);
  }
  async function pod(name: string): Promise<V1Pod> {
    return JSON.parse((await cluster.kubectl(['get', 'pod', name, '-n', ns, '-o', 'json'])).stdout) as V1Pod;
  }
  const podReady = (p: V1Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  /** The member list of the sidecar of pod `name` (what its overlays are offered); one client per address. */
  const clientsByAddress = new Map<string, ControlClient>();
  async function membersSeenBy(name: string): Promise<string[]> {
    const address = `${(await pod(name)).status?.podIP ?? ''}:${SIDECAR_PORT}`;
    let c = clientsByAddress.get(address);
    if (c === undefined) {
      c = new ControlClient(address, { signer: signer! });
      clientsByAddress.set(address, c);
      clients.push(c);
    }
    const r = await c.getState();
    if (!r.ok) throw new Error(`GetState ${name}: ${r.message}`);
    return [...r.value.members];
  }

  it('(a) a member NotReady during a switch, Ready after it: the switch succeeds and the member never leaves the others’ views', async () => {
    const flapper = `${APP}-1`;
    const address = `${(await pod(flapper)).status?.podIP}:${SIDECAR_PORT}`;
    const t0 = Date.now();
    await suite.patchSpec(NAME, { topology: 'HyParView' });
    await waitFor('the switch to HyParView under way', async () => (await status()).rollout?.to === 'HyParView', { timeoutMs: 30_000, intervalMs: 200 });
    await setGate(flapper, false);
    await waitFor(`${flapper} NotReady`, async () => !podReady(await pod(flapper)), { timeoutMs: 30_000, intervalMs: 200 });
    const notReadyAt = Date.now();
    // While it is NotReady the switch runs to its end, and the others keep listing it.
    const views: string[][] = [];
    const done = await waitFor(
      'the switch finished while the member is NotReady',
      async () => {
        views.push(await membersSeenBy(`${APP}-0`));
        const s = await status();
        return s.phase === 'Ready' && s.currentTopology === 'HyParView' ? s : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const stillNotReady = !podReady(await pod(flapper));
    const notReadySeconds = (Date.now() - notReadyAt) / 1000;
    await setGate(flapper, true);
    await waitForReadyPods(cluster, ns, APP, REPLICAS, 60_000);
    const entry = done.history?.find((h) => h.to === 'HyParView');
    log(
      `(a) ${flapper} NotReady for ${notReadySeconds.toFixed(1)} s of a switch that took ${((Date.now() - t0) / 1000).toFixed(1)} s: ${entry?.result}; ${views.length} views of ${APP}-0, ${views.filter((v) => v.includes(address)).length} listing it`,
    );
    expect(stillNotReady, 'the member was NotReady until the switch ended (else this test proves nothing)').to.equal(true);
    expect(entry?.result).to.equal('Succeeded');
    expect(views.length).to.be.greaterThan(0);
    expect(
      views.every((v) => v.includes(address)),
      `views without ${address}: ${views.filter((v) => !v.includes(address)).length}`,
    ).to.equal(true);
    expect(done.members).to.deep.include({ total: REPLICAS, ready: REPLICAS });
  });

  it('(b) a member NotReady for longer than the grace leaves the others’ views, and comes back once Ready', async () => {
    await suite.patchSpec(NAME, { memberReadiness: { notReadyGraceSeconds: 3 } });
    const leaver = `${APP}-2`;
    const address = `${(await pod(leaver)).status?.podIP}:${SIDECAR_PORT}`;
    await setGate(leaver, false);
    const notReady = await waitFor(
      `${leaver} NotReady`,
      async () => {
        const p = await pod(leaver);
        return !podReady(p) && p;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // The grace runs from the Ready condition's lastTransitionTime (what the operator reads), not
    // from when this poll saw it: on a loaded machine kubectl sees the flip a second or more late.
    const transition = (notReady.status?.conditions ?? []).find((c) => c.type === 'Ready')?.lastTransitionTime;
    const notReadyAt = Date.parse(String(transition));
    expect(Number.isFinite(notReadyAt), `Ready condition lastTransitionTime ${String(transition)}`).to.equal(true);
    await waitFor(`${leaver} dropped from ${APP}-0's member list`, async () => !(await membersSeenBy(`${APP}-0`)).includes(address), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const leftAfter = (Date.now() - notReadyAt) / 1000;
    // The pass that drops it pushes the member lists before it writes the status: wait for the write.
    await waitFor(
      `status counting ${REPLICAS - 1} ready members`,
      async () => {
        const x = await status();
        return x.members?.ready === REPLICAS - 1 ? x : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await setGate(leaver, true);
    await waitFor(`${leaver} back in ${APP}-0's member list`, async () => (await membersSeenBy(`${APP}-0`)).includes(address), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    log(`(b) ${leaver} left the member lists ${leftAfter.toFixed(1)} s after it turned NotReady (grace 3 s), and came back once Ready`);
    // Not before the grace ran out: the operator drops it at lastTransitionTime + grace at the earliest.
    expect(leftAfter).to.be.at.least(3);
  });
});
