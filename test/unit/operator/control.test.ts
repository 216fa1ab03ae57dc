/**
 * Control requests (abort, retry, promote through the control annotation) and manual gates
 * (`pause` in spec.rollout.steps), driven through the real planner (planReconcile) over the
 * deterministic member stand-in of fake-fleet.ts. The spec never changes in these tests unless a
 * test says so: that is the point of GitOps-safe control.
 */
import { expect } from 'chai';
import { CONTROL_ANNOTATION, formatControlRequest, parseControlRequest } from '../../../src/api/control-request.js';
import { REASONS } from '../../../src/api/constants.js';
import { validateSpec } from '../../../src/api/validate-spec.js';
import { findCondition } from '../../../src/operator/rollout/conditions.js';
import { nextStep } from '../../../src/operator/rollout/rollout-steps.js';
import type { ReconcilePlan } from '../../../src/operator/rollout/plan-reconcile.js';
import { topologyChanged } from '../../../src/operator/reconcile/reconciler-controller.js';
import { pods, World } from './fake-fleet.js';
import type { ClusterTopologySpec } from '../../../src/api/types.js';

const sel = { matchLabels: { app: 'chat' } };

/** A world running FullMesh at epoch 1 on 6 pods, with `rollout` settings. */
function established(rollout: ClusterTopologySpec['rollout'] = {}, extra: Partial<ClusterTopologySpec> = {}): World {
  const w = new World(
    { selector: sel, topology: 'FullMesh', rollout: { stepVerificationSeconds: 2, progressDeadlineSeconds: 30, ...rollout }, ...extra },
    pods(6),
  );
  w.runUntil((x) => x.status.phase === 'Ready', 20);
  expect(w.status).to.deep.include({ currentTopology: 'FullMesh', epoch: 1, phase: 'Ready' });
  return w;
}

function eventReasons(plans: readonly ReconcilePlan[]): string[] {
  return plans.flatMap((p) => p.events.map((e) => e.reason));
}

let ids = 0;
/** Sets the annotation as `kubectl topology <action>` would, with a fresh id. */
function request(w: World, action: 'abort' | 'retry' | 'promote', targetEpoch?: number): string {
  w.control = formatControlRequest({ action, ...(targetEpoch !== undefined ? { targetEpoch } : {}), id: `req-${++ids}` });
  return w.control;
}

describe('control annotation: parsing', () => {
  it('parses action, target-epoch and id, and formats them back', () => {
    const v = 'action=abort,target-epoch=7,id=2026-12-02T06:00:00.123Z';
    const p = parseControlRequest(v);
    expect(p).to.deep.equal({ ok: true, request: { action: 'abort', targetEpoch: 7, id: '2026-12-02T06:00:00.123Z' } });
    if (p.ok) expect(formatControlRequest(p.request)).to.equal(v);
    expect(parseControlRequest(' action = promote ')).to.deep.equal({ ok: true, request: { action: 'promote' } });
  });

  it('names what is wrong with a bad value', () => {
    const bad = (v: string): string => {
      const p = parseControlRequest(v);
      expect(p.ok, v).to.equal(false);
      return p.ok ? '' : p.message;
    };
    expect(bad('abort')).to.include(CONTROL_ANNOTATION).and.include('"abort" is not key=value');
    expect(bad('action=rollback')).to.include('action "rollback" is not one of abort, retry, promote');
    expect(bad('target-epoch=3')).to.include('action is required');
    expect(bad('action=abort,target-epoch=x')).to.include('target-epoch "x" is not a non-negative integer');
    expect(bad('action=abort,when=now')).to.include('unknown key "when"');
    expect(bad('action=abort,action=retry')).to.include('appears twice');
    expect(bad(`action=abort,id=${'x'.repeat(300)}`)).to.include('at most 256');
  });
});

