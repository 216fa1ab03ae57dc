/**
 * What the operator's informer caches keep of each object (the informers' `transform`).
 *
 * Why: the operator watches every Pod of the namespaces it serves and every ClusterTopology, and
 * an informer keeps each one for the life of the process. Most of a Pod — its spec (containers,
 * volumes, env), its managedFields, the last-applied annotation — is never read here: members.ts
 * reads labels, annotations, deletionTimestamp, uid, phase, podIP, the Ready condition and restart
 * counts, and Events need only a reference. managedFields alone is often the largest part of a
 * small object. Trimming at the cache keeps memory proportional to what the operator uses.
 *
 * The reconciler reads the ClusterTopology it writes from the API server, not from this cache,
 * so trimming it cannot lose a field in a status write.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';

/** Written by `kubectl apply`: a full copy of the applied object, read only by kubectl. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Drops `metadata.managedFields` and the last-applied annotation, in place. */
export function trimMetadata<T extends KubernetesObject>(object: T): T {
  const md = object.metadata;
  if (md === undefined) return object;
  delete md.managedFields;
  if (md.annotations !== undefined && LAST_APPLIED_ANNOTATION in md.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = md.annotations;
    md.annotations = rest;
  }
  return object;
}

/**
 * A Pod as the operator caches it, in place: metadata trimmed, `spec` dropped, and of the status
 * only what membership and change detection read (members.ts `memberRelevantChange`).
 */
export function trimPod(pod: V1Pod): V1Pod {
  trimMetadata(pod);
  delete pod.spec;
  const s = pod.status;
  if (s !== undefined) {
    const kept: NonNullable<V1Pod['status']> = {};
    if (s.phase !== undefined) kept.phase = s.phase;
    if (s.podIP !== undefined) kept.podIP = s.podIP;
    if (s.conditions !== undefined) kept.conditions = s.conditions.filter((c) => c.type === 'Ready');
    if (s.containerStatuses !== undefined) kept.containerStatuses = s.containerStatuses;
    // A native sidecar (injected by the webhook) reports its restarts here.
    if (s.initContainerStatuses !== undefined) kept.initContainerStatuses = s.initContainerStatuses;
    pod.status = kept;
  }
  return pod;
}
