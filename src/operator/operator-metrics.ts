/**
 * Prometheus metrics of the ClusterTopology reconciler, next to the controller plumbing's
 * `topology_operator_*` ones (reconcile totals and durations, work queue, leader) on the same
 * registry. What an operator of the operator wants on a dashboard:
 *
 * - `topology_switches_total{from,to,trigger,result}`: every finished switch attempt, counted
 *   once, when its history entry is written (so a restarted operator does not count it again:
 *   only entries newer than the status it read are counted).
 * - `topology_current{namespace,name,topology}`: 1 for the committed topology of each resource.
 * - `topology_rollout_step{namespace,name}` / `topology_rollout_stage{namespace,name,stage}`:
 *   where the switch in flight stands (step index, 0 while preparing; stage as a 0/1 gauge).
 * - `topology_members{namespace,name,state}`: total / ready / on_target member counts.
 * - `topology_epoch{namespace,name}`: the committed epoch.
 * - `topology_sidecar_calls_total{method,result}`: Control calls to the sidecars.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { STAGES, type ClusterTopologyStatus, type HistoryEntry, type OverlayKind } from '../api/types.js';

const TOPOLOGIES: readonly OverlayKind[] = ['FullMesh', 'HyParView', 'ClientServer', 'PubSub'];

/** The reconciler's metrics on an injected registry (tests and several operators per process do not collide). */
export class OperatorMetrics {
  readonly switchesTotal: Counter<'from' | 'to' | 'trigger' | 'result'>;
  readonly current: Gauge<'namespace' | 'name' | 'topology'>;
  readonly rolloutStep: Gauge<'namespace' | 'name'>;
  readonly rolloutStage: Gauge<'namespace' | 'name' | 'stage'>;
  readonly members: Gauge<'namespace' | 'name' | 'state'>;
  readonly epoch: Gauge<'namespace' | 'name'>;
  readonly sidecarCalls: Counter<'method' | 'result'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.switchesTotal = new Counter({
      name: 'topology_switches_total',
      help: 'Finished topology switch attempts by from, to, trigger and result.',
      labelNames: ['from', 'to', 'trigger', 'result'],
      registers,
    });
    this.current = new Gauge({
      name: 'topology_current',
      help: 'Committed topology of each ClusterTopology (1 for the current one).',
      labelNames: ['namespace', 'name', 'topology'],
      registers,
    });
    this.rolloutStep = new Gauge({
      name: 'topology_rollout_step',
      help: 'Step index of the switch in flight (0 while preparing, -1 when none).',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.rolloutStage = new Gauge({
      name: 'topology_rollout_stage',
      help: 'Stage of the latest switch (1 for the current stage).',
      labelNames: ['namespace', 'name', 'stage'],
      registers,
    });
    this.members = new Gauge({
      name: 'topology_members',
      help: 'Member pods by state (total, ready, on_target).',
      labelNames: ['namespace', 'name', 'state'],
      registers,
    });
    this.epoch = new Gauge({ name: 'topology_epoch', help: 'Committed epoch of each ClusterTopology.', labelNames: ['namespace', 'name'], registers });
    this.sidecarCalls = new Counter({
      name: 'topology_sidecar_calls_total',
      help: 'Control calls to member sidecars by method and result (ok; cancelled: not sent or cut, no valid leadership; fenced: a sidecar obeys a newer leader; error).',
      labelNames: ['method', 'result'],
      registers,
    });
  }

  /** Counts the history entries in `after` that were not in `before`. */
  countSwitches(before: readonly HistoryEntry[] | undefined, after: readonly HistoryEntry[] | undefined): void {
    const seen = new Set((before ?? []).map(historyKey));
    for (const h of after ?? []) {
      if (seen.has(historyKey(h))) continue;
      this.switchesTotal.inc({ from: h.from ?? 'none', to: h.to, trigger: h.trigger, result: h.result });
    }
  }

  /** Sets the per-resource gauges from a status just written. */
  observeStatus(namespace: string, name: string, status: ClusterTopologyStatus, inFlight: boolean): void {
    for (const t of TOPOLOGIES) this.current.set({ namespace, name, topology: t }, status.currentTopology === t ? 1 : 0);
    this.rolloutStep.set({ namespace, name }, inFlight ? (status.rollout?.stepIndex ?? 0) : -1);
    for (const s of STAGES) this.rolloutStage.set({ namespace, name, stage: s }, status.rollout?.stage === s ? 1 : 0);
    this.members.set({ namespace, name, state: 'total' }, status.members?.total ?? 0);
    this.members.set({ namespace, name, state: 'ready' }, status.members?.ready ?? 0);
    this.members.set({ namespace, name, state: 'on_target' }, status.members?.onTarget ?? 0);
    this.epoch.set({ namespace, name }, status.epoch ?? 0);
  }

  /** Drops the per-resource series of a deleted ClusterTopology. */
  forget(namespace: string, name: string): void {
    for (const t of TOPOLOGIES) this.current.remove({ namespace, name, topology: t });
    for (const s of STAGES) this.rolloutStage.remove({ namespace, name, stage: s });
    this.rolloutStep.remove({ namespace, name });
    for (const state of ['total', 'ready', 'on_target']) this.members.remove({ namespace, name, state });
    this.epoch.remove({ namespace, name });
  }
}

function historyKey(h: HistoryEntry): string {
  return `${h.time}/${h.epoch}/${h.result}/${h.to}`;
}