describe('rollout steps: gates', () => {
  it('finds the next percentage, gate or commit from the percentage reached and the last gate promoted', () => {
    const steps = [10, 'pause', 50, 100, 'pause'] as const;
    expect(nextStep([...steps], 0, 0)).to.deep.equal({ kind: 'percent', index: 0, percent: 10 });
    expect(nextStep([...steps], 10, 0)).to.deep.equal({ kind: 'gate', index: 1 });
    expect(nextStep([...steps], 10, 2)).to.deep.equal({ kind: 'percent', index: 2, percent: 50 });
    expect(nextStep([...steps], 50, 2)).to.deep.equal({ kind: 'percent', index: 3, percent: 100 });
    expect(nextStep([...steps], 100, 2)).to.deep.equal({ kind: 'gate', index: 4 });
    expect(nextStep([...steps], 100, 5)).to.deep.equal({ kind: 'commit' });
    expect(nextStep(['pause', 100], 0, 0)).to.deep.equal({ kind: 'gate', index: 0 });
    expect(nextStep([10, 50, 100], 100, 0)).to.deep.equal({ kind: 'commit' });
  });

  it('validates gates offline as the API server does: "pause" anywhere, percentages increasing and ending at 100', () => {
    const errs = (steps: unknown[]): string[] =>
      validateSpec({ selector: sel, topology: 'FullMesh', rollout: { steps } }).map((e) => `${e.path}: ${e.message}`);
    expect(errs(['pause', 10, 'pause', 50, 100, 'pause'])).to.deep.equal([]);
    expect(errs([10, 'wait', 100])[0]).to.match(/^spec\.rollout\.steps\[1\]: must be a percentage.*or "pause"/);
    expect(errs([10, { pause: {} }, 100])[0]).to.equal('spec.rollout.steps[1]: must be of type integer or string');
    expect(errs([50, 'pause', 10, 100]).join()).to.include('strictly increasing');
    expect(errs([10, 50, 'pause']).join()).to.include('must end at 100');
  });
});

