/**
 * What the member sidecars report, turned into the rollout engine's {@link ObservedMember}s.
 *
 * Every candidate pod (Ready, with an IP) is asked for its Control.State, with bounded
 * concurrency. A pod whose sidecar does not answer is observed as not ready: the engine neither
 * targets nor counts it, and it joins (prepare + commit of the current epoch) once it answers.
 * A pod within its NotReady grace (../reconcile/members.ts) is asked too, and stays ready if its
 * sidecar answers and runs an active epoch: it had joined, and still serves.
 * Epoch 0 on the wire means "none" and becomes `undefined` here.
 *
 * The same pass keeps every ready sidecar's member list current (SetMembers): when a pod joins or
 * leaves, the overlays on the other members learn it without waiting for the next switch.
 */
import type { ObservedMember } from '../rollout/types.js';
import type { SidecarState } from '../../rpc/control-client.js';
import type { MemberPod } from '../reconcile/members.js';
import type { SidecarPool } from './pool.js';
import { memberInfoDigest, mergeTags, type MemberDetails } from '../../rpc/member-tags.js';

/** One member as observed: its pod, its sidecar state when it answered, and the engine's view. */
export interface MemberObservation {
  pod: MemberPod;
  state?: SidecarState;
  /** Why the sidecar was not asked or did not answer. */
  unreachable?: string;
  /** Ready for the engine only by the NotReady grace (the pod is NotReady, its sidecar serves). */
  graced?: boolean;
  observed: ObservedMember;
}

function epoch(n: number | undefined): number | undefined {
  return n === undefined || n === 0 ? undefined : n;
}

/** Asks every candidate's sidecar for its state and builds the engine's observations. */
export async function observeMembers(pool: SidecarPool, pods: readonly MemberPod[]): Promise<MemberObservation[]> {
  const asked = (p: MemberPod): boolean => p.address !== undefined && (p.podReady || p.graceUntilMs !== undefined);
  const candidates = pods.filter(asked);
  const replies = await pool.each(
    'GetState',
    candidates.map((p) => p.address!),
    // Views only: member lists (N addresses per sidecar, twice) made a pass O(N²) in bytes (51 MB
    // a pass at 1,000 members, bench:operator --scenario members); the lists are compared by digest.
    (c) => c.getState(true),
  );
  const byAddress = new Map(replies.map((r) => [r.address, r.result]));
  return pods.map((pod) => {
    const observed: ObservedMember = { name: pod.name, ready: false, labels: pod.labels };
    if (pod.address !== undefined) observed.address = pod.address;
    const reply = asked(pod) ? byAddress.get(pod.address!) : undefined;
    if (reply === undefined) return { pod, observed, unreachable: pod.address === undefined ? 'no pod IP yet' : 'pod not Ready' };
    if (!reply.ok) {
      observed.unreachable = true;
      return { pod, observed, unreachable: `sidecar did not answer: ${reply.message}` };
    }
    const s = reply.value;
    const active = epoch(s.activeEpoch);
    if (!pod.podReady && active === undefined) return { pod, observed, state: s, unreachable: 'pod not Ready (and its sidecar runs no epoch yet)' };
    observed.ready = true;
    const staged = epoch(s.stagedEpoch);
    const routing = epoch(s.routeEpoch);
    if (active !== undefined) observed.activeEpoch = active;
    if (staged !== undefined) observed.stagedEpoch = staged;
    if (routing !== undefined) observed.routingEpoch = routing;
    return { pod, observed, state: s, ...(pod.podReady ? {} : { graced: true }) };
  });
}

/**
 * Seconds until the first NotReady grace among `observations` runs out (when the pass must look
 * again, to drop that member if its pod is still NotReady); undefined when no member is graced.
 */
export function graceRequeueSeconds(observations: readonly MemberObservation[], nowMs: number): number | undefined {
  let first: number | undefined;
  for (const o of observations) if (o.graced === true && o.pod.graceUntilMs !== undefined) first = Math.min(first ?? Infinity, o.pod.graceUntilMs);
  return first === undefined ? undefined : Math.max(0, (first - nowMs) / 1000);
}

/** Addresses of the members whose sidecar answered, in name order. */
export function readyAddresses(observations: readonly MemberObservation[]): string[] {
  return observations.filter((o) => o.observed.ready && o.pod.address !== undefined).map((o) => o.pod.address!);
}

/**
 * The details every ready member should carry (App API v2): its pod name, and as tags the pod
 * labels named in `memberTags` (spec.memberTags) with the sidecar's own `--tag` flags over them.
 */
export function wantedMemberInfo(observations: readonly MemberObservation[], memberTags: readonly string[]): MemberDetails[] {
  return observations
    .filter((o) => o.observed.ready && o.pod.address !== undefined)
    .map((o) => ({ address: o.pod.address!, pod: o.pod.name, tags: mergeTags(o.pod.labels, memberTags, o.state?.tags ?? {}) }));
}

/**
 * Pushes the ready member list, with each member's pod and tags, to every ready sidecar whose own
 * list or details differ (SetMembers), judged by `member_info_digest` alone (the observation reads
 * views only), so a pass that changes nothing makes no call and moves no list. Returns how many
 * sidecars were updated.
 */
export async function syncMemberLists(pool: SidecarPool, observations: readonly MemberObservation[], memberTags: readonly string[] = []): Promise<number> {
  const want = readyAddresses(observations);
  const info = wantedMemberInfo(observations, memberTags);
  // The digest covers every member's address, pod and tags, so an equal digest is an equal list.
  const digest = memberInfoDigest(info);
  const stale = observations.filter((o) => o.observed.ready && o.state !== undefined && (o.state.memberInfoDigest ?? '') !== digest).map((o) => o.pod.address!);
  if (stale.length === 0) return 0;
  const replies = await pool.each('SetMembers', stale, (c) => c.setMembers(want, info));
  return replies.filter((r) => r.result.ok).length;
}
