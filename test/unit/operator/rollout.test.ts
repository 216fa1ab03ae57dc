import { expect } from 'chai';
import { findCondition } from '../../../src/operator/rollout/conditions.js';
import { planInvalidSpec, planReconcile, resolveSpec, RESYNC_SECONDS } from '../../../src/operator/rollout/plan-reconcile.js';
import type { MemberAction, ObservedMember } from '../../../src/operator/rollout/types.js';
import { pods, World } from './fake-fleet.js';

const sel = { matchLabels: { app: 'chat' } };

/** A world already running FullMesh at epoch 1 on `n` pods. */
function established(n = 10, extra: Partial<World['spec']> = {}): World {
  const w = new World({ selector: sel, topology: 'FullMesh', ...extra }, pods(n));
  w.runUntil((x) => x.status.phase === 'Ready', 20);
  expect(w.status).to.deep.include({ currentTopology: 'FullMesh', epoch: 1, phase: 'Ready' });
  return w;
}

/** Every member's three epochs, for compact assertions. */
function epochs(members: ObservedMember[]): string[] {
  return members.map((m) => `${m.name}:${m.activeEpoch ?? '-'}/${m.stagedEpoch ?? '-'}/${m.routingEpoch ?? '-'}`);
}

/** Asserts the sidecar contract on every action: route/commit/abort only what the member holds. */
function checkContract(before: ObservedMember[], actions: MemberAction[]): void {
  const state = new Map(before.map((m) => [m.name, { ...m }]));
  for (const a of actions) {
    if (a.kind === 'verify') continue;
    for (const name of a.members) {
      const m = state.get(name)!;
      if (a.kind === 'route') expect([m.activeEpoch, m.stagedEpoch], `route ${a.epoch} on ${name}`).to.include(a.epoch);
      if (a.kind === 'commit') expect(m.stagedEpoch, `commit ${a.epoch} on ${name}`).to.equal(a.epoch);
      if (a.kind === 'abort') {
        expect(m.stagedEpoch, `abort ${a.epoch} on ${name}`).to.equal(a.epoch);
        expect(m.routingEpoch ?? m.activeEpoch, `abort of the epoch ${name} routes over`).to.not.equal(a.epoch);
        delete m.stagedEpoch;
      }
      if (a.kind === 'prepare') {
        expect(m.stagedEpoch, `prepare ${a.epoch} on ${name} with a staged overlay`).to.equal(undefined);
        m.stagedEpoch = a.epoch;
      }
      if (a.kind === 'route') m.routingEpoch = a.epoch;
    }
  }
}

/** Runs `w` checking the contract on every plan. */
function run(w: World, done: (w: World) => boolean, max = 200): void {
  for (let i = 0; i < max && !done(w); i++) {
    const before = w.members.map((m) => ({ ...m }));
    const plan = w.reconcile();
    checkContract(before, plan.actions);
    if (done(w)) return;
    w.tick(plan);
  }
  expect(done(w), `not done after ${max} rounds: ${w.status.phase} ${w.status.rollout?.stage} ${epochs(w.members).join(' ')}`).to.equal(true);
}

