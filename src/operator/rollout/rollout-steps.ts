/**
 * Where a switch goes after a verified stage: the next percentage of `spec.rollout.steps`, a gate
 * (`pause`) that waits for a promote request, or the commit.
 *
 * The position is derived, not stored as an index into the list: the percentage reached
 * (`status.rollout.stepPercent`, 0 while preparing) and the last gate promoted
 * (`status.rollout.promotedStep`, a 1-based index, 0 for none). Walking the list in order, the
 * next item is the first percentage above the one reached, or the first gate not promoted yet,
 * whichever comes first. So `[10, pause, 50, 100]` waits after 10 %, `[pause, 50, 100]` waits
 * once the new overlay is prepared (before any traffic moves), and `[10, 100, pause]` waits with
 * everyone routed, before the commit.
 */
import { PAUSE_STEP, type RolloutStep } from '../../api/types.js';

/** What follows the position reached. `index` is 0-based in `steps`. */
export type NextStep = { kind: 'percent'; index: number; percent: number } | { kind: 'gate'; index: number } | { kind: 'commit' };

/** The item after percentage `reached` with the gates up to `promoted` (1-based) passed; see the file comment. */
export function nextStep(steps: readonly RolloutStep[], reached: number, promoted: number): NextStep {
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]!;
    if (step === PAUSE_STEP) {
      if (index + 1 > promoted) return { kind: 'gate', index };
    } else if (step > reached) return { kind: 'percent', index, percent: step };
  }
  return { kind: 'commit' };
}

/** The percentages of `steps`, gates left out. */
export function percentSteps(steps: readonly RolloutStep[]): number[] {
  return steps.filter((s): s is number => typeof s === 'number');
}
