/**
 * `watch NAME` and `switch --wait`: poll the resource (every `--interval`, default 1 s) and show the
 * live view until it settles (phase Ready, nothing in flight, latest generation observed), the
 * timeout passes, or the user presses Ctrl-C. Polling, not a watch stream: one GET per second is
 * cheap, survives API server restarts and needs only `get` permission.
 */
import type { ClusterTopology, OverlayKind } from '../api/types.js';
import type { TopologyClient } from './kube-client.js';
import { LiveView, type ViewSink } from './live-view.js';
import { isSettled } from './view.js';

/** How a wait ended. */
export type WaitOutcome = 'settled' | 'succeeded' | 'failed' | 'timeout' | 'interrupted';

/** Options of {@link watchTopology}. */
export interface WatchOptions {
  timeoutSeconds: number;
  intervalMs: number;
  /** Keep going after the resource settles (until timeout or Ctrl-C). */
  follow: boolean;
  /** `switch --wait`: succeed when `to` is current and settled; fail when the switch to it rolled back or failed. */
  target?: OverlayKind;
  /** Resolves when the user interrupts. */
  interrupted?: Promise<void>;
}

/** Verdict of one observation for `switch --wait`. */
export function targetVerdict(ct: ClusterTopology, to: OverlayKind): 'succeeded' | 'failed' | undefined {
  const s = ct.status;
  if (s === undefined) return undefined;
  const r = s.rollout;
  if (r?.to === to && r.stage === 'Failed') return 'failed';
  if (!isSettled(ct)) return undefined;
  if (s.currentTopology === to) return 'succeeded';
  if (r?.to === to && (r.stage === 'RolledBack' || r.stage === 'Superseded')) return 'failed';
  return undefined;
}

/** Runs the watch loop; returns how it ended and the last observation. */
export async function watchTopology(
  client: TopologyClient,
  name: string,
  sink: ViewSink,
  o: WatchOptions,
): Promise<{ outcome: WaitOutcome; last: ClusterTopology }> {
  const view = new LiveView(sink, `clustertopology ${client.namespace}/${name}`);
  const deadline = Date.now() + o.timeoutSeconds * 1000;
  let stop = false;
  void o.interrupted?.then(() => (stop = true));
  let last = await client.get(name);
  for (;;) {
    view.update(last);
    if (o.target !== undefined) {
      const v = targetVerdict(last, o.target);
      // Right after the patch the operator may not have observed the new generation yet: isSettled checks it.
      if (v !== undefined) return { outcome: v, last };
    } else if (!o.follow && isSettled(last)) {
      return { outcome: 'settled', last };
    }
    if (stop) return { outcome: 'interrupted', last };
    if (Date.now() >= deadline) return { outcome: 'timeout', last };
    await Promise.race([new Promise((r) => setTimeout(r, o.intervalMs)), o.interrupted]);
    if (stop) return { outcome: 'interrupted', last };
    last = await client.get(name);
  }
}
