/**
 * A preload for the operator executable (`node --import <this> .../src/operator/main.js`) that
 * times, without changing behaviour, what one reconcile pass spends its time on: every
 * `ReconcilePass.plan` (with the phase, stage and requeue it decided), every `SidecarPool.each`
 * fan-out (Control method, members, failures: observe, metrics sampling, member actions, and the
 * verification's probe rounds) and every status write
 * (`StatusWriter.updateStatus`). Used by bench/operator-cluster-switch.ts `--trace` to say where a
 * switch's time goes.
 *
 * It wraps prototype methods of the same module instances main.js imports (ES modules are loaded
 * once), and appends one JSON line per call to $TOPOLOGY_OPERATOR_TRACE_FILE:
 * `{ kind, method?, members?, failed?, start, end, phase?, stage?, stepPercent?, requeue? }` (ms since
 * the epoch). Without that variable it does nothing.
 */
import { appendFileSync } from 'node:fs';
import { ReconcilePass, type PlannedPass } from '../../src/operator/reconcile/reconcile-pass.js';
import { SidecarPool } from '../../src/operator/sidecars/pool.js';
import { StatusWriter } from '../../src/operator/controller/status-writer.js';

/** One traced call. */
export interface TraceEvent {
  kind: 'pass' | 'each' | 'write';
  start: number;
  end: number;
  method?: string;
  members?: number;
  failed?: number;
  phase?: string;
  stage?: string;
  stepPercent?: number;
  requeue?: number;
}

const file = process.env.TOPOLOGY_OPERATOR_TRACE_FILE;

function emit(e: TraceEvent): void {
  if (file !== undefined) appendFileSync(file, `${JSON.stringify(e)}\n`);
}

if (file !== undefined && file !== '') {
  // The reconciler plans, writes the status, then acts: a "pass" here is the planning half (the
  // observation round and the plan); its Control calls and the write show up as their own events.
  const plan = ReconcilePass.prototype.plan;
  ReconcilePass.prototype.plan = async function (this: ReconcilePass, ...args: Parameters<typeof plan>): Promise<PlannedPass> {
    const start = Date.now();
    const r = await plan.apply(this, args);
    const e: TraceEvent = { kind: 'pass', start, end: Date.now(), requeue: r.requeueAfterSeconds };
    if (r.plan.status.phase !== undefined) e.phase = r.plan.status.phase;
    if (r.plan.status.rollout !== undefined) {
      e.stage = r.plan.status.rollout.stage;
      e.stepPercent = r.plan.status.rollout.stepPercent;
    }
    emit(e);
    return r;
  };

  const each = SidecarPool.prototype.each;
  SidecarPool.prototype.each = async function <T>(this: SidecarPool, ...args: Parameters<typeof each<T>>): ReturnType<typeof each<T>> {
    const start = Date.now();
    const r = (await each.apply(this, args as Parameters<typeof each>)) as Awaited<ReturnType<typeof each<T>>>;
    emit({ kind: 'each', method: args[0], members: args[1].length, failed: r.filter((x) => !x.result.ok).length, start, end: Date.now() });
    return r;
  };

  const update = StatusWriter.prototype.updateStatus;
  StatusWriter.prototype.updateStatus = async function (this: StatusWriter, ...args: Parameters<typeof update>): ReturnType<typeof update> {
    const start = Date.now();
    try {
      return await update.apply(this, args);
    } finally {
      emit({ kind: 'write', start, end: Date.now() });
    }
  } as typeof update;
}
