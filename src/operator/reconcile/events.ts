/**
 * The `action` of each Event the reconciler emits (events.k8s.io/v1 requires one: what was done,
 * where `reason` says why). One table, so `kubectl get events` reads the same for every resource.
 */
import { REASONS } from '../../api/constants.js';

/** Reason of the Event emitted when the finalizer ran. */
export const FINALIZED_REASON = 'Finalized';

const ACTIONS: Readonly<Record<string, string>> = {
  [REASONS.switchStarted]: 'Switch',
  [REASONS.preparing]: 'Prepare',
  [REASONS.routing]: 'Route',
  [REASONS.verifying]: 'Verify',
  [REASONS.committing]: 'Commit',
  [REASONS.switchSucceeded]: 'Commit',
  [REASONS.verificationFailed]: 'Verify',
  [REASONS.progressDeadlineExceeded]: 'Verify',
  [REASONS.rollingBack]: 'Rollback',
  [REASONS.rolledBack]: 'Rollback',
  [REASONS.superseded]: 'Switch',
  [REASONS.cooldownActive]: 'Evaluate',
  [REASONS.recommendation]: 'Evaluate',
  [REASONS.invalidSpec]: 'Validate',
  [FINALIZED_REASON]: 'Finalize',
};

/** The Event action for `reason` (UpperCamelCase); "Reconcile" for anything unlisted. */
export function eventAction(reason: string): string {
  return ACTIONS[reason] ?? 'Reconcile';
}