describe('rollout engine: phased switch', () => {
  it('switches FullMesh → HyParView through 10/50/100 % and commits', () => {
    const w = established(10);
    w.edit((s) => (s.topology = 'HyParView'));
    const seen: string[] = [];
    run(w, (x) => {
      const r = x.status.rollout!;
      const label = `${x.status.phase}:${r.stage}:${r.stepPercent}`;
      if (seen[seen.length - 1] !== label) seen.push(label);
      if (r.stage === 'Routing' && x.status.phase === 'Verifying') {
        // Exactly the first ceil(p% × n) members by name route over the new epoch.
        const k = Math.ceil((r.stepPercent * 10) / 100);
        const routed = x.members.filter((m) => m.routingEpoch === 2).map((m) => m.name);
        expect(routed).to.deep.equal(x.members.slice(0, k).map((m) => m.name));
      }
      return x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready';
    });
    expect(seen).to.deep.equal([
      'Ready:Succeeded:100',
      'Progressing:Preparing:0',
      'Verifying:Preparing:0',
      'Progressing:Routing:10',
      'Verifying:Routing:10',
      'Progressing:Routing:50',
      'Verifying:Routing:50',
      'Progressing:Routing:100',
      'Verifying:Routing:100',
      'Progressing:Committing:100',
      'Ready:Succeeded:100',
    ]);
    expect(w.status).to.deep.include({ currentTopology: 'HyParView', epoch: 2 });
    expect(w.status.targetTopology).to.equal(undefined);
    expect(epochs(w.members).every((e) => e.endsWith(':2/-/2'))).to.equal(true);
    const last = w.status.history!.at(-1)!;
    expect(last).to.deep.include({ from: 'FullMesh', to: 'HyParView', trigger: 'Manual', result: 'Succeeded', epoch: 2 });
    expect(last.durationSeconds).to.be.at.least(3 * 10); // a health window of 10 s per routing step (Preparing has none)
    expect(findCondition(w.status.conditions, 'Ready')).to.deep.include({ status: 'True', reason: 'Established', observedGeneration: 2 });
    const reasons = w.plans.flatMap((p) => p.events.map((e) => e.reason));
    expect(reasons).to.include.members(['SwitchStarted', 'Routing', 'Committing', 'SwitchSucceeded']);
  });

  it('rolls back when step 2 fails verification, and waits for a spec change before retrying', () => {
    const w = established(10);
    w.edit((s) => (s.topology = 'HyParView'));
    w.probe = (epoch) =>
      w.status.rollout?.stepPercent === 50
        ? { connected: true, probesSent: 10, probesDelivered: 7, latencyP99Ms: 5 }
        : { connected: true, probesSent: 10, probesDelivered: 10, latencyP99Ms: 5, detail: String(epoch) };
    run(w, (x) => x.status.rollout?.stage === 'RolledBack');
    expect(w.status.currentTopology).to.equal('FullMesh');
    expect(w.status.epoch).to.equal(1);
    expect(epochs(w.members).every((e) => e.endsWith(':1/-/1'))).to.equal(true);
    const last = w.status.history!.at(-1)!;
    expect(last).to.deep.include({ from: 'FullMesh', to: 'HyParView', result: 'RolledBack', trigger: 'Manual', epoch: 2 });
    expect(last.reason).to.include('step 2 (50%) failed: probes delivered 7/10');
    const warn = w.plans
      .flatMap((p) => p.events)
      .filter((e) => e.type === 'Warning')
      .map((e) => e.reason);
    expect(warn).to.include.members(['VerificationFailed', 'RollingBack', 'RolledBack']);
    // No retry storm: the same spec does not start the same switch again.
    for (let i = 0; i < 3; i++) w.tick(w.reconcile(), 60);
    const plan = w.reconcile();
    expect(plan.actions).to.deep.equal([]);
    expect(plan.decision).to.deep.include({ kind: 'none', reason: 'AwaitingSpecChange' });
    expect(w.status.phase).to.equal('Degraded');
    expect(findCondition(w.status.conditions, 'Stalled')).to.deep.include({ status: 'True', reason: 'RolledBack' });
    // A spec change retries with a fresh epoch.
    w.probe = () => ({ connected: true, probesSent: 10, probesDelivered: 10, latencyP99Ms: 5 });
    w.edit((s) => (s.rollout = { stepVerificationSeconds: 5 }));
    run(w, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    expect(w.status.epoch).to.equal(3);
  });

  it('while Preparing, verifies again until the staged overlay settles instead of rolling back at the first miss', () => {
    const w = established(10);
    w.edit((s) => (s.topology = 'HyParView'));
    let misses = 2;
    w.probe = () =>
      w.status.rollout?.stage === 'Preparing' && misses-- > 0
        ? { connected: true, probesSent: 10, probesDelivered: 7, latencyP99Ms: 5 }
        : { connected: true, probesSent: 10, probesDelivered: 10, latencyP99Ms: 5 };
    run(w, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    expect(misses, 'both misses were seen and a third verification passed').to.equal(-1);
    expect(w.status.history!.at(-1)).to.deep.include({ result: 'Succeeded', epoch: 2 });
    expect(w.plans.flatMap((p) => p.events).map((e) => e.reason)).to.not.include('VerificationFailed');
  });

  it('while Preparing, members lost fail the verification at once', () => {
    const w = established(10);
    w.edit((s) => (s.topology = 'HyParView'));
    const t0 = w.now.getTime();
    w.probe = () => ({ connected: false, probesSent: 0, probesDelivered: 0, detail: 'members lost during the switch: app-03', membersLost: ['app-03'] });
    run(w, (x) => x.status.rollout?.stage === 'RolledBack');
    expect((w.now.getTime() - t0) / 1000).to.be.below(60);
    expect(w.status.history!.at(-1)!.reason).to.include('preparing epoch 2 failed');
  });

  it('fails a step at the progress deadline and rolls back once the wedged member answers', () => {
    const w = established(10);
    w.refuse.add('app-03');
    w.edit((s) => (s.topology = 'HyParView'));
    const t0 = w.now.getTime();
    run(w, (x) => x.status.rollout?.stage === 'RollingBack');
    expect((w.now.getTime() - t0) / 1000).to.be.within(300, 305);
    expect(w.status.rollout!.reason).to.include('not acknowledged within progressDeadlineSeconds 300 by app-03');
    w.refuse.clear();
    run(w, (x) => x.status.rollout?.stage === 'RolledBack');
    expect(w.status.history!.at(-1)).to.deep.include({ result: 'RolledBack' });
  });

  it('with autoRollback false, stops at the failed step (Failed, Stalled) and does nothing until the spec changes', () => {
    const w = established(10, { rollout: { autoRollback: false } });
    w.edit((s) => (s.topology = 'HyParView'));
    w.probe = () => ({ connected: w.status.rollout?.stepPercent !== 50, probesSent: 10, probesDelivered: 10, detail: 'two components' });
    run(w, (x) => x.status.phase === 'Failed');
    expect(w.status.rollout).to.deep.include({ stage: 'Failed', stepPercent: 50 });
    expect(w.status.rollout!.reason).to.include('is not connected (two components)');
    expect(findCondition(w.status.conditions, 'Stalled')).to.deep.include({ status: 'True', reason: 'RolloutFailed' });
    expect(findCondition(w.status.conditions, 'Reconciling')).to.deep.include({ status: 'False' });
    const frozen = epochs(w.members);
    w.now = new Date(w.now.getTime() + 3600_000);
    const plan = w.reconcile();
    expect(plan.actions).to.deep.equal([]);
    expect(plan.requeueAfterSeconds).to.equal(RESYNC_SECONDS);
    expect(epochs(w.members)).to.deep.equal(frozen);
    // Setting the topology back rolls back (trigger Rollback).
    w.edit((s) => (s.topology = 'FullMesh'));
    run(w, (x) => x.status.phase === 'Ready');
    expect(w.status.history!.at(-1)).to.deep.include({ to: 'HyParView', trigger: 'Rollback', result: 'RolledBack' });
    expect(w.status.currentTopology).to.equal('FullMesh');
  });

  it('resumes after an operator restart from the persisted status, ending where an uninterrupted run ends', () => {
    const a = established(10);
    a.edit((s) => (s.topology = 'HyParView'));
    run(a, (x) => x.status.rollout?.stepPercent === 50 && x.status.phase === 'Verifying');
    // "Restart": a new world from the JSON the API server stored and the pods as they are.
    const b = new World(
      JSON.parse(JSON.stringify(a.spec)),
      a.members.map((m) => ({ ...m })),
      a.now,
    );
    b.generation = a.generation;
    b.status = JSON.parse(JSON.stringify(a.status));
    const ra = a.reconcile();
    const rb = b.reconcile();
    const memberActions = (p: typeof ra): typeof ra.actions => p.actions.filter((x) => x.kind !== 'verify');
    expect(memberActions(rb)).to.deep.equal(memberActions(ra));
    // The restarted operator has no verification in memory, so it verifies the step once more.
    expect(rb.actions.map((x) => x.kind)).to.include('verify');
    expect(rb.status.rollout).to.deep.equal(ra.status.rollout);
    run(a, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    run(b, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    expect(b.status.history).to.deep.equal(a.status.history);
    expect(epochs(b.members)).to.deep.equal(epochs(a.members));
  });

  it('supersedes an in-flight switch when a third topology is asked for: abort, history Superseded, fresh epoch', () => {
    const w = established(10);
    w.edit((s) => (s.topology = 'HyParView'));
    run(w, (x) => x.status.rollout?.stepPercent === 10 && x.status.phase === 'Verifying');
    w.edit((s) => (s.topology = 'PubSub'));
    const plan = w.reconcile();
    expect(plan.decision).to.deep.include({ kind: 'switch', to: 'PubSub', supersedes: 'HyParView' });
    expect(w.status.history!.at(-1)).to.deep.include({ from: 'FullMesh', to: 'HyParView', result: 'Superseded', epoch: 2 });
    expect(w.status.rollout).to.deep.include({ stage: 'Preparing', from: 'FullMesh', to: 'PubSub', epoch: 3 });
    const kinds = plan.actions.map((a) => `${a.kind}(${a.epoch})`);
    expect(kinds).to.deep.equal(['route(1)', 'abort(2)', 'prepare(3)']);
    run(w, (x) => x.status.currentTopology === 'PubSub' && x.status.phase === 'Ready');
    expect(w.status.epoch).to.equal(3);
    expect(epochs(w.members).every((e) => e.endsWith(':3/-/3'))).to.equal(true);
  });

  it('brings a pod that joins mid-switch into the committed epoch, prepares it and routes it by its place in name order', () => {
    const w = established(9);
    w.edit((s) => (s.topology = 'HyParView'));
    run(w, (x) => x.status.rollout?.stepPercent === 50 && x.status.phase === 'Verifying');
    w.members.push({ name: 'app-00a', address: '10.0.0.99:7070', ready: true });
    const p1 = w.reconcile();
    expect(p1.actions.find((a) => a.kind === 'prepare')).to.deep.include({ epoch: 1, topology: 'FullMesh', members: ['app-00a'] });
    expect(w.status.phase).to.equal('Progressing');
    run(w, (x) => x.status.phase === 'Verifying');
    // 50 % of 10 = 5: app-00, app-00a, app-01, app-02, app-03.
    const routed = w.members
      .filter((m) => m.routingEpoch === 2)
      .map((m) => m.name)
      .sort();
    expect(routed).to.deep.equal(['app-00', 'app-00a', 'app-01', 'app-02', 'app-03']);
    run(w, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    expect(w.members.find((m) => m.name === 'app-00a')).to.deep.include({ activeEpoch: 2, routingEpoch: 2 });
    expect(w.status.members).to.deep.equal({ total: 10, ready: 10, onTarget: 10 });
  });

  it('freezes while paused (joins aside) and resumes with fresh clocks', () => {
    const w = established(10);
    w.edit((s) => (s.topology = 'HyParView'));
    run(w, (x) => x.status.rollout?.stepPercent === 10 && x.status.phase === 'Verifying');
    w.edit((s) => (s.paused = true));
    const frozen = epochs(w.members);
    w.members.push({ name: 'app-99', address: '10.0.0.100:7070', ready: true });
    for (let i = 0; i < 5; i++) {
      const plan = w.reconcile();
      expect(plan.actions.every((a) => a.members.length === 1 && a.members[0] === 'app-99' && a.epoch === 1)).to.equal(true);
      w.now = new Date(w.now.getTime() + 600_000);
    }
    expect(epochs(w.members).slice(0, 10)).to.deep.equal(frozen);
    expect(w.members.at(-1)).to.deep.include({ activeEpoch: 1 });
    expect(w.status.phase).to.equal('Paused');
    expect(w.status.rollout).to.deep.include({ stage: 'Routing', stepPercent: 10 });
    expect(findCondition(w.status.conditions, 'Reconciling')).to.deep.include({ status: 'False', reason: 'Paused' });
    w.edit((s) => (s.paused = false));
    run(w, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    expect(w.status.history!.at(-1)).to.deep.include({ result: 'Succeeded' });
  });

  it('is idempotent: the same input gives the same plan, and a settled world plans nothing', () => {
    const w = established(10);
    w.edit((s) => (s.topology = 'HyParView'));
    run(w, (x) => x.status.rollout?.stepPercent === 50 && x.status.phase === 'Progressing');
    const input = { spec: w.resolved, generation: w.generation, status: w.status, members: w.members, now: w.now };
    expect(planReconcile(input)).to.deep.equal(planReconcile(input));
    const again = planReconcile({
      ...input,
      status: JSON.parse(JSON.stringify(w.status)),
      members: JSON.parse(JSON.stringify(w.members)),
      now: new Date(w.now),
    });
    expect(again).to.deep.equal(planReconcile(input));
    run(w, (x) => x.status.phase === 'Ready' && x.status.currentTopology === 'HyParView');
    const settled = w.reconcile();
    const settled2 = w.reconcile();
    expect(settled.actions).to.deep.equal([]);
    expect(settled.events).to.deep.equal([]);
    expect(settled2.status).to.deep.equal(settled.status);
  });

  it('Auto mode: picks the initial topology by size, holds a growth switch for the cooldown, and acts on a workload change at once', () => {
    const w = new World({ selector: sel, mode: 'Auto' }, pods(5));
    run(w, (x) => x.status.phase === 'Ready');
    expect(w.status.currentTopology).to.equal('FullMesh');
    expect(w.status.history!.at(-1)).to.deep.include({ trigger: 'Auto', result: 'Succeeded' });
    const switchedAt = Date.parse(w.status.lastSwitchTime!);
    w.members.push(...pods(30).slice(5));
    run(w, (x) => x.status.phase === 'Ready');
    w.now = new Date(w.now.getTime() + 60_000);
    const held = w.reconcile();
    expect(held.decision).to.deep.include({ kind: 'hold', to: 'HyParView' });
    expect(held.events.map((e) => e.reason)).to.include('CooldownActive');
    expect(held.requeueAfterSeconds).to.be.at.most(60);
    run(w, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready', 400);
    const started = w.plans.find((p) => p.events.some((e) => e.reason === 'SwitchStarted' && e.message.includes('HyParView')))!;
    expect(Date.parse(started.status.rollout!.startedAt) - switchedAt).to.be.at.least(300_000);
    // A workload change ignores the cooldown that the HyParView switch just started.
    w.edit((s) => (s.workload = 'EventDriven'));
    const p = w.reconcile();
    expect(p.decision).to.deep.include({ kind: 'switch', to: 'PubSub', trigger: 'Workload' });
    run(w, (x) => x.status.currentTopology === 'PubSub' && x.status.phase === 'Ready');
    expect(w.status.history!.at(-1)).to.deep.include({ from: 'HyParView', to: 'PubSub', trigger: 'Workload', result: 'Succeeded' });
  });

  it('refuses an invalid spec with Stalled and no actions', () => {
    const resolved = resolveSpec({ selector: {}, topology: 'FullMesh' });
    expect(resolved.ok).to.equal(false);
    const plan = planInvalidSpec({}, 1, resolved.ok ? '' : resolved.message, new Date(0));
    expect(plan.actions).to.deep.equal([]);
    expect(plan.status.phase).to.equal('Failed');
    expect(findCondition(plan.status.conditions, 'Stalled')).to.deep.include({ status: 'True', reason: 'InvalidSpec' });
    expect(findCondition(plan.status.conditions, 'Stalled')!.message).to.include('spec.selector: selector must require a label the pods carry');
  });

  it('fails a step whose latency exceeds maxLatencyFactor × the baseline', () => {
    const w = established(10);
    w.metrics = { nodeCount: 10, latencyP99Ms: 10 };
    w.edit((s) => (s.topology = 'HyParView'));
    w.probe = () => ({ connected: true, probesSent: 10, probesDelivered: 10, latencyP99Ms: 40 });
    run(w, (x) => x.status.rollout?.stage === 'RolledBack', 400);
    expect(w.status.history!.at(-1)!.reason).to.include('latency p99 40 ms > maxLatencyFactor 1.5 × baseline 10 ms');
  });

  it('bounds history by spec.historyLimit, dropping the oldest', () => {
    const w = established(3, { historyLimit: 2, rollout: { steps: [100], stepVerificationSeconds: 1, progressDeadlineSeconds: 30 } });
    for (const t of ['HyParView', 'PubSub', 'FullMesh'] as const) {
      w.edit((s) => (s.topology = t));
      run(w, (x) => x.status.currentTopology === t && x.status.phase === 'Ready');
    }
    expect(w.status.history!.map((h) => h.to)).to.deep.equal(['PubSub', 'FullMesh']);
  });
});

describe('rollout engine: no selected pods', () => {
  /** The three kstatus conditions as `type=status/reason`. */
  function conditions(w: World): string[] {
    return ['Ready', 'Reconciling', 'Stalled'].map((t) => {
      const c = findCondition(w.status.conditions, t);
      return `${t}=${c?.status}/${c?.reason}`;
    });
  }

  it('is Ready (reason NoMembers) when no pod matches, and forms the overlay when pods arrive', () => {
    const w = new World({ selector: sel, topology: 'HyParView' }, []);
    const plan = w.reconcile();
    expect(plan.actions).to.deep.equal([]);
    expect(w.status.phase).to.equal('Ready');
    expect(w.status.currentTopology).to.equal(undefined);
    expect(w.status.members).to.deep.equal({ total: 0, ready: 0, onTarget: 0 });
    expect(conditions(w)).to.deep.equal(['Ready=True/NoMembers', 'Reconciling=False/NoMembers', 'Stalled=False/NoMembers']);
    expect(findCondition(w.status.conditions, 'Ready')!.message).to.equal(
      'no pods match spec.selector; members join the HyParView overlay when they become Ready',
    );
    // Idempotent: a second pass changes nothing but the clock.
    expect(w.reconcile().status).to.deep.equal(plan.status);
    w.members.push(...pods(4));
    run(w, (x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    expect(conditions(w)).to.deep.equal(['Ready=True/Established', 'Reconciling=False/Established', 'Stalled=False/Established']);
  });

  it('stays Pending (Ready=False) while selected pods are not ready', () => {
    const w = new World(
      { selector: sel, topology: 'FullMesh' },
      pods(3).map((m) => ({ ...m, ready: false })),
    );
    w.reconcile();
    expect(w.status.phase).to.equal('Pending');
    expect(conditions(w)[0]).to.equal('Ready=False/NoMembers');
    expect(w.status.members).to.deep.include({ total: 3, ready: 0 });
  });

  it('Auto mode: Ready with no pods, then picks the initial overlay by the size that joins', () => {
    const w = new World({ selector: sel, mode: 'Auto' }, []);
    w.reconcile();
    expect(w.status.phase).to.equal('Ready');
    expect(w.status.currentTopology).to.equal(undefined);
    expect(findCondition(w.status.conditions, 'Ready')!.message).to.include('the overlay Auto mode picks for their number');
    w.members.push(...pods(30));
    run(w, (x) => x.status.currentTopology !== undefined && x.status.phase === 'Ready');
    expect(w.status.currentTopology).to.equal('HyParView');
    expect(w.status.history!.map((h) => h.to)).to.deep.equal(['HyParView']);
  });

  it('keeps the committed overlay when scaled to 0, and is Ready (NoMembers) meanwhile', () => {
    const w = established(3);
    w.members.length = 0;
    w.reconcile();
    expect(w.status).to.deep.include({ phase: 'Ready', currentTopology: 'FullMesh', epoch: 1 });
    expect(conditions(w)).to.deep.equal(['Ready=True/NoMembers', 'Reconciling=False/NoMembers', 'Stalled=False/NoMembers']);
    expect(findCondition(w.status.conditions, 'Ready')!.message).to.include('the FullMesh overlay');
  });
});

describe('rollout engine: status fits the CRD schema', () => {
  it('clips free text to the schema maxLength (1024) so the status write cannot be refused', () => {
    const w = established(4);
    w.edit((s) => (s.topology = 'HyParView'));
    w.probe = () => ({ connected: false, probesSent: 4, probesDelivered: 4, detail: 'y'.repeat(5000) });
    run(w, (x) => x.status.rollout?.stage === 'RolledBack', 400);
    expect(w.status.history!.at(-1)!.reason.length).to.be.at.most(1024);
    expect(w.status.rollout!.reason!.length).to.be.at.most(1024);
    expect(w.status.rollout!.message!.length).to.be.at.most(1024);
  });
});
