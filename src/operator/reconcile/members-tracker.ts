/**
 * Members lost during a switch: a pod replaced under the same name (a StatefulSet pod killed and
 * recreated) or a sidecar restarted in place, while the staged epoch was being prepared or routed.
 *
 * Why it matters: the phased switch is a canary. A member that dies while part of the members
 * route over the new overlay is exactly the signal a canary exists for — the new overlay may be
 * what killed it — so the step's verification fails and (with `autoRollback`) the switch rolls
 * back, even though the replacement has since rejoined and the overlay looks connected again.
 *
 * A pod that leaves for good (scale-down) or a new pod name (scale-up) is membership change, not
 * loss: the rollout engine handles it (member-sync.ts).
 *
 * This is the operator's only memory of the world between reconciles. It is per replica and
 * per epoch: a new leader starts with an empty record (it cannot know who was there before), which
 * errs towards completing the switch.
 */
import type { MemberObservation } from '../sidecars/observe.js';

interface Seen {
  podUid: string;
  sidecarStartedAtMs?: number;
}

interface Track {
  epoch: number;
  seen: Map<string, Seen>;
  lost: string[];
}

/** Per-resource record of the members seen during the switch in flight. */
export class MembersTracker {
  private readonly tracks = new Map<string, Track>();

  /**
   * Folds one observation into the record of `resource` (its uid) for `epoch` (the staged epoch of
   * a Preparing/Routing switch; undefined when none is in such a stage, which clears the record).
   * Returns the members lost so far during this epoch, with why.
   */
  observe(resource: string, epoch: number | undefined, observations: readonly MemberObservation[]): string[] {
    if (epoch === undefined) {
      this.tracks.delete(resource);
      return [];
    }
    let track = this.tracks.get(resource);
    if (track === undefined || track.epoch !== epoch) {
      track = { epoch, seen: new Map(), lost: [] };
      this.tracks.set(resource, track);
    }
    for (const o of observations) {
      if (!o.observed.ready) continue;
      const now: Seen = { podUid: o.pod.uid };
      if (o.state !== undefined) now.sidecarStartedAtMs = o.state.startedAtMs;
      const before = track.seen.get(o.pod.name);
      if (before !== undefined) {
        if (before.podUid !== now.podUid) track.lost.push(`${o.pod.name} (pod replaced)`);
        else if (before.sidecarStartedAtMs !== undefined && now.sidecarStartedAtMs !== undefined && before.sidecarStartedAtMs !== now.sidecarStartedAtMs) {
          track.lost.push(`${o.pod.name} (sidecar restarted)`);
        }
      }
      track.seen.set(o.pod.name, now);
    }
    return [...track.lost];
  }

  /** Drops the record of a deleted resource. */
  forget(resource: string): void {
    this.tracks.delete(resource);
  }
}
