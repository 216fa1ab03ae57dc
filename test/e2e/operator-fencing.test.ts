/**
 * Fencing end to end on the local control plane: two `topology-operator` replicas (child processes
 * started here, leader election on one Lease) drive four real sidecar pods, and their leaderships
 * are made to overlap mid-switch, once during Routing and once during Committing.
 *
 * Each time the leader is frozen with SIGSTOP (by its pid) as soon as the status shows the stage;
 * the test waits until the standby holds the Lease (leaseTransitions + 1), every sidecar obeys the
 * standby's generation (GetState's fencing fields) and the standby has moved the switch on; then
 * the frozen leader gets SIGCONT. It wakes with its leadership long expired (renew deadline 3 s),
 * so it starts no Control call (each call asks for a valid grant first, see
 * src/operator/sidecars/call-authority.ts) and exits as a lost leader. A call it had already handed
 * to gRPC when frozen may still arrive after the wake (it happens: the freeze can land mid-pass): every
 * sidecar obeys the new generation by then, so it is refused, and the sidecars keep obeying the
 * new generation. Then the calls it would have made are replayed
 * with its own token: every sidecar refuses every one with FAILED_PRECONDITION naming both
 * generations. The switch ends with every member on one epoch (GetState of every sidecar).
 *
 * Local cluster only (the sidecar image is mapped by the local node agent).
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { ControlSigner } from '../../src/rpc/control-credential.js';
import { ControlClient, type CallAuthority, type SidecarState } from '../../src/rpc/control-client.js';
import type { ClusterTopologyStatus, OverlayKind } from '../../src/api/types.js';
import type { FencingToken } from '../../src/rpc/fencing.js';
import type { TestCluster } from './support/cluster.js';
import { listPods } from './support/pods.js';
import { waitFor } from './support/wait.js';
import {
  OperatorProcess,
  SIDECAR_PORT,
  StatusRecorder,
  conditionOf,
  controlSignerOf,
  sidecarStatefulSet,
  topologyManifest,
  manualFullMesh,
  waitForReadyPods,
} from './fixtures/operator-harness.js';
import { operatorSuite } from './fixtures/operator-suite.js';

const APP = 'fenced';
const NAME = 'fenced';
const REPLICAS = 4;
/** The harness's Lease name: the operator's default. */
const LEASE = 'topology-operator-lock';

/** The `message` of a JSON log line (the line itself when it is not JSON). */
function logMessage(line: string): string {
  try {
    return (JSON.parse(line) as { message?: string }).message ?? line;
  } catch {
    return line;
  }
}

function log(line: string): void {
  process.stderr.write(`      [fencing e2e] ${line}\n`);
}

