/**
 * What the operator's Control calls carry under leader election, and when they are not made.
 *
 * Every call asks the leader's grant (leader-election.ts `LeaderElector.grant`) just before it is
 * sent: without a valid grant (not leading, lost, stopping, or past the end of its validity) the
 * call is not made at all; with one it carries the fencing token `<generation>/<identity>`, a
 * state-changing call gets no deadline beyond the end of the leadership, and every call in flight
 * is cancelled when leading stops. So a replica that lost its Lease stops acting before a standby
 * can take over, and the sidecars refuse whatever of it still arrives late (src/sidecar/fencing.ts).
 *
 * A leader whose GetState replies show a sidecar obeying a token at or above its own (the Lease
 * was recreated) asks the elector to raise its generation past it ({@link generationToCatchUp}).
 *
 * A replica without leader election has no authorizer: its calls go unfenced and unbounded.
 */
import type { CallAuthorizer } from '../../rpc/control-client.js';
import type { FencingToken } from '../../rpc/fencing.js';
import type { Clock } from '../controller/clock.js';
import { systemClock } from '../controller/clock.js';
import type { LeadershipGrant } from '../controller/leader-election.js';

/** Why a call is not made without a grant (the CANCELLED message names it). */
export const NOT_LEADING = 'this replica holds no valid leadership (not leading, lost, stopping, or past its renew deadline)';

/**
 * The generation a leader holding `ours` must raise its Lease to, because a sidecar obeys
 * `theirs`: a newer generation, or ours held by someone else (both only after the Lease was
 * recreated and its `leaseTransitions` started again at 0). Undefined when ours is not behind.
 */
export function generationToCatchUp(ours: FencingToken, theirs: FencingToken | undefined): number | undefined {
  if (theirs === undefined) return undefined;
  if (theirs.generation > ours.generation || (theirs.generation === ours.generation && theirs.holder !== ours.holder)) return theirs.generation + 1;
  return undefined;
}

/** What the authorizer needs of the leader: its grant, and a way to raise its generation. */
export interface LeaderSource {
  /** The Manager's `leadership`. */
  grant(): LeadershipGrant | undefined;
  /** The elector's `raiseGeneration`. */
  raiseGeneration(generation: number): void;
}

/** The authorizer of a leader-elected replica. */
export function leaderAuthorizer(leader: LeaderSource, clock: Pick<Clock, 'now'> = systemClock): CallAuthorizer {
  return () => {
    const g = leader.grant();
    if (g === undefined) return { refused: NOT_LEADING };
    const remainingMs = g.validUntilMs - clock.now();
    if (remainingMs <= 0) return { refused: NOT_LEADING };
    const fencing: FencingToken = { generation: g.generation, holder: g.identity };
    return {
      fencing,
      remainingMs,
      signal: g.signal,
      sawObeyed: (obeyed) => {
        const raise = generationToCatchUp(fencing, obeyed);
        if (raise !== undefined) leader.raiseGeneration(raise);
      },
    };
  };
}
