/**
 * The commands that change a ClusterTopology's spec: `switch`, `pause`, `resume`, `abort`. They
 * only ever merge-patch `spec` (what a user would do with `kubectl edit`); the operator does the
 * rest. Each returns the message to print, or throws a {@link CliError}.
 *
 * `abort` rolls back the switch in flight the way the rollout engine defines it
 * (src/operator/rollout/plan-rollout.ts): setting `spec.topology` back to `status.currentTopology`
 * while Preparing/Routing/Failed makes the operator route every member back to the committed epoch
 * and abort the staged one (history trigger `Rollback`). An Auto-mode resource is put in Manual
 * mode at the same time, or the rule engine would start the same switch again; resume automatic
 * switching afterwards with `kubectl patch ctopo NAME --type merge -p '{"spec":{"mode":"Auto"}}'`.
 * A switch that is Committing is past the point of no return and cannot be aborted.
 */
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

/** `abort NAME`: rolls back the switch in flight (see the file comment). */
export async function abortSwitch(client: TopologyClient, name: string): Promise<WriteResult> {
  const ct = await client.get(name);
  const r = switchInFlight(ct);
  if (r === undefined)
    throw new CliError(`clustertopology ${name}: no switch in flight to abort (status.rollout.stage is ${ct.status?.rollout?.stage ?? 'unset'})`);
  if (r.stage === 'RollingBack')
    return { message: `clustertopology ${name} is already rolling back to ${ct.status?.currentTopology ?? r.from ?? '-'}`, resource: ct, changed: false };
  if (r.stage === 'Committing')
    throw new CliError(
      `clustertopology ${name}: the switch to ${r.to} is committing (past the point of no return); switch back afterwards with kubectl topology switch ${name} --to ${r.from ?? ct.status?.currentTopology ?? '<topology>'}`,
    );
  const back = ct.status?.currentTopology ?? r.from;
  if (back === undefined) throw new CliError(`clustertopology ${name}: the first overlay (${r.to}) is being formed; there is nothing to roll back to`);
  const resource = await client.patchSpec(name, { mode: 'Manual', topology: back });
  const note = (ct.spec.mode ?? 'Manual') === 'Auto' ? ' (mode set to Manual so the rule engine does not restart it)' : '';
  return { message: `clustertopology ${name}: aborting the switch to ${r.to}; rolling back to ${back}${note}`, resource, changed: true };
}
