/**
 * Member discovery: which pods a ClusterTopology governs and where their sidecars listen. Pure:
 * it reads Pod objects (from the informer cache) and the resolved spec, and touches no network.
 *
 * A pod is a member when the spec's selector matches its labels and it is not being deleted; it
 * is a *candidate* for the overlay when, in addition, its `Ready` condition is True and it has a
 * pod IP. Whether its sidecar actually answers is found out later (../sidecars/observe.ts): only then
 * is it `ready` for the rollout engine.
 *
 * Readiness with hysteresis: a pod whose Ready condition turned False less than
 * `spec.memberReadiness.notReadyGraceSeconds` ago (by the condition's `lastTransitionTime`, so the
 * rule is level-based: no memory between passes) is still asked; it stays a member if its sidecar
 * answers and runs the current epoch (it had joined: a pod never Ready was never prepared). So a
 * readiness probe that flaps or is late on a loaded node does not drop the member from every
 * other member's view, nor turn a switch into a rollback; a member whose sidecar stops answering
 * leaves at once. Kubernetes does the same in two places: an EndpointSlice endpoint stays
 * `serving` while it terminates, and the node lifecycle controller waits
 * node-monitor-grace-period before it marks a silent node's pods NotReady.
 *
 * The sidecar address is `podIP:port` with the port from `spec.sidecar.port`, overridden per pod
 * by the `topology.foundation.dev/sidecar-port` annotation (src/api/sidecar-port.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { selectorMatches } from '../../api/label-selector.js';
import { sidecarAddress, sidecarPort } from '../../api/sidecar-port.js';
import type { ClusterTopology, LabelSelector, ResolvedSpec } from '../../api/types.js';

/** Where the reconciler reads pods from: the Pod informer's cache. */
export interface PodLister {
  list(namespace?: string): V1Pod[];
}

/** A pod the selector matches, as the reconciler needs it. */
export interface MemberPod {
  name: string;
  uid: string;
  labels: Record<string, string>;
  /** `ip:port` of the sidecar; undefined until the pod has an IP. */
  address?: string;
  /** Pod Ready condition True, with an IP. */
  podReady: boolean;
  /**
   * Set when the pod is not Ready but turned NotReady within the grace (with an IP): until when
   * (ms) it may stay a member while its sidecar answers.
   */
  graceUntilMs?: number;
  /** The Pod object (for Event `related` references). */
  pod: V1Pod;
}

/** True when the pod's Ready condition is True. */
export function podIsReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** True when `selector` (possibly undefined or malformed) matches `pod`. */
export function podSelected(selector: LabelSelector | undefined, pod: V1Pod): boolean {
  return selector !== undefined && selectorMatches(selector, pod.metadata?.labels ?? {});
}

/**
 * Until when (ms) a pod that is not Ready may stay a member: its Ready condition's
 * lastTransitionTime plus the grace, if that is still ahead of `nowMs`; undefined otherwise.
 */
export function notReadyGraceUntil(pod: V1Pod, graceSeconds: number, nowMs: number): number | undefined {
  if (graceSeconds <= 0) return undefined;
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready === undefined || ready.status === 'True' || ready.lastTransitionTime === undefined) return undefined;
  const until = new Date(ready.lastTransitionTime).getTime() + graceSeconds * 1000;
  return Number.isFinite(until) && until > nowMs ? until : undefined;
}

/**
 * The member pods of `spec` among `pods` (one namespace) at `now`, ordered by name. Terminating
 * pods and finished pods (Succeeded/Failed) are left out: they will not serve the overlay again.
 */
export function memberPods(spec: ResolvedSpec, pods: readonly V1Pod[], now: Date): MemberPod[] {
  const out: MemberPod[] = [];
  for (const pod of pods) {
    if (!podSelected(spec.selector, pod)) continue;
    if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const ip = pod.status?.podIP;
    const m: MemberPod = {
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
      labels: { ...(pod.metadata?.labels ?? {}) },
      podReady: ip !== undefined && ip !== '' && podIsReady(pod),
      pod,
    };
    if (ip !== undefined && ip !== '') {
      m.address = sidecarAddress(ip, sidecarPort(spec, pod.metadata?.annotations));
      if (!m.podReady) {
        const until = notReadyGraceUntil(pod, spec.memberReadiness.notReadyGraceSeconds, now.getTime());
        if (until !== undefined) m.graceUntilMs = until;
      }
    }
    out.push(m);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The ClusterTopologies (of the pod's namespace) whose selector matches the pod: the keys a Pod
 * event concerns. Used with `enqueueMapped` on the Pod informer.
 */
export function topologiesSelecting(pod: V1Pod, topologies: readonly ClusterTopology[]): Array<{ namespace: string; name: string }> {
  const ns = pod.metadata?.namespace ?? '';
  return topologies
    .filter((t) => (t.metadata.namespace ?? '') === ns && podSelected(t.spec?.selector, pod))
    .map((t) => ({ namespace: ns, name: t.metadata.name ?? '' }));
}

/**
 * Whether a Pod update can change membership or addressing: labels, annotations, IP, readiness,
 * phase or deletion. Status heartbeats (probe results that change nothing) are filtered out.
 */
export function memberRelevantChange(oldPod: V1Pod | undefined, pod: V1Pod): boolean {
  if (oldPod === undefined) return true;
  const sig = (p: V1Pod): string =>
    JSON.stringify([
      p.metadata?.labels ?? {},
      p.metadata?.annotations ?? {},
      p.status?.podIP ?? '',
      podIsReady(p),
      p.status?.phase ?? '',
      p.metadata?.deletionTimestamp !== undefined && p.metadata?.deletionTimestamp !== null,
      p.metadata?.uid ?? '',
      (p.status?.containerStatuses ?? []).map((c) => c.restartCount),
      // Restarts of a native sidecar (an init container with restartPolicy Always).
      (p.status?.initContainerStatuses ?? []).map((c) => c.restartCount),
    ]);
  return sig(oldPod) !== sig(pod);
}
