/**
 * Which ClusterTopology manages a pod that several select. Pure: it reads the resources and pods
 * from the informer caches and touches no network.
 *
 * Two ClusterTopologies whose selectors match the same pod would each push their member list to
 * its sidecar and stage their own epochs on it: a fight no one wins. So a pod belongs to the
 * earliest ClusterTopology of its namespace that selects it — by `metadata.creationTimestamp`,
 * then by name (a total order that every replica computes alike, and that a later resource cannot
 * jump by being edited). A later one leaves the pod alone: it does not observe, configure,
 * count or finalize it, and says so in its conditions (reason SelectorOverlap, naming the other
 * resource and the pods: ../rollout/exclusions.ts). A resource being deleted keeps its pods until
 * it is gone (its finalizer still cleans them up); then the next one in order takes them over,
 * enqueued by {@link topologiesSharingPods} on the delete event.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterTopology } from '../../api/types.js';
import type { SharedPods } from '../rollout/types.js';
import { podSelected, type MemberPod } from './members.js';

/** Where the reconciler reads the other ClusterTopologies from: the ClusterTopology informer's cache. */
export interface TopologyLister {
  list(namespace?: string): ClusterTopology[];
}

function createdMs(t: ClusterTopology): number {
  const c = t.metadata.creationTimestamp as Date | string | undefined;
  const ms = c === undefined ? NaN : new Date(c).getTime();
  // Not yet created (no timestamp): after every resource that has one.
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

function key(t: ClusterTopology): string {
  return `${t.metadata.namespace ?? ''}/${t.metadata.name ?? ''}`;
}

/** True when `a` comes before `b` in the order that decides who keeps a shared pod. */
export function precedes(a: ClusterTopology, b: ClusterTopology): boolean {
  const ta = createdMs(a);
  const tb = createdMs(b);
  if (ta !== tb) return ta < tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/** `podSelected`, for a selector read from a cache: one that cannot be read selects nothing. */
function selects(t: ClusterTopology, pod: V1Pod): boolean {
  try {
    return podSelected(t.spec?.selector, pod);
  } catch {
    return false;
  }
}

/** What {@link claimMembers} decided. */
export interface Claim {
  /** The members this resource manages. */
  own: MemberPod[];
  /** The selected pods it leaves to earlier resources, by holder (in holder order). */
  shared: SharedPods[];
}

/**
 * Splits the member pods of `self` into those it manages and those an earlier ClusterTopology of
 * its namespace (among `others`, which may include `self`) also selects.
 */
export function claimMembers(self: ClusterTopology, members: readonly MemberPod[], others: readonly ClusterTopology[]): Claim {
  const ns = self.metadata.namespace ?? '';
  const earlier = others
    .filter((t) => (t.metadata.namespace ?? '') === ns && t.metadata.name !== self.metadata.name && precedes(t, self))
    .sort((a, b) => (precedes(a, b) ? -1 : 1));
  if (earlier.length === 0) return { own: [...members], shared: [] };
  const own: MemberPod[] = [];
  const byHolder = new Map<string, string[]>();
  for (const m of members) {
    const holder = earlier.find((t) => selects(t, m.pod));
    if (holder === undefined) {
      own.push(m);
      continue;
    }
    const k = key(holder);
    byHolder.set(k, [...(byHolder.get(k) ?? []), m.name]);
  }
  return { own, shared: [...byHolder].map(([holder, pods]) => ({ holder, pods })) };
}

/**
 * The other ClusterTopologies of the namespace that select a pod `changed` selects (or selected,
 * before the change, `before`): the resources a ClusterTopology event concerns besides itself,
 * since a change of one (its selector, its deletion) can hand shared pods to another.
 */
export function topologiesSharingPods(
  changed: ClusterTopology,
  before: ClusterTopology | undefined,
  pods: readonly V1Pod[],
  topologies: readonly ClusterTopology[],
): Array<{ namespace: string; name: string }> {
  const ns = changed.metadata.namespace ?? '';
  const selected = pods.filter((p) => (p.metadata?.namespace ?? '') === ns && (selects(changed, p) || (before !== undefined && selects(before, p))));
  if (selected.length === 0) return [];
  return topologies
    .filter((t) => (t.metadata.namespace ?? '') === ns && t.metadata.name !== changed.metadata.name && selected.some((p) => selects(t, p)))
    .map((t) => ({ namespace: ns, name: t.metadata.name ?? '' }));
}
