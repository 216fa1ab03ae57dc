/**
 * Carries out the rollout engine's member actions (prepare / route / commit / abort) through the
 * sidecars' Control service. Actions run one after another in the engine's order (route away
 * before abort, abort before a prepare reuses the slot); within an action the members are called
 * concurrently, bounded by the pool.
 *
 * A refused or failed call is logged and left alone: the engine is level-based, so the next
 * reconcile observes the member again and asks for whatever is still missing. Verification
 * (`verify` actions) is not run here but by verify.ts.
 */
import type winston from 'winston';
import type { ResolvedSpec } from '../../api/types.js';
import { overlayParams, TOPOLOGY_OF_KIND } from '../../rpc/overlay-params.js';
import type { MemberAction } from '../rollout/types.js';
import type { SidecarPool } from './pool.js';

/** What carrying out the actions did. */
export interface ActionOutcome {
  /** Calls that changed a sidecar's state (its reply said `changed`). */
  changed: number;
  /** Calls that failed, as "member: kind epoch: message". */
  failures: string[];
}

/**
 * Seed of an epoch's overlay randomness: the epoch itself, so every member (and a restarted
 * operator) passes the same seed; each sidecar mixes in its own address.
 */
export function overlaySeed(epoch: number): number {
  return epoch >>> 0;
}

/**
 * Runs `actions` (verify excluded) against the members, `addressOf` mapping names to addresses.
 * When `signal` aborts (this replica stopped leading) the actions not yet started are dropped and
 * those in flight are cancelled by the pool: the pass is cut, not finished, and the next leader
 * carries out whatever the status still asks for.
 */
export async function runMemberActions(
  pool: SidecarPool,
  spec: ResolvedSpec,
  actions: readonly MemberAction[],
  addressOf: ReadonlyMap<string, string>,
  logger: winston.Logger,
  signal?: AbortSignal,
): Promise<ActionOutcome> {
  const outcome: ActionOutcome = { changed: 0, failures: [] };
  for (const [index, action] of actions.entries()) {
    if (signal?.aborted) {
      logger.warn('leadership lost: the pass is cut before its remaining member actions', { skipped: actions.length - index });
      break;
    }
    if (action.kind === 'verify') continue;
    const targets = action.members.map((m) => addressOf.get(m)).filter((a): a is string => a !== undefined);
    const nameOf = new Map(action.members.map((m) => [addressOf.get(m) ?? '', m]));
    // One request object for every member: the client encodes it once (it carries the whole member list).
    const prepare =
      action.kind === 'prepare'
        ? {
            epoch: action.epoch,
            topology: TOPOLOGY_OF_KIND[action.topology],
            params: overlayParams(spec, action.topology, action.servers),
            members: [...action.peers],
            seed: overlaySeed(action.epoch),
          }
        : undefined;
    const replies = await pool.each(action.kind, targets, (c) => {
      switch (action.kind) {
        case 'prepare':
          return c.prepare(prepare!);
        case 'route':
          return c.route(action.epoch);
        case 'commit':
          return c.commit(action.epoch);
        case 'abort':
          return c.abort(action.epoch);
      }
    });
    for (const { address, result } of replies) {
      if (result.ok) {
        if (result.value.changed) outcome.changed++;
      } else {
        outcome.failures.push(`${nameOf.get(address) ?? address}: ${action.kind} ${action.epoch}: ${result.message}`);
      }
    }
    logger.debug('member action', {
      action: action.kind,
      epoch: action.epoch,
      members: action.members.length,
      failed: replies.filter((r) => !r.result.ok).length,
    });
  }
  if (outcome.failures.length > 0)
    logger.warn('some member actions failed; the next reconcile retries', { failures: outcome.failures.slice(0, 10), failed: outcome.failures.length });
  return outcome;
}
