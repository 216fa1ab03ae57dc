/**
 * Names of the ClusterTopology API that the operator, the CLI, the CRD and the tests must agree on.
 *
 * They live in one module so that a rename is one edit: the CRD generator, the reconciler's watches,
 * the kubectl plugin and the e2e tests all import them from here.
 */

/** API group of every resource this project defines. */
export const GROUP = 'topology.foundation.dev';

/** The only served and stored version. `v1alpha1`: the schema may still change incompatibly. */
export const VERSION = 'v1alpha1';

/** `apiVersion` of a ClusterTopology manifest. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Kind of the custom resource. */
export const KIND = 'ClusterTopology';

/** Kind of the list type the API server serves for collections. */
export const LIST_KIND = 'ClusterTopologyList';

/** Plural resource name: the URL segment and the first half of the CRD's name. */
export const PLURAL = 'clustertopologies';

/** Singular resource name (`kubectl get clustertopology`). */
export const SINGULAR = 'clustertopology';

/** Short names for kubectl (`kubectl get ctopo`). */
export const SHORT_NAMES: readonly string[] = ['ctopo'];

/** kubectl categories (`kubectl get topology` lists every resource of this project). */
export const CATEGORIES: readonly string[] = ['topology'];

/** Name of the CustomResourceDefinition object: `<plural>.<group>`. */
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/**
 * Finalizer the operator puts on a ClusterTopology so that, on deletion, it can tell the member
 * sidecars to drop the overlay before the resource disappears.
 */
export const FINALIZER = `${GROUP}/finalizer`;

/** Pod annotations and labels the operator reads or writes. */
export const ANNOTATIONS = {
  /** On a member pod: the sidecar's Control/Peer gRPC port, overriding `spec.sidecar.port`. */
  sidecarPort: `${GROUP}/sidecar-port`,
  /** On a ClusterTopology: abort, retry or promote requests (src/api/control-request.ts). */
  control: `${GROUP}/control`,
} as const;

/**
 * Condition types, kstatus-compatible (https://github.com/kubernetes-sigs/cli-utils, kstatus):
 * `Reconciling` True while the operator is moving the cluster towards the spec, `Stalled` True when
 * it cannot make progress without a change from the user, `Ready` True when the overlay the spec
 * asks for is established on every ready member.
 */
export const CONDITION_TYPES = {
  ready: 'Ready',
  reconciling: 'Reconciling',
  stalled: 'Stalled',
} as const;

/** One of {@link CONDITION_TYPES}. */
export type ConditionType = (typeof CONDITION_TYPES)[keyof typeof CONDITION_TYPES];

/**
 * `reason` values of conditions and Events (UpperCamelCase, as metav1.Condition requires). One
 * vocabulary, so that `kubectl describe` and alerting rules can match on them.
 */
export const REASONS = {
  /** The overlay is established on every ready member. */
  established: 'Established',
  /**
   * No pod matches the selector (condition Ready=True: nothing to configure), or selected pods are
   * not ready yet (Ready=False, phase Pending).
   */
  noMembers: 'NoMembers',
  /** Members that joined (or restarted) are being brought into the committed epoch. */
  membersJoining: 'MembersJoining',
  /** Some selected pods are not ready. */
  membersNotReady: 'MembersNotReady',
  /** First overlay being formed. */
  initializing: 'Initializing',
  /** A phased switch is preparing the staged epoch. */
  preparing: 'Preparing',
  /** A phased switch is routing a share of members over the staged epoch. */
  routing: 'Routing',
  /** A step's health window is running. */
  verifying: 'Verifying',
  /** Every member is being told to commit the staged epoch. */
  committing: 'Committing',
  /** A switch finished: every member runs the new overlay. */
  switchSucceeded: 'SwitchSucceeded',
  /** A switch started. */
  switchStarted: 'SwitchStarted',
  /** A step's verification failed. */
  verificationFailed: 'VerificationFailed',
  /** A step did not finish within `spec.rollout.progressDeadlineSeconds`. */
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** Members are being routed back to the committed epoch. */
  rollingBack: 'RollingBack',
  /** A switch was rolled back; the previous overlay serves. */
  rolledBack: 'RolledBack',
  /** A switch was abandoned in favour of a newer target. */
  superseded: 'Superseded',
  /** A switch failed and `spec.rollout.autoRollback` is false: frozen until the spec changes. */
  rolloutFailed: 'RolloutFailed',
  /** Rolling back did not finish within the progress deadline; still retrying. */
  rollbackStalled: 'RollbackStalled',
  /** Committing did not finish within the progress deadline; still retrying. */
  commitStalled: 'CommitStalled',
  /**
   * The sidecars' credentials are unavailable: the resource's credentials Secret cannot be written
   * (or a Secret of that name is not the operator's), the operator key cannot be read, or the token
   * named by `spec.sidecar.tokenSecretRef` cannot be read (no Secret, no key, empty, wrong type,
   * forbidden). The sidecars are not called until they are.
   */
  sidecarTokenUnavailable: 'SidecarTokenUnavailable',
  /** `spec.paused` is true. */
  paused: 'Paused',
  /** The spec fails validation (a defence behind the CRD's own rules). */
  invalidSpec: 'InvalidSpec',
  /** An automatic switch was held back by the cooldown. */
  cooldownActive: 'CooldownActive',
  /**
   * An automatic switch was held back by the back-off after rolled-back automatic switches
   * (src/operator/rules/rollback-backoff.ts), which applies even with `cooldownSeconds: 0`.
   */
  rollbackBackoff: 'RollbackBackoff',
  /**
   * Selected pods are also selected by an earlier ClusterTopology (by creationTimestamp, then
   * name), which manages them; this one leaves them alone (Stalled=True until the selectors are
   * disjoint).
   */
  selectorOverlap: 'SelectorOverlap',
  /**
   * A member reports an epoch more than MAX_EPOCH_JUMP (src/api/epoch-bound.ts) above the
   * resource's: it is left out of the rollout until it reports a sane one.
   */
  untrustedEpoch: 'UntrustedEpoch',
  /**
   * The switch waits at a gate (`pause` in spec.rollout.steps) for a promote request (phase
   * Paused), or a promote request was applied.
   */
  awaitingPromotion: 'AwaitingPromotion',
  /** A promote request took the switch past its gate. */
  promoted: 'Promoted',
  /**
   * An abort request rolled the switch back; it is not started again until a retry request or a
   * spec change (phase Degraded, Stalled=True).
   */
  aborted: 'Aborted',
  /** A retry request started the rolled-back or failed switch again. */
  retrying: 'Retrying',
  /** A control request was not acted on: unparsable, stale (another epoch), or nothing to act on. */
  controlRequestIgnored: 'ControlRequestIgnored',
  /** The rule engine recommends a different topology. */
  recommendation: 'Recommendation',
} as const;

/** One of {@link REASONS}. */
export type Reason = (typeof REASONS)[keyof typeof REASONS];
