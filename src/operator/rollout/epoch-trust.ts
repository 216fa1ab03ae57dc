/**
 * Which members' reported epochs the rollout engine believes.
 *
 * The next switch stages `max(epochs known) + 1`, and the members' reports (Control.GetState)
 * are among the epochs known: a pod restarted from an older operator's switch, or a resource
 * recreated over running sidecars, legitimately reports epochs the status has not recorded. But a
 * member reporting 2^53 − 1 would leave no epoch for any later switch. So a member is trusted
 * only while every epoch it reports (active, staged, routing) is at most MAX_EPOCH_JUMP
 * (src/api/epoch-bound.ts, the bound the sidecars enforce on Prepare) above the highest epoch
 * the status records. An untrusted member is left out of the rollout — not targeted, counted as
 * ready, verified, nor given as a peer — and named in the conditions and an Event, while the
 * others keep switching. It is trusted again as soon as it reports sane epochs (a restarted pod
 * starts with none).
 */
import { MAX_EPOCH_JUMP, withinEpochBound } from '../../api/epoch-bound.js';
import type { ClusterTopologyStatus } from '../../api/types.js';
import type { ObservedMember } from './types.js';

/** A member left out for the epoch it reports. */
export interface UntrustedMember {
  name: string;
  /** The highest epoch it reported. */
  epoch: number;
}

/** The highest epoch the status records: the committed one, or the one a switch staged. */
export function knownEpoch(status: ClusterTopologyStatus): number {
  return Math.max(status.epoch ?? 0, status.rollout?.epoch ?? 0);
}

function highestReported(m: ObservedMember): number {
  return Math.max(m.activeEpoch ?? 0, m.stagedEpoch ?? 0, m.routingEpoch ?? 0);
}

/** The members (in the order given) that report an epoch beyond the bound, with that epoch. */
export function untrustedMembers(members: readonly ObservedMember[], status: ClusterTopologyStatus): UntrustedMember[] {
  const known = knownEpoch(status);
  return members.filter((m) => !withinEpochBound(highestReported(m), known)).map((m) => ({ name: m.name, epoch: highestReported(m) }));
}

/**
 * The status text naming the untrusted members (at most three by name) and what to do. It does
 * not quote the resource's epoch, so it stays the same while the others keep switching (an Event
 * is emitted when it changes: exclusions.ts).
 */
export function untrustedMessage(untrusted: readonly UntrustedMember[]): string {
  const named = untrusted
    .slice(0, 3)
    .map((u) => `pod ${u.name} reports epoch ${u.epoch}`)
    .join(', ');
  const more = untrusted.length > 3 ? ` and ${untrusted.length - 3} more pods report such epochs` : '';
  return (
    `${named}${more}, more than MAX_EPOCH_JUMP ${MAX_EPOCH_JUMP} above the epochs of this resource (status.epoch, status.rollout.epoch): ` +
    `left out of the overlay (switches go on without ${untrusted.length === 1 ? 'it' : 'them'}); ` +
    `restart ${untrusted.length === 1 ? 'that pod' : 'those pods'} to clear the sidecar state`
  );
}