describe('control requests through the planner', () => {
  it('abort rolls the switch back and does not restart it while the spec is unchanged; retry starts the same target again', () => {
    const w = established({ steps: [50, 100] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.stage === 'Routing', 40);
    const epoch = w.status.rollout!.epoch;
    const value = request(w, 'abort', epoch);
    const plans = w.runUntil((x) => x.status.rollout?.stage === 'RolledBack', 40);
    expect(eventReasons(plans)).to.include.members([REASONS.aborted, REASONS.rolledBack]);
    expect(w.status.lastControlRequest).to.deep.include({ value, action: 'abort', epoch, result: 'Applied' });
    expect(w.status.abortedTarget).to.deep.include({ topology: 'HyParView', epoch, generation: w.generation });
    expect(w.status.history!.at(-1)).to.deep.include({ to: 'HyParView', result: 'RolledBack', trigger: 'Manual' });
    expect(w.status.history!.at(-1)!.reason).to.include('aborted by a control request');
    // Many reconciles later, with spec.topology still HyParView and the annotation still there: nothing restarts.
    const later = w.runUntil(() => false, 30);
    expect(later.every((p) => p.status.rollout?.stage === 'RolledBack' && p.status.rollout.epoch === epoch)).to.equal(true);
    expect(eventReasons(later)).to.not.include(REASONS.switchStarted);
    expect(w.status.currentTopology).to.equal('FullMesh');
    expect(w.status.phase).to.equal('Degraded');
    expect(findCondition(w.status.conditions, 'Stalled')).to.deep.include({ status: 'True', reason: REASONS.aborted });
    expect(w.members.every((m) => m.activeEpoch === 1 && m.stagedEpoch === undefined && (m.routingEpoch ?? 1) === 1)).to.equal(true);

    request(w, 'retry', epoch);
    const retried = w.runUntil((x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready', 80);
    expect(eventReasons(retried)).to.include.members([REASONS.retrying, REASONS.switchStarted, REASONS.switchSucceeded]);
    expect(w.status.epoch).to.be.greaterThan(epoch);
    expect(w.status.abortedTarget).to.equal(undefined);
    expect(w.status.lastControlRequest).to.deep.include({ action: 'retry', result: 'Applied', epoch });
  });

  it('consumes a value once: the same annotation on later reconciles is not acted on again', () => {
    const w = established({ steps: [50, 100] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.stage === 'Routing', 40);
    request(w, 'abort');
    w.runUntil((x) => x.status.rollout?.stage === 'RolledBack', 40);
    request(w, 'retry');
    const first = w.reconcile();
    expect(first.events.map((e) => e.reason)).to.include(REASONS.retrying);
    const again = w.runUntil(() => false, 20);
    expect(eventReasons(again)).to.not.include(REASONS.retrying);
    expect(eventReasons(again)).to.not.include(REASONS.controlRequestIgnored);
  });

  it('a spec change clears the abort memory, as it clears a rolled-back Manual switch', () => {
    const w = established({ steps: [50, 100] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.stage === 'Routing', 40);
    request(w, 'abort');
    w.runUntil((x) => x.status.rollout?.stage === 'RolledBack', 40);
    w.edit((s) => (s.topology = 'PubSub'));
    w.runUntil((x) => x.status.currentTopology === 'PubSub' && x.status.phase === 'Ready', 80);
    expect(w.status.abortedTarget).to.equal(undefined);
  });

  it('abort in Auto mode keeps the rule engine from starting the same switch again', () => {
    const w = new World(
      { selector: sel, mode: 'Auto', topology: 'FullMesh', autoSwitch: { cooldownSeconds: 0 }, rollout: { steps: [50, 100], stepVerificationSeconds: 2 } },
      pods(25),
    );
    w.runUntil((x) => x.status.rollout?.to === 'HyParView' && x.status.rollout.stage === 'Routing', 80);
    request(w, 'abort');
    w.runUntil((x) => x.status.rollout?.stage === 'RolledBack', 40);
    const later = w.runUntil(() => false, 60);
    expect(eventReasons(later)).to.not.include(REASONS.switchStarted);
    expect(w.status.currentTopology).to.equal('FullMesh');
    expect(w.status.abortedTarget?.topology).to.equal('HyParView');
  });

  it('ignores stale and pointless requests with an Event saying why, and records them so they are not repeated', () => {
    const w = established({ steps: [50, 100] });
    const cases: [() => string, RegExp][] = [
      [() => request(w, 'abort'), /no switch in flight to abort/],
      [() => request(w, 'promote'), /nothing to promote: no switch in flight/],
      [() => request(w, 'retry'), /nothing to retry: the last switch, to FullMesh \(epoch 1\), is Succeeded/],
      [() => request(w, 'abort', 9), /abort for epoch 9 is stale: the last switch, to FullMesh \(epoch 1\), is Succeeded/],
      [() => (w.control = 'action=explode'), /action "explode" is not one of/],
    ];
    for (const [write, why] of cases) {
      const value = write();
      const plan = w.reconcile();
      const ev = plan.events.find((e) => e.reason === REASONS.controlRequestIgnored);
      expect(ev?.type, value).to.equal('Warning');
      expect(ev?.message, value).to.match(why);
      expect(w.status.lastControlRequest, value).to.deep.include({ value, result: 'Ignored' });
      expect(
        w.reconcile().events.map((e) => e.reason),
        value,
      ).to.not.include(REASONS.controlRequestIgnored);
    }
    expect(w.status.phase).to.equal('Ready');

    // A request for an epoch that is no longer in progress is ignored: the switch in flight is another.
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.stage === 'Routing', 40);
    request(w, 'abort', 1);
    const plan = w.reconcile();
    expect(plan.events.find((e) => e.reason === REASONS.controlRequestIgnored)?.message).to.match(
      /abort for epoch 1 is stale: the last switch, to HyParView \(epoch 2\), is Routing/,
    );
    expect(w.status.rollout?.stage).to.equal('Routing');
  });

  it('refuses to abort a switch that is committing (past the point of no return)', () => {
    const w = established({ steps: [100] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.stage === 'Committing', 40);
    request(w, 'abort');
    const plan = w.reconcile();
    expect(plan.events.find((e) => e.reason === REASONS.controlRequestIgnored)?.message).to.include('past the point of no return');
    w.runUntil((x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready', 40);
  });

  it('retry continues a failed switch (autoRollback false) where it stopped, without a spec change', () => {
    const w = established({ steps: [50, 100], autoRollback: false });
    w.edit((s) => (s.topology = 'HyParView'));
    let broken = true;
    w.probe = () => ({ connected: !broken, probesSent: 6, probesDelivered: 6 });
    w.runUntil((x) => x.status.rollout?.stage === 'Failed', 60);
    expect(w.status.phase).to.equal('Failed');
    broken = false;
    request(w, 'retry', w.status.rollout!.epoch);
    w.runUntil((x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready', 80);
    expect(w.status.history!.at(-1)).to.deep.include({ to: 'HyParView', result: 'Succeeded' });
  });

  it('a gate waits (phase Paused, reason AwaitingPromotion) without a deadline; promote continues to the next step', () => {
    const w = established({ steps: [50, 'pause', 100] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.gateStep !== undefined, 40);
    const r = w.status.rollout!;
    expect(r).to.deep.include({ stage: 'Routing', stepPercent: 50, gateStep: 2 });
    expect(w.status.phase).to.equal('Paused');
    for (const t of ['Ready', 'Reconciling', 'Stalled'] as const) expect(findCondition(w.status.conditions, t)?.reason, t).to.equal(REASONS.awaitingPromotion);
    // Far past progressDeadlineSeconds: still waiting, half the members on the new overlay.
    const waited = w.runUntil(() => false, 40);
    expect(waited.every((p) => p.status.rollout?.gateStep === 2 && p.status.phase === 'Paused')).to.equal(true);
    expect(eventReasons(waited)).to.not.include.members([REASONS.progressDeadlineExceeded, REASONS.rollingBack]);
    expect(w.members.filter((m) => m.routingEpoch === r.epoch)).to.have.length(3);

    request(w, 'promote', r.epoch);
    const after = w.reconcile();
    expect(after.events.map((e) => e.reason)).to.include.members([REASONS.promoted, REASONS.routing]);
    expect(w.status.rollout).to.deep.include({ stage: 'Routing', stepPercent: 100, promotedStep: 2 });
    expect(w.status.rollout?.gateStep).to.equal(undefined);
    w.runUntil((x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready', 40);
  });

  it('a gate first waits with the new overlay prepared and no traffic moved; a gate last holds the commit', () => {
    const w = established({ steps: ['pause', 100, 'pause'] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.gateStep !== undefined, 40);
    expect(w.status.rollout).to.deep.include({ stage: 'Preparing', gateStep: 1 });
    const epoch = w.status.rollout!.epoch;
    expect(w.members.every((m) => m.stagedEpoch === epoch && (m.routingEpoch ?? 1) === 1)).to.equal(true);
    request(w, 'promote');
    w.runUntil((x) => x.status.rollout?.gateStep === 3, 40);
    expect(w.status.rollout).to.deep.include({ stage: 'Routing', stepPercent: 100 });
    expect(w.members.every((m) => m.routingEpoch === epoch && m.activeEpoch === 1)).to.equal(true);
    request(w, 'promote');
    w.runUntil((x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready', 40);
    expect(w.members.every((m) => m.activeEpoch === epoch)).to.equal(true);
  });

  it('a gate edited out of spec.rollout.steps while waiting there no longer holds the switch', () => {
    const w = established({ steps: [50, 'pause', 100] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.gateStep !== undefined, 40);
    w.edit((s) => (s.rollout = { ...s.rollout, steps: [50, 100] }));
    w.runUntil((x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready', 40);
    expect(w.status.history!.at(-1)).to.deep.include({ to: 'HyParView', result: 'Succeeded' });
  });

  it('abort at a gate rolls back; requests wait while spec.paused and are consumed on resume', () => {
    const w = established({ steps: [50, 'pause', 100] });
    w.edit((s) => (s.topology = 'HyParView'));
    w.runUntil((x) => x.status.rollout?.gateStep !== undefined, 40);
    w.edit((s) => (s.paused = true));
    w.reconcile();
    request(w, 'abort');
    const paused = w.runUntil(() => false, 5);
    expect(eventReasons(paused)).to.not.include(REASONS.aborted);
    expect(w.status.lastControlRequest).to.equal(undefined);
    w.edit((s) => (s.paused = false));
    w.runUntil((x) => x.status.rollout?.stage === 'RolledBack', 40);
    expect(w.status.lastControlRequest).to.deep.include({ action: 'abort', result: 'Applied' });
    expect(w.members.every((m) => m.activeEpoch === 1 && m.stagedEpoch === undefined)).to.equal(true);
  });
});

describe('the reconciler watches the control annotation', () => {
  it('reconciles on a change of the control annotation, not on other metadata', () => {
    const obj = (annotations: Record<string, string>) => ({ metadata: { name: 'chat', generation: 3, annotations } });
    const changed = topologyChanged();
    expect(changed({ type: 'update', oldObject: obj({}), object: obj({ [CONTROL_ANNOTATION]: 'action=abort' }) })).to.equal(true);
    expect(changed({ type: 'update', oldObject: obj({ other: 'a' }), object: obj({ other: 'b' }) })).to.equal(false);
  });
});
