/**
 * Free-text status fields (rollout reason and message, history reasons, recommendation reasons)
 * clipped to the CRD status schema's maxLength, so a long message never makes the status write fail.
 */
import type { ClusterTopologyStatus } from '../../api/types.js';

/** The schema's maxLength of free-text status fields: longer text would make the status write fail. */
export const MAX_STATUS_TEXT = 1024;

function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= MAX_STATUS_TEXT ? text : `${text.slice(0, MAX_STATUS_TEXT - 1)}…`;
}

/** Shortens every free-text field of `s` to what the CRD's status schema accepts. */
export function clipStrings(s: ClusterTopologyStatus): void {
  if (s.rollout !== undefined) {
    if (s.rollout.reason !== undefined) s.rollout.reason = clip(s.rollout.reason)!;
    if (s.rollout.message !== undefined) s.rollout.message = clip(s.rollout.message)!;
  }
  for (const h of s.history ?? []) h.reason = clip(h.reason)!;
  if (s.recommendation !== undefined) s.recommendation.reasons = s.recommendation.reasons.slice(0, 16).map((x) => clip(x)!);
}
