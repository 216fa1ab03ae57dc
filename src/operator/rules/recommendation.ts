/**
 * The result type of the rule engine, shared by the rules, the switch decision and the status.
 */
import type { OverlayKind } from '../../api/types.js';

/**
 * What the rule engine would run now, and why. `trigger` is `Workload` when a change of
 * `spec.workload` since the previous evaluation caused it (acted on without cooldown, as the seed's
 * `optimize_for_workload` is), `Auto` otherwise (metrics and size; subject to the cooldown).
 */
export interface Recommendation {
  topology: OverlayKind;
  trigger: 'Auto' | 'Workload';
  reasons: string[];
}

/** A topology choice before the trigger is known. */
export interface Choice {
  topology: OverlayKind;
  reasons: string[];
}
