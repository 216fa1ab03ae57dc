/**
 * Status vocabulary shared by the planner, the reconciler, the CLI and the metrics: which rollout
 * stages are in flight, and times formatted the way metav1.Time serializes them. It lives beside
 * the types so that readers of a status (the CLI) need not import the rule engine.
 */
import type { ClusterTopologyStatus, RolloutStatus, Stage } from './types.js';

/** Stages in which a switch is in flight (a staged epoch may exist on members). */
export const IN_FLIGHT_STAGES: ReadonlySet<Stage> = new Set<Stage>(['Preparing', 'Routing', 'Committing', 'RollingBack', 'Failed']);

/** The rollout in flight in `status`, if any. */
export function inFlight(status: ClusterTopologyStatus): RolloutStatus | undefined {
  const r = status.rollout;
  return r !== undefined && IN_FLIGHT_STAGES.has(r.stage) ? r : undefined;
}

/** Formats a time the way metav1.Time serializes: RFC 3339, whole seconds, UTC. */
export function isoSeconds(t: Date | number): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Seconds from `from` (RFC 3339) to `now`. */
export function secondsSince(from: string, now: Date): number {
  return (now.getTime() - Date.parse(from)) / 1000;
}
