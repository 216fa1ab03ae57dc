/**
 * The finalizer of a ClusterTopology (`topology.foundation.dev/finalizer`): when the resource is
 * deleted, the switch in flight must not be left half-done on the sidecars. Every member that has
 * an epoch staged is routed back to its committed overlay and the staged epoch is aborted; the
 * committed overlay keeps serving the application (deleting the resource stops the management of
 * the overlay, not the application's traffic). Then an Event says what was done, and the
 * finalizer is removed so the API server can delete the object.
 *
 * Pods that an earlier ClusterTopology also selects belong to it (claims.ts) and are not touched.
 *
 * Members that do not answer cannot be cleaned up and would not hold their staged epoch across a
 * restart anyway: they are named in the Event and the finalizer is removed regardless, so a
 * deletion never hangs on a dead pod.
 */
import type winston from 'winston';
import { FINALIZER } from '../../api/constants.js';
import { applyDefaults } from '../../api/apply-defaults.js';
import type { ClusterTopology } from '../../api/types.js';
import { validateSpec } from '../../api/validate-spec.js';
import { isNotFound } from '../controller/api-errors.js';
import type { EventRecorder } from '../controller/event-recorder.js';
import type { Result } from '../controller/reconcile.js';
import type { CustomResource, CustomResourceRef, StatusWriter } from '../controller/status-writer.js';
import { memberPods, type PodLister } from './members.js';
import { claimMembers, type TopologyLister } from './claims.js';
import { eventAction, FINALIZED_REASON } from './events.js';
import { observeMembers } from '../sidecars/observe.js';
import type { SidecarPool } from '../sidecars/pool.js';

/** What the finalizer needs. */
export interface FinalizeDeps {
  statusWriter: StatusWriter;
  recorder: EventRecorder;
  pods: PodLister;
  /** The other ClusterTopologies: pods an earlier one also selects are its own, and left alone (claims.ts). */
  topologies?: TopologyLister;
  pool: SidecarPool;
  logger: winston.Logger;
  /** The clock (members within their NotReady grace are aborted too). */
  now: () => Date;
}

/** Runs the finalizer of a ClusterTopology being deleted; a no-op once the finalizer is gone. */
export async function finalizeTopology(deps: FinalizeDeps, object: ClusterTopology, ref: CustomResourceRef): Promise<Result> {
  if (!(object.metadata.finalizers ?? []).includes(FINALIZER)) return {};
  const aborted: string[] = [];
  const failed: string[] = [];
  let stagedEpochs = new Set<number>();
  if (validateSpec(object.spec).length === 0) {
    const spec = applyDefaults(object.spec);
    const own = claimMembers(object, memberPods(spec, deps.pods.list(ref.namespace), deps.now()), deps.topologies?.list(ref.namespace) ?? []).own;
    const observations = await observeMembers(deps.pool, own);
    const staged = observations.filter((o) => o.observed.ready && o.observed.stagedEpoch !== undefined);
    stagedEpochs = new Set(staged.map((o) => o.observed.stagedEpoch!));
    const results = await deps.pool.each(
      'Abort',
      staged.map((o) => o.pod.address!),
      async (c, address) => {
        const o = staged.find((x) => x.pod.address === address)!;
        const { activeEpoch, routingEpoch, stagedEpoch } = o.observed;
        if (routingEpoch === stagedEpoch && activeEpoch !== undefined) {
          const back = await c.route(activeEpoch);
          if (!back.ok) return back;
        }
        return c.abort(stagedEpoch!);
      },
    );
    for (const { address, result } of results) {
      const name = staged.find((x) => x.pod.address === address)?.pod.name ?? address;
      if (result.ok) aborted.push(name);
      else failed.push(`${name} (${result.message})`);
    }
  }
  const epochs = [...stagedEpochs].sort((a, b) => a - b).join(', ');
  const note =
    aborted.length === 0 && failed.length === 0
      ? `deleted: no staged epoch to abort; ${object.status?.currentTopology ?? 'no overlay'} (epoch ${object.status?.epoch ?? 0}) stays as it is on the members`
      : `deleted: aborted staged epoch ${epochs} on ${aborted.length} member(s)${failed.length > 0 ? `; could not reach ${failed.slice(0, 5).join(', ')}` : ''}; ${object.status?.currentTopology ?? 'no overlay'} (epoch ${object.status?.epoch ?? 0}) stays as it is on the members`;
  await deps.recorder.record(object as unknown as CustomResource, {
    type: failed.length > 0 ? 'Warning' : 'Normal',
    reason: FINALIZED_REASON,
    action: eventAction(FINALIZED_REASON),
    note,
  });
  try {
    await deps.statusWriter.removeFinalizer(ref, FINALIZER);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  deps.logger.info('finalizer ran; removed it', { aborted: aborted.length, failed: failed.length });
  return {};
}
