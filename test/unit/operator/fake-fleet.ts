/**
 * A deterministic stand-in for the member sidecars' Control service, for the rollout tests: it
 * applies the engine's actions to member states exactly as DESIGN.md says a sidecar does, so the
 * tests drive the real planner through whole switches without sockets or clocks.
 */
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import type { ClusterTopologySpec, ClusterTopologyStatus, TopologyMetrics } from '../../../src/api/types.js';
import { planReconcile, type ReconcilePlan } from '../../../src/operator/rollout/plan-reconcile.js';
import type { MemberAction, ObservedMember, SharedPods, VerificationResult } from '../../../src/operator/rollout/types.js';
import { isoSeconds } from '../../../src/api/status.js';

/** Applies one action to the members it names. `refuse` lists members that ignore everything. */
export function applyAction(members: ObservedMember[], a: MemberAction, refuse: ReadonlySet<string> = new Set()): void {
  if (a.kind === 'verify') return;
  for (const m of members) {
    if (!a.members.includes(m.name) || refuse.has(m.name)) continue;
    switch (a.kind) {
      case 'prepare':
        if (m.stagedEpoch === undefined && m.activeEpoch !== a.epoch) m.stagedEpoch = a.epoch;
        break;
      case 'commit':
        if (m.stagedEpoch === a.epoch) {
          m.activeEpoch = a.epoch;
          delete m.stagedEpoch;
          m.routingEpoch = a.epoch;
        }
        break;
      case 'route':
        if (a.epoch === m.activeEpoch || a.epoch === m.stagedEpoch) m.routingEpoch = a.epoch;
        break;
      case 'abort':
        if (m.stagedEpoch === a.epoch) {
          delete m.stagedEpoch;
          if (m.routingEpoch === a.epoch) m.routingEpoch = m.activeEpoch;
        }
        break;
    }
  }
}

/** `n` ready pods named app-00 … with addresses 10.0.0.x:7070 and no overlay yet. */
export function pods(n: number, prefix = 'app'): ObservedMember[] {
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${String(i).padStart(2, '0')}`, address: `10.0.0.${i + 1}:7070`, ready: true }));
}

/** A running world: spec, status, members, a virtual clock, and a verification oracle. */
export class World {
  status: ClusterTopologyStatus = {};
  generation = 1;
  now: Date;
  members: ObservedMember[];
  verification: VerificationResult | undefined;
  metrics: TopologyMetrics | undefined;
  /** Members that ignore every action (a wedged sidecar). */
  refuse = new Set<string>();
  /** How the overlay of an epoch looks when probed. */
  probe: (epoch: number, at: Date) => Omit<VerificationResult, 'epoch' | 'checkedAt'> = () => ({
    connected: true,
    probesSent: 10,
    probesDelivered: 10,
    latencyP99Ms: 5,
  });
  plans: ReconcilePlan[] = [];
  /** Selected pods left to earlier ClusterTopologies (the reconciler's claims.ts), if any. */
  shared: SharedPods[] | undefined;
  /** The control annotation's value (abort, retry, promote requests), if any. */
  control: string | undefined;

  constructor(
    public spec: ClusterTopologySpec,
    members: ObservedMember[],
    start = new Date('2026-01-01T00:00:00Z'),
  ) {
    this.members = members;
    this.now = start;
  }

  get resolved() {
    return applyDefaults(this.spec);
  }

  /** Changes the spec (bumps generation, as the API server does). */
  edit(change: (s: ClusterTopologySpec) => void): void {
    change(this.spec);
    this.generation++;
  }

  /** Plans one reconcile from the current world, carries it out, and returns it. */
  reconcile(): ReconcilePlan {
    const plan = planReconcile({
      spec: this.resolved,
      generation: this.generation,
      status: this.status,
      members: this.members,
      now: this.now,
      ...(this.metrics !== undefined ? { metrics: this.metrics } : {}),
      ...(this.verification !== undefined ? { verification: this.verification } : {}),
      ...(this.shared !== undefined ? { shared: this.shared } : {}),
      ...(this.control !== undefined ? { control: this.control } : {}),
    });
    for (const a of plan.actions) {
      applyAction(this.members, a, this.refuse);
      if (a.kind === 'verify') this.verification = { epoch: a.epoch, checkedAt: isoSeconds(this.now), ...this.probe(a.epoch, this.now) };
    }
    this.status = plan.status;
    this.plans.push(plan);
    return plan;
  }

  /** Advances the clock by the plan's requeue (or `fallback` seconds), at least one second. */
  tick(plan: ReconcilePlan, fallback = 1): void {
    const s = Math.max(1, Math.ceil(plan.requeueAfterSeconds ?? fallback));
    this.now = new Date(this.now.getTime() + s * 1000);
  }

  /** Reconciles until `done()` or `max` rounds; returns the plans of this run. */
  runUntil(done: (w: World) => boolean, max = 200): ReconcilePlan[] {
    const out: ReconcilePlan[] = [];
    for (let i = 0; i < max && !done(this); i++) {
      const plan = this.reconcile();
      out.push(plan);
      if (done(this)) break;
      this.tick(plan);
    }
    return out;
  }
}
