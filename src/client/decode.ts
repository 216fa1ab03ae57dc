/** Wire messages (the generated `__Output` types) to the client's types (./types.ts). */
import type { Delivery__Output } from '../rpc/generated/topology/v1/Delivery.js';
import type { Member__Output } from '../rpc/generated/topology/v1/Member.js';
import type { MembersReply__Output } from '../rpc/generated/topology/v1/MembersReply.js';
import type { MembershipEvent__Output } from '../rpc/generated/topology/v1/MembershipEvent.js';
import type { GapDelivery, GapReason, Member, MembershipEvent, Membership, MessageDelivery, RequestDelivery } from './types.js';

/** proto `Member` → {@link Member}. */
export function toMember(m: Member__Output): Member {
  return { address: m.address, pod: m.pod, tags: { ...m.tags } };
}

/** proto `MembersReply` → {@link Membership}; addresses only when the sidecar gave no details (v1). */
export function toMembership(r: MembersReply__Output): Membership {
  const members = r.memberDetails.length > 0 ? r.memberDetails.map(toMember) : r.members.map((address) => ({ address, pod: '', tags: {} }));
  return { self: r.self, members, epoch: r.epoch };
}

const EVENT_TYPES = {
  MEMBERSHIP_EVENT_TYPE_CURRENT: 'current',
  MEMBERSHIP_EVENT_TYPE_JOINED: 'joined',
  MEMBERSHIP_EVENT_TYPE_LEFT: 'left',
  MEMBERSHIP_EVENT_TYPE_UPDATED: 'updated',
} as const;

/** proto `MembershipEvent` → {@link MembershipEvent}; undefined for a type this client does not know (a newer sidecar). */
export function toMembershipEvent(e: MembershipEvent__Output): MembershipEvent | undefined {
  if (e.type === 'MEMBERSHIP_EVENT_TYPE_SYNCED') return { type: 'synced', atMs: e.atMs };
  const type = EVENT_TYPES[e.type as keyof typeof EVENT_TYPES] as MembershipEvent['type'] | undefined;
  if (type === undefined || type === 'synced' || e.member === null) return undefined;
  return { type, member: toMember(e.member), atMs: e.atMs };
}

/** proto `Delivery` → a message, request or GAP delivery. */
export function toDelivery(d: Delivery__Output): MessageDelivery | RequestDelivery | GapDelivery {
  if (d.kind === 'DELIVERY_KIND_GAP') {
    const reason = (d.gap?.reason ?? 'GAP_REASON_UNSPECIFIED').replace(/^GAP_REASON_/, '') as GapReason;
    return {
      kind: 'gap',
      session: d.session,
      cursor: d.cursor,
      deliveredAtMs: d.deliveredAtMs,
      reason,
      count: d.gap?.count ?? 0,
      ranges: (d.gap?.ranges ?? []).map((r) => ({ origin: r.origin, originSession: r.originSession, direct: r.direct, fromSeq: r.fromSeq, toSeq: r.toSeq })),
      detail: d.gap?.detail ?? '',
      reset: reason === 'SIDECAR_RESTARTED',
    };
  }
  const message: MessageDelivery = {
    kind: 'message',
    id: d.id,
    origin: d.origin,
    to: d.to,
    payload: d.payload,
    topic: d.topic,
    sentAtMs: d.sentAtMs,
    deliveredAtMs: d.deliveredAtMs,
    hops: d.hops,
    epoch: d.epoch,
    session: d.session,
    cursor: d.cursor,
    originSession: d.originSession,
    seq: d.seq,
  };
  return d.requestId === '' ? message : { ...message, kind: 'request', requestId: d.requestId, deadlineMs: d.deadlineMs };
}