describe('e2e operator fencing: two leaders overlapping mid-switch end with every member on one epoch', function () {
  this.timeout(240_000);
  let cluster: TestCluster;
  let ns: string;
  /** The operator's Control signer for the resource (managed credentials; known once the resource exists). */
  let SIGNER: ControlSigner | undefined;
  let recorder: StatusRecorder | undefined;
  const clients: ControlClient[] = [];
  let started = 0;
  const suite = operatorSuite({
    namespace: 'op-fencing',
    async setUp(s) {
      ({ cluster, ns } = s);
      // The pods mount the resource's managed credentials: they start once the resource exists.
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: sidecarStatefulSet(APP, REPLICAS, { topology: NAME }) });
      await startOperator();
      await startOperator();
      recorder = await s.record(NAME);
      await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
        input: topologyManifest(NAME, manualFullMesh(APP, { steps: [25, 50, 100], stepVerificationSeconds: 4, progressDeadlineSeconds: 90 })),
      });
      await waitForReadyPods(cluster, ns, APP, REPLICAS, 180_000);
      SIGNER = await controlSignerOf(cluster, ns, NAME);
      await waitFor('FullMesh Ready on every member', async () => settled(await status(), 'FullMesh'), { timeoutMs: 90_000 });
    },
    tearDown: () => {
      for (const c of clients) c.close();
    },
  });
  const operators = suite.operators;

  const status = (): Promise<ClusterTopologyStatus> => suite.status(NAME);
  const patch = (spec: object): Promise<unknown> => suite.patchSpec(NAME, spec);
  const settled = (s: ClusterTopologyStatus, topology: string): boolean =>
    s.phase === 'Ready' && s.currentTopology === topology && conditionOf(s, 'Ready') === 'True' && s.members?.ready === REPLICAS;
  const startOperator = (): Promise<OperatorProcess> => suite.startOperator(`operator-${String.fromCharCode(97 + started++)}`);

  /** The Lease as the API server has it. */
  async function lease(): Promise<FencingToken> {
    const r = await cluster.kubectl(['get', 'lease', LEASE, '-n', ns, '-o', 'jsonpath={.spec.leaseTransitions} {.spec.holderIdentity}']);
    const [transitions, holder] = r.stdout.trim().split(' ');
    return { generation: Number(transitions ?? 0), holder: holder ?? '' };
  }
  const holderProcess = (holder: string): OperatorProcess | undefined => operators.find((o) => o.running && holder.startsWith(`${o.id}_`));

  /** One client per member pod, each call made with `authority` (none: unfenced, the test's own reads). */
  async function memberClients(authority: CallAuthority = {}): Promise<ControlClient[]> {
    const pods = await listPods(cluster, ns, `app=${APP}`);
    const out = pods.map((p) => new ControlClient(`${p.status!.podIP!}:${SIDECAR_PORT}`, { signer: SIGNER!, authorize: () => authority }));
    clients.push(...out);
    return out;
  }
  async function states(): Promise<SidecarState[]> {
    return Promise.all(
      (await memberClients()).map(async (c) => {
        const r = await c.getState(true);
        if (!r.ok) throw new Error(`GetState ${c.address}: ${r.message}`);
        return r.value;
      }),
    );
  }
  /** Fencing refusals counted by all member sidecars. */
  async function refusals(): Promise<number> {
    const counts = await Promise.all(
      (await memberClients()).map(async (c) => {
        const r = await c.getMetrics();
        if (!r.ok) throw new Error(`GetMetrics ${c.address}: ${r.message}`);
        return r.value.fencingRefusedTotal;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Switches to `to`, freezes the leader once the status shows `stage`, lets the standby take
   * over and move on, wakes the old leader, and checks the outcome.
   */
  async function overlap(stage: 'Routing' | 'Committing', to: OverlayKind): Promise<void> {
    const before = await lease();
    const old = holderProcess(before.holder);
    expect(old, `the Lease holder ${before.holder} is one of ours`).to.not.equal(undefined);
    const t = Date.now();
    await patch({ topology: to });
    await waitFor(`the status at ${stage} towards ${to}`, () => recorder!.seen.some((s) => s.at >= t && s.stage === stage && s.target === to), {
      timeoutMs: 90_000,
      intervalMs: 10,
    });
    old!.pause();
    const frozenAt = Date.now();
    const frozen = recorder!.seen[recorder!.seen.length - 1]!;
    log(`froze leader ${old!.id} (pid ${old!.pid}, generation ${before.generation}) at ${frozen.stage} ${frozen.stepPercent}%`);

    // The standby takes the Lease: the next generation.
    const taken = await waitFor(
      'the standby holding the Lease',
      async () => {
        const l = await lease();
        return l.holder !== before.holder && l.holder !== '' ? l : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const takenAt = Date.now();
    expect(taken.generation).to.equal(before.generation + 1);
    const next = holderProcess(taken.holder);
    expect(next, `the new holder ${taken.holder} is one of ours`).to.not.equal(undefined);
    // It observed every member (which fences them), and moved the switch on past where the old leader stopped.
    await waitFor(
      'every sidecar obeying the new generation',
      async () => (await states()).every((s) => s.fencingGeneration === taken.generation && s.fencingHolder === taken.holder),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const movedOn = await waitFor(
      'the new leader moving the switch on',
      () => recorder!.seen.find((s) => s.at > frozenAt && (s.stage !== frozen.stage || s.stepPercent !== frozen.stepPercent)),
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    log(
      `${next!.id} took the Lease ${((takenAt - frozenAt) / 1000).toFixed(1)} s after the freeze (generation ${taken.generation}); moved on to ${movedOn.stage} ${movedOn.stepPercent}%`,
    );

    // The old leader wakes up with an expired leadership.
    const refusedBefore = await refusals();
    const logsBefore = old!.logs.length;
    old!.resume();
    const code = await Promise.race([old!.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 30_000))]);
    expect(code, 'the old leader exits as a lost leader').to.equal(1);
    const awake = old!.logs.slice(logsBefore);
    const lateRefused = (await refusals()) - refusedBefore;
    const notSent = awake.filter((l) => l.includes('not sent') || l.includes('leadership lost')).length;
    const said = awake.map(logMessage).join(' | ');
    log(
      `old leader awake until its exit: ${notSent} log lines about calls not sent or a cut pass; sidecars refused ${lateRefused} of its calls; it said: ${said}`,
    );
    expect(awake.some((l) => l.includes('"stopped leading"'))).to.equal(true);
    // Calls it starts now are not sent (its grant expired). A call it had already handed to gRPC when
    // it was frozen may still arrive: every sidecar obeys the new generation (checked above, before
    // the wake), so such a call can only be refused — which is what fencing is for — and it is.
    const stillObeyed = await states();
    expect(stillObeyed.every((m) => m.fencingGeneration === taken.generation && m.fencingHolder === taken.holder)).to.equal(true);

    // The switch ends with every member on one epoch, the new leader's generation obeyed.
    const s = await waitFor(
      `${to} Ready`,
      async () => {
        const st = await status();
        return settled(st, to) ? st : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const last = s.history![s.history!.length - 1]!;
    expect(last).to.include({ to, result: 'Succeeded' });
    const all = await states();
    expect(all.map((m) => [m.activeEpoch, m.stagedEpoch, m.routeEpoch])).to.deep.equal(all.map(() => [s.epoch, 0, s.epoch]));
    expect(all.every((m) => m.fencingGeneration === taken.generation && m.fencingHolder === taken.holder)).to.equal(true);

    // What the old leader would have sent, sent now with its own token: refused by every sidecar.
    const asOld = await memberClients({ fencing: before });
    const replayed = (await Promise.all(asOld.map((c) => c.route(s.epoch!)))).concat(
      await Promise.all(asOld.map((c) => c.prepare({ epoch: s.epoch! + 1, topology: 'FULL_MESH', members: [c.address], seed: 1 }))),
    );
    for (const r of replayed) {
      expect(r.ok ? 'served' : r.code).to.equal(grpc.status.FAILED_PRECONDITION);
      if (!r.ok)
        expect(r.message).to.match(
          new RegExp(
            `fenced: generation ${before.generation} \\(holder ${before.holder}\\) is older than generation ${taken.generation} \\(holder ${taken.holder}\\)`,
          ),
        );
    }
    expect((await refusals()) - refusedBefore - lateRefused).to.equal(replayed.length);
    log(`replayed ${replayed.length} calls with the old leader's token: all refused; every member on epoch ${s.epoch}`);
    expect((await states()).map((m) => m.stagedEpoch)).to.deep.equal(
      all.map(() => 0),
      'nothing staged by the replay',
    );

    // Two replicas again for the next overlap.
    await startOperator();
  }

  it('(1) overlapping during Routing', async () => {
    await overlap('Routing', 'HyParView');
  });

  it('(2) overlapping during Committing', async () => {
    await overlap('Committing', 'FullMesh');
  });
});
