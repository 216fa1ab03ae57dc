/**
 * The commands that change a ClusterTopology: `switch`, `pause`, `resume` merge-patch `spec` (user
 * intent, what `kubectl edit` would do); `abort`, `retry` and `promote` merge-patch the control
 * annotation (src/api/control-request.ts) and never `spec`, so a GitOps controller that writes
 * Git's spec back cannot undo them. The operator consumes the annotation
 * (src/operator/rollout/control.ts) and records what it did in `status.lastControlRequest`. Each
 * returns the message to print, or throws a {@link CliError}.
 *
 * Each request names the epoch of the switch it is meant for (`target-epoch`), so one that arrives
 * after that switch ended is ignored rather than applied to another, and carries the time as its
 * `id`, so that running the same command twice is two requests. The checks here only spare the
 * user a request the operator would ignore; the operator decides.
 *
 * A switch that is Committing is past the point of no return and cannot be aborted.
 */
import { ANNOTATIONS } from '../api/constants.js';
import { formatControlRequest, type ControlAction } from '../api/control-request.js';
import type { ClusterTopology, OverlayKind } from '../api/types.js';
import { CliError, type TopologyClient } from './kube-client.js';
import { switchInFlight } from './view.js';

/** Result of a spec change: what to print and the resource after the patch. */
export interface WriteResult {
  message: string;
  resource: ClusterTopology;
  /** False when nothing needed to change. */
  changed: boolean;
}

/** `switch NAME --to T`: sets spec.topology (and mode Manual). A no-op when T is already current. */
export async function switchTopology(client: TopologyClient, name: string, to: OverlayKind): Promise<WriteResult> {
  const ct = await client.get(name);
  const mode = ct.spec.mode ?? 'Manual';
  const current = ct.status?.currentTopology;
  const r = switchInFlight(ct);
  if (mode === 'Manual' && ct.spec.topology === to && (current === to || r?.to === to)) {
    const msg =
      current === to && r === undefined
        ? `clustertopology ${name} already runs ${to} (already_current_topology): nothing to do`
        : `clustertopology ${name} is already switching to ${to}`;
    return { message: msg, resource: ct, changed: false };
  }
  const resource = await client.patchSpec(name, { mode: 'Manual', topology: to });
  const notes = [mode === 'Auto' ? ' (mode changed from Auto to Manual: automatic switching is off until you set it back)' : ''];
  if (ct.spec.paused === true) notes.push(' (the resource is paused: the switch starts on kubectl topology resume)');
  return { message: `clustertopology ${name}: switching ${current ?? '-'} → ${to}${notes.join('')}`, resource, changed: true };
}

/** `pause NAME` / `resume NAME`: sets spec.paused. */
export async function setPaused(client: TopologyClient, name: string, paused: boolean): Promise<WriteResult> {
  const ct = await client.get(name);
  if ((ct.spec.paused === true) === paused)
    return { message: `clustertopology ${name} is already ${paused ? 'paused' : 'running (not paused)'}`, resource: ct, changed: false };
  const resource = await client.patchSpec(name, { paused });
  return { message: `clustertopology ${name} ${paused ? 'paused: rollouts and automatic switching are frozen' : 'resumed'}`, resource, changed: true };
}

/** Writes the control annotation for `action` on `epoch`; `now` becomes its id. */
async function request(
  client: TopologyClient,
  name: string,
  action: ControlAction,
  epoch: number,
  now: Date,
): Promise<{ value: string; resource: ClusterTopology }> {
  const value = formatControlRequest({ action, targetEpoch: epoch, id: now.toISOString() });
  const resource = await client.patchAnnotations(name, { [ANNOTATIONS.control]: value });
  return { value, resource };
}

/** `abort NAME`: rolls back the switch in flight, and keeps it from starting again while the spec is unchanged. */
export async function abortSwitch(client: TopologyClient, name: string, now: Date = new Date()): Promise<WriteResult> {
  const ct = await client.get(name);
  const r = switchInFlight(ct);
  if (r === undefined)
    throw new CliError(`clustertopology ${name}: no switch in flight to abort (status.rollout.stage is ${ct.status?.rollout?.stage ?? 'unset'})`);
  if (r.stage === 'Committing')
    throw new CliError(
      `clustertopology ${name}: the switch to ${r.to} is committing (past the point of no return); switch back afterwards with kubectl topology switch ${name} --to ${r.from ?? ct.status?.currentTopology ?? '<topology>'}`,
    );
  const back = ct.status?.currentTopology ?? r.from;
  if (back === undefined) throw new CliError(`clustertopology ${name}: the first overlay (${r.to}) is being formed; there is nothing to roll back to`);
  const { value, resource } = await request(client, name, 'abort', r.epoch, now);
  const what = r.stage === 'RollingBack' ? `the switch to ${r.to} is already rolling back to ${back}; it will not be started again` : `rolling back to ${back}`;
  return {
    message: `clustertopology ${name}: abort of the switch to ${r.to} (epoch ${r.epoch}) requested: ${what} until kubectl topology retry or a spec change (annotation ${ANNOTATIONS.control}=${value}; the operator records it in status.lastControlRequest)`,
    resource,
    changed: true,
  };
}

/** `retry NAME`: starts the rolled-back or failed switch again, to the same target. */
export async function retrySwitch(client: TopologyClient, name: string, now: Date = new Date()): Promise<WriteResult> {
  const ct = await client.get(name);
  const r = ct.status?.rollout;
  if (r === undefined || (r.stage !== 'RolledBack' && r.stage !== 'Failed'))
    throw new CliError(
      `clustertopology ${name}: nothing to retry (status.rollout.stage is ${r?.stage ?? 'unset'}; retry follows an abort, a rollback or a failed switch)`,
    );
  const { value, resource } = await request(client, name, 'retry', r.epoch, now);
  const what = r.stage === 'Failed' ? `the failed switch to ${r.to} continues where it stopped` : `the switch to ${r.to} starts again with a new epoch`;
  return {
    message: `clustertopology ${name}: retry of the switch to ${r.to} (epoch ${r.epoch}) requested: ${what} (annotation ${ANNOTATIONS.control}=${value})`,
    resource,
    changed: true,
  };
}

/** `promote NAME`: moves a switch waiting at a gate (`pause` in spec.rollout.steps) past it. */
export async function promoteSwitch(client: TopologyClient, name: string, now: Date = new Date()): Promise<WriteResult> {
  const ct = await client.get(name);
  const r = switchInFlight(ct);
  if (r === undefined || r.gateStep === undefined)
    throw new CliError(
      `clustertopology ${name}: nothing to promote: ${r === undefined ? 'no switch in flight' : `the switch to ${r.to} is ${r.stage}, not waiting at a gate`} (a gate is a "pause" item of spec.rollout.steps)`,
    );
  const { value, resource } = await request(client, name, 'promote', r.epoch, now);
  return {
    message: `clustertopology ${name}: promote of the switch to ${r.to} (epoch ${r.epoch}) past the gate at step ${r.gateStep} requested (annotation ${ANNOTATIONS.control}=${value})`,
    resource,
    changed: true,
  };
}
