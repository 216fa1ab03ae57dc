/**
 * `Overlay.WatchMembers` (App API v2): one CURRENT event per member, SYNCED, then JOINED / LEFT /
 * UPDATED as the operator's member list changes (src/member/membership-view.ts: a switch is not
 * a membership change).
 *
 * A stream is written only while gRPC has room; what cannot be written yet waits in the stream's
 * own queue. A watcher that falls more than {@link MAX_WATCH_BACKLOG} changes behind is ended
 * with RESOURCE_EXHAUSTED naming the limit, never silently skipped: it watches again and gets
 * the current membership (CURRENT… SYNCED) from which to go on. At most {@link MAX_WATCHERS}
 * streams at once.
 */
import * as grpc from '@grpc/grpc-js';
import type { MembershipEvent } from '../rpc/generated/topology/v1/MembershipEvent.js';
import type { Member } from '../rpc/generated/topology/v1/Member.js';
import type { WatchMembersRequest__Output } from '../rpc/generated/topology/v1/WatchMembersRequest.js';
import type { MembershipChange } from '../member/membership-view.js';
import type { MemberDetails } from '../rpc/member-tags.js';
import type { SidecarNode } from './sidecar-node.js';
import { grpcError } from '../rpc/auth.js';

/** Most changes queued for one watcher that gRPC has no room for. Wild guess: a whole rolling restart of a 500-member topology (two each). */
export const MAX_WATCH_BACKLOG = 1024;
/** Most WatchMembers streams at once: an app needs one or a few. Wild guess, as MAX_SUBSCRIBERS. */
export const MAX_WATCHERS = 16;

const EVENT_OF_CHANGE = {
  joined: 'MEMBERSHIP_EVENT_TYPE_JOINED',
  left: 'MEMBERSHIP_EVENT_TYPE_LEFT',
  updated: 'MEMBERSHIP_EVENT_TYPE_UPDATED',
} as const;

/** `Member` of overlay.proto. */
export function toMember(d: MemberDetails): Member {
  return { address: d.address, pod: d.pod, tags: { ...d.tags } };
}

/** The WatchMembers handler over `node`, counting its open streams. */
export function watchMembersHandler(node: SidecarNode): (call: grpc.ServerWritableStream<WatchMembersRequest__Output, MembershipEvent>) => void {
  let watchers = 0;
  return (call) => {
    if (watchers >= MAX_WATCHERS) {
      node.countMalformed('bad-request');
      call.emit('error', grpcError(grpc.status.RESOURCE_EXHAUSTED, `WatchMembers: ${watchers} streams are open, the limit is ${MAX_WATCHERS}`));
      return;
    }
    watchers++;
    const now = Date.now();
    const queue: { event: MembershipEvent; change: boolean }[] = node.membership
      .list()
      .map((m) => ({ event: { type: 'MEMBERSHIP_EVENT_TYPE_CURRENT', member: toMember(m), atMs: now }, change: false }));
    queue.push({ event: { type: 'MEMBERSHIP_EVENT_TYPE_SYNCED', atMs: now }, change: false });
    let changes = 0;
    let closed = false;
    let waiting = false;
    const pump = (): void => {
      while (!closed && !waiting && queue.length > 0) {
        const next = queue.shift() as { event: MembershipEvent; change: boolean };
        if (next.change) changes--;
        if (!call.write(next.event)) {
          waiting = true;
          call.once('drain', () => {
            waiting = false;
            pump();
          });
        }
      }
    };
    const onChanges = (list: readonly MembershipChange[], at: number): void => {
      if (closed) return;
      for (const c of list) queue.push({ event: { type: EVENT_OF_CHANGE[c.kind], member: toMember(c.member), atMs: at }, change: true });
      changes += list.length;
      if (changes > MAX_WATCH_BACKLOG) {
        close();
        call.emit(
          'error',
          grpcError(
            grpc.status.RESOURCE_EXHAUSTED,
            `WatchMembers: this watcher fell ${changes} changes behind, the limit is ${MAX_WATCH_BACKLOG}; watch again for the current membership`,
          ),
        );
        return;
      }
      pump();
    };
    const unsubscribe = node.onMembership(onChanges);
    function close(): void {
      if (closed) return;
      closed = true;
      watchers--;
      unsubscribe();
      queue.length = 0;
    }
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
    pump();
  };
}
