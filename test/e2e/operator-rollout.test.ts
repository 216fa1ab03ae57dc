/**
 * The operator end to end on the local control plane, in Manual mode: two `topology-operator`
 * replicas (child processes of the compiled tree, leader election on a Lease) drive five real
 * sidecar pods of one StatefulSet through phased switches.
 *
 * One StatefulSet and one ClusterTopology serve the whole suite, in order: (a) the first overlay,
 * (b) a switch under application traffic, (f) a member killed mid-switch rolls it back, (g) the
 * leader killed mid-switch hands over to the standby, (h) the Peer token rotates in three edits of
 * the credentials Secret, (i) deletion runs the finalizer. Each step
 * starts from the settled state the previous one leaves and checks it first.
 *
 * The sidecars mount the resource's credentials Secret, which the operator creates: Peer calls need
 * its Peer token, Control calls a signature by the operator's key for this resource (the
 * sidecars hold only its public key), so every call here is authenticated and a member's token
 * opens no Control call.
 *
 * Local cluster only (the sidecar image is mapped by the local node agent).
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { tokenFingerprint } from '../../src/rpc/cluster-token.js';
import type { ControlSigner } from '../../src/rpc/control-credential.js';
import { ControlClient } from '../../src/rpc/control-client.js';
import { AppClient, TrafficGenerator, auditDeliveries, describeSendErrors } from '../../src/fleet/app-traffic.js';
import type { TestCluster } from './support/cluster.js';
import { listPods } from './support/pods.js';
import { waitFor } from './support/wait.js';
import {
  APP_PORT,
  OperatorProcess,
  SIDECAR_PORT,
  controlSignerOf,
  peerTokenOf,
  StatusRecorder,
  waitForReadyPods,
  conditionOf,
  eventsOf,
  readTopology,
  sidecarStatefulSet,
  topologyManifest,
  manualFullMesh,
} from './fixtures/operator-harness.js';
import { operatorSuite } from './fixtures/operator-suite.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterTopologyStatus } from '../../src/api/types.js';

const APP = 'chat';
const NAME = 'chat';
const REPLICAS = 5;

function log(line: string): void {
  process.stderr.write(`      [operator e2e] ${line}\n`);
}

describe('e2e operator: Manual switches with two replicas and five sidecars', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let kc: KubeConfig;
  let ns: string;
  let recorder: StatusRecorder | undefined;
  let t0 = Date.now();
  /** The operator's Control signer for the resource (managed credentials; known once the resource exists). */
  let SIGNER: ControlSigner | undefined;
  before(() => (t0 = Date.now()));
  const suite = operatorSuite({
    namespace: 'op-rollout',
    async setUp(s) {
      ({ cluster, kc, ns } = s);
      // The pods mount the resource's credentials Secret: they start once (a) created the resource.
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: sidecarStatefulSet(APP, REPLICAS, { topology: NAME }, { tier: 'e2e', hidden: 'x' }) });
      await s.startOperator('operator-a');
      await s.startOperator('operator-b');
      await waitFor('one operator replica leading', async () => (await leader()) !== undefined, { timeoutMs: 60_000 });
      recorder = await s.record(NAME);
    },
  });
  const operators = suite.operators;

  const status = (): Promise<ClusterTopologyStatus> => suite.status(NAME);
  const patch = (spec: object): Promise<unknown> => suite.patchSpec(NAME, spec);
  const settled = (s: ClusterTopologyStatus, topology: string): boolean =>
    s.phase === 'Ready' &&
    s.currentTopology === topology &&
    conditionOf(s, 'Ready') === 'True' &&
    conditionOf(s, 'Reconciling') === 'False' &&
    s.members?.ready === REPLICAS;
  async function leader(): Promise<OperatorProcess | undefined> {
    for (const op of operators) {
      if (!op.running) continue;
      const m = await op.get('/metrics').catch(() => undefined);
      if (m !== undefined && /topology_operator_leader\{[^}]*\} 1\b/.test(m.body)) return op;
    }
    return undefined;
  }

  after(() => {
    if (ns) log(`suite wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('(a) a Manual FullMesh resource becomes Ready with 5 members, finalizer and observedGeneration', async () => {
    const t = Date.now();
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: topologyManifest(NAME, {
        ...manualFullMesh(APP, { steps: [20, 60, 100], stepVerificationSeconds: 2, progressDeadlineSeconds: 40 }),
        memberTags: ['tier'],
      }),
    });
    await waitForReadyPods(cluster, ns, APP, REPLICAS, 180_000);
    SIGNER = await controlSignerOf(cluster, ns, NAME);
    const s = await waitFor(
      'FullMesh Ready on 5 members',
      async () => {
        const st = await status();
        return settled(st, 'FullMesh') ? st : undefined;
      },
      { timeoutMs: 60_000 },
    );
    log(`(a) apply → Ready FullMesh on ${REPLICAS} members in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const obj = await readTopology(kc, ns, NAME);
    expect(obj.metadata.finalizers).to.include('topology.foundation.dev/finalizer');
    expect(s.observedGeneration).to.equal(obj.metadata.generation);
    expect(s.members).to.deep.equal({ total: REPLICAS, ready: REPLICAS, onTarget: REPLICAS });
    expect(s.epoch).to.be.greaterThan(0);
    expect(conditionOf(s, 'Stalled')).to.equal('False');
    // Every sidecar runs the committed epoch.
    for (const pod of await listPods(cluster, ns, `app=${APP}`)) {
      const c = new ControlClient(`${pod.status!.podIP!}:${SIDECAR_PORT}`, { signer: SIGNER! });
      const st = await c.getState();
      c.close();
      expect(st.ok && st.value.activeEpoch).to.equal(s.epoch);
      expect(st.ok && st.value.members.length).to.equal(REPLICAS);
    }
    // App API v2: the pod label listed in spec.memberTags is every member's tag (the unlisted one is not).
    const first = (await listPods(cluster, ns, `app=${APP}`))[0]!;
    const app = new AppClient(`${first.status!.podIP!}:${SIDECAR_PORT}`, `${first.status!.podIP!}:${APP_PORT}`);
    try {
      const details = await waitFor(
        'member_details with the tier tag',
        async () => {
          const d = await app.memberDetails();
          return d.length === REPLICAS && d.every((m) => m.tags['tier'] === 'e2e') ? d : undefined;
        },
        { timeoutMs: 30_000 },
      );
      for (const m of details) expect(m.tags).to.deep.equal({ tier: 'e2e' });
      expect(details.map((m) => m.pod).sort()).to.deep.equal(Array.from({ length: REPLICAS }, (_, i) => `${APP}-${i}`));
    } finally {
      app.close();
    }
    // The sidecars refuse Control calls without a token, and with the members' own Peer token
    // (what a member pod holds): only the operator's Control token opens Control.
    const anyPod = (await listPods(cluster, ns, `app=${APP}`))[0]!;
    const anonymous = new ControlClient(`${anyPod.status!.podIP!}:${SIDECAR_PORT}`);
    const refused = await anonymous.getState();
    anonymous.close();
    expect(refused.ok).to.equal(false);
    const member = new ControlClient(`${anyPod.status!.podIP!}:${SIDECAR_PORT}`, { token: await peerTokenOf(cluster, ns, NAME) });
    const asMember = await member.abort(s.epoch!);
    member.close();
    expect(asMember.ok).to.equal(false);
    expect(!asMember.ok && asMember.code).to.equal(16); // UNAUTHENTICATED
    // Only the leader acts; its /metrics and probes are served.
    const lead = (await leader())!;
    const standby = operators.find((o) => o !== lead)!;
    expect((await lead.get('/healthz')).status).to.equal(200);
    expect((await lead.get('/readyz')).status).to.equal(200);
    expect((await standby.get('/readyz')).status).to.equal(200);
    const metrics = (await lead.get('/metrics')).body;
    expect(metrics).to.match(new RegExp(`topology_current\\{namespace="${ns}",name="${NAME}",topology="FullMesh"\\} 1`));
    expect(metrics).to.match(/topology_operator_reconcile_total\{controller="clustertopology",result="[a-z_]+"\} \d+/);
    expect(metrics).to.match(/topology_operator_workqueue_adds_total\{name="clustertopology"\} \d+/);
    expect(metrics).to.match(new RegExp(`topology_members\\{namespace="${ns}",name="${NAME}",state="ready"\\} ${REPLICAS}`));
    expect(metrics).to.match(/topology_switches_total\{from="none",to="FullMesh",trigger="Manual",result="Succeeded"\} 1/);
    expect((await standby.get('/metrics')).body).to.not.match(/topology_current\{/);
  });

  it('(b) patching to HyParView runs the phased switch step by step under traffic, losing nothing', async () => {
    const pods = await listPods(cluster, ns, `app=${APP}`);
    const apps = pods.map((p) => new AppClient(`${p.status!.podIP!}:${SIDECAR_PORT}`, `${p.status!.podIP!}:${APP_PORT}`));
    await Promise.all(apps.map((a) => a.subscribe()));
    const traffic = new TrafficGenerator(apps, { ratePerMember: 10, seed: 7 });
    traffic.start();
    const t = Date.now();
    try {
      await patch({ topology: 'HyParView' });
      await waitFor('HyParView Ready', async () => settled(await status(), 'HyParView'), { timeoutMs: 90_000 });
    } finally {
      await traffic.stop();
    }
    const took = (Date.now() - t) / 1000;
    const receivers = new Map(apps.map((a) => [a.member, a.received]));
    const audit = await waitFor(
      'every message delivered',
      () => {
        const a = auditDeliveries(
          apps.flatMap((x) => x.sent),
          receivers,
        );
        return a.lost === 0 ? a : undefined;
      },
      { timeoutMs: 15_000 },
    ).catch(() =>
      auditDeliveries(
        apps.flatMap((x) => x.sent),
        receivers,
      ),
    );
    for (const a of apps) a.close();
    const steps = recorder!.steps(t);
    log(
      `(b) FullMesh → HyParView in ${took.toFixed(1)} s; steps seen: ${steps.join(' → ')}; traffic: ${audit.sent} sent, ${audit.delivered}/${audit.expectedDeliveries} delivered, ${audit.lost} lost, ${audit.duplicated} duplicated`,
    );
    expect(steps).to.include.members(['Preparing', 'Routing 20%', 'Routing 60%', 'Routing 100%', 'Succeeded']);
    expect(steps.indexOf('Routing 20%')).to.be.lessThan(steps.indexOf('Routing 60%'));
    expect(audit.sent).to.be.greaterThan(50);
    expect(audit.lost, `lost: ${audit.lostExamples.join(', ')}`).to.equal(0);
    expect(audit.duplicated, `duplicated: ${audit.duplicateExamples.join(', ')}`).to.equal(0);
    expect(
      apps.reduce((n, a) => n + a.sendErrors, 0),
      `send errors:\n${describeSendErrors(apps, t)}\nsteps: ${steps.join(' → ')}`,
    ).to.equal(0);
    const s = await status();
    const last = s.history![s.history!.length - 1]!;
    expect(last).to.include({ from: 'FullMesh', to: 'HyParView', trigger: 'Manual', result: 'Succeeded' });
    const describe = (await cluster.kubectl(['describe', 'ctopo', NAME, '-n', ns])).stdout;
    for (const reason of ['SwitchStarted', 'Routing', 'Committing', 'SwitchSucceeded']) expect(describe).to.contain(reason);
    expect(describe).to.match(/FullMesh → HyParView/);
  });

  it('(f) a member pod killed mid-switch fails verification, rolls back, and conditions recover', async () => {
    const before = await status();
    expect(settled(before, 'HyParView')).to.equal(true);
    const t = Date.now();
    await patch({ topology: 'PubSub', rollout: { stepVerificationSeconds: 5 } });
    await waitFor('the switch routing its first step', () => recorder!.seen.some((s) => s.at >= t && s.stage === 'Routing' && s.target === 'PubSub'), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const victim = `${APP}-3`;
    await cluster.kubectl(['delete', 'pod', victim, '-n', ns, '--wait=false']);
    log(`(f) killed ${victim} while routing to PubSub`);
    const s = await waitFor(
      'the switch rolled back',
      async () => {
        const st = await status();
        const last = st.history?.[st.history.length - 1];
        return last !== undefined && last.to === 'PubSub' && last.result === 'RolledBack' ? st : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const last = s.history![s.history!.length - 1]!;
    log(`(f) rolled back after ${((Date.now() - t) / 1000).toFixed(1)} s: ${last.reason}; steps: ${recorder!.steps(t).join(' → ')}`);
    expect(last.reason).to.match(/lost during the switch|probes|not connected/);
    expect(s.currentTopology).to.equal('HyParView');
    // The status may go from the failed step straight to RolledBack: when every member
    // acknowledges the rollback in the pass that starts it, the pass moves on at once. The
    // Events tell each stage.
    expect(recorder!.steps(t).slice(-1)).to.deep.equal(['RolledBack']);
    const events = await eventsOf(cluster, ns, NAME);
    expect(events.map((e) => e.reason)).to.include.members(['VerificationFailed', 'RollingBack', 'RolledBack']);
    // The rolled-back target is not retried until the spec changes: Stalled says so.
    const stalled = await waitFor(
      'Stalled after the rollback',
      async () => {
        const st = await status();
        return conditionOf(st, 'Stalled') === 'True' && conditionOf(st, 'Ready') === 'False' ? st : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(stalled.conditions!.find((c) => c.type === 'Stalled')!.message).to.match(/rolled back/);
    // Setting the spec back to the serving topology recovers the conditions.
    await patch({ topology: 'HyParView' });
    await waitFor(
      'Ready again on HyParView with 5 members',
      async () => {
        const st = await status();
        return settled(st, 'HyParView') && conditionOf(st, 'Stalled') === 'False';
      },
      { timeoutMs: 60_000 },
    );
  });

  it('(g) the leader killed mid-switch: the standby takes the Lease and completes the switch', async () => {
    const lead = (await leader())!;
    expect(lead).to.not.equal(undefined);
    const t = Date.now();
    await patch({ topology: 'FullMesh', rollout: { stepVerificationSeconds: 3 } });
    await waitFor('the switch under way', () => recorder!.seen.some((s) => s.at >= t && s.stage === 'Routing' && s.target === 'FullMesh'), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await lead.stop('SIGKILL');
    const killedAt = Date.now();
    log(`(g) killed leader ${lead.id} (pid ${lead.pid}) during ${recorder!.seen[recorder!.seen.length - 1]?.stage}`);
    const next = await waitFor(
      'another replica leading',
      async () => {
        const l = await leader();
        return l !== undefined && l !== lead ? l : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const tookOver = (Date.now() - killedAt) / 1000;
    const s = await waitFor(
      'FullMesh Ready',
      async () => {
        const st = await status();
        return settled(st, 'FullMesh') ? st : undefined;
      },
      { timeoutMs: 90_000 },
    );
    log(
      `(g) ${next.id} took over in ${tookOver.toFixed(1)} s; switch completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill; steps: ${recorder!.steps(t).join(' → ')}`,
    );
    const last = s.history![s.history!.length - 1]!;
    expect(last).to.include({ from: 'HyParView', to: 'FullMesh', result: 'Succeeded' });
    // Keep two replicas: the killed one comes back as a standby.
    await suite.startOperator('operator-c');
  });

  it('(h) the Peer token rotates in three edits of the credentials Secret: no restart, no call refused, the old token refused at the end', async function () {
    this.timeout(240_000);
    const t = Date.now();
    const oldToken = await peerTokenOf(cluster, ns, NAME);
    const newToken = randomBytes(32).toString('base64url');
    const pods = await listPods(cluster, ns, `app=${APP}`);
    const ips = pods.map((p) => p.status!.podIP!);
    const setPeerTokens = (text: string): Promise<unknown> =>
      cluster.kubectl([
        'patch',
        'secret',
        `${NAME}-sidecar-credentials`,
        '-n',
        ns,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ data: { 'peer-token': Buffer.from(text).toString('base64') } }),
      ]);
    const metrics = async (ip: string): Promise<string> => (await fetch(`http://${ip}:9464/metrics`)).text();
    const figures = (m: string): { sent: string | undefined; accepted: number; unauthenticated: number } => ({
      sent: /topology_sidecar_peer_token_sent_info\{[^}]*fingerprint="([0-9a-f]{8})"/.exec(m)?.[1],
      accepted: Number(/topology_sidecar_credentials_accepted\{[^}]*credential="peer"[^}]*\} (\d+)/.exec(m)?.[1] ?? NaN),
      unauthenticated: Number(/topology_sidecar_unauthenticated_requests_total\{[^}]*\} (\d+)/.exec(m)?.[1] ?? NaN),
    });
    const everySidecar = (what: string, sent: string, accepted: number): Promise<unknown> =>
      waitFor(
        `every sidecar ${what}`,
        async () => {
          const all = await Promise.all(ips.map(async (ip) => figures(await metrics(ip))));
          return all.every((f) => f.sent === tokenFingerprint(sent) && f.accepted === accepted) ? all : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    const refusedBefore = (await Promise.all(ips.map(async (ip) => figures(await metrics(ip)).unauthenticated))).reduce((a, b) => a + b, 0);
    const switchTo = async (topology: string): Promise<void> => {
      await patch({ topology, rollout: { stepVerificationSeconds: 2, progressDeadlineSeconds: 60 } });
      await waitFor(`${topology} Ready`, async () => settled(await status(), topology), { timeoutMs: 90_000 });
    };

    await setPeerTokens(`${oldToken}\n${newToken}\n`);
    await everySidecar('accepts both tokens and still sends the old one', oldToken, 2);
    await setPeerTokens(`${newToken}\n${oldToken}\n`);
    await everySidecar('sends the new token and still accepts the old one', newToken, 2);
    // New links (a switch opens one per neighbour) now carry the new token: every member accepts it.
    await switchTo('HyParView');
    await setPeerTokens(`${newToken}\n`);
    await everySidecar('accepts only the new token', newToken, 1);
    await switchTo('FullMesh');
    const refusedAfter = (await Promise.all(ips.map(async (ip) => figures(await metrics(ip)).unauthenticated))).reduce((a, b) => a + b, 0);
    expect(refusedAfter, 'Peer or Control calls refused during the rotation').to.equal(refusedBefore);

    // The old token now opens no Peer link.
    const client = new grpc.Client(`${ips[0]}:${SIDECAR_PORT}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${oldToken}`);
    md.set('x-topology-from', '127.0.0.1:1');
    md.set('x-topology-epoch', '1');
    const code = await new Promise<number>((resolve) => {
      const call = client.makeBidiStreamRequest(
        '/topology.v1.Peer/Link',
        (b: Buffer) => b,
        (b: Buffer) => b,
        md,
      );
      call.on('data', () => undefined);
      call.on('error', () => undefined);
      call.on('status', (st: grpc.StatusObject) => resolve(st.code));
    });
    client.close();
    expect(code).to.equal(grpc.status.UNAUTHENTICATED);
    log(`(h) Peer token rotated in three edits in ${((Date.now() - t) / 1000).toFixed(1)} s with two switches; ${refusedAfter - refusedBefore} calls refused`);
  });

  it('(i) deleting the resource runs the finalizer: the staged epoch is aborted on every sidecar', async () => {
    const t = Date.now();
    await patch({ topology: 'HyParView', rollout: { stepVerificationSeconds: 60, progressDeadlineSeconds: 120 } });
    const seen = await waitFor(
      'a staged epoch being verified',
      () => recorder!.seen.find((s) => s.at >= t && s.stage === 'Routing' && s.phase === 'Verifying'),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    void seen;
    const pods = await listPods(cluster, ns, `app=${APP}`);
    const clients = pods.map((p) => new ControlClient(`${p.status!.podIP!}:${SIDECAR_PORT}`, { signer: SIGNER! }));
    try {
      const staged = await Promise.all(
        clients.map(async (c) => {
          const st = await c.getState();
          return st.ok ? st.value.stagedEpoch : -1;
        }),
      );
      expect(
        staged.every((e) => e > 0),
        `staged epochs ${staged.join(',')}`,
      ).to.equal(true);
      await cluster.kubectl(['delete', 'ctopo', NAME, '-n', ns, '--wait=false']);
      await waitFor('the resource gone', async () => (await cluster.kubectl(['get', 'ctopo', NAME, '-n', ns], { allowFail: true })).code !== 0, {
        timeoutMs: 30_000,
      });
      log(`(i) deleted with its finalizer in ${((Date.now() - t) / 1000).toFixed(1)} s (incl. starting the switch)`);
      const after = await Promise.all(
        clients.map(async (c) => {
          const st = await c.getState();
          return st.ok ? st.value.stagedEpoch : -1;
        }),
      );
      expect(after, 'staged epochs after deletion').to.deep.equal(after.map(() => 0));
    } finally {
      for (const c of clients) c.close();
    }
    const events = await eventsOf(cluster, ns, NAME);
    const fin = events.find((e) => e.reason === 'Finalized');
    expect(fin?.note).to.match(/aborted staged epoch \d+ on 5 member/);
  });
});
