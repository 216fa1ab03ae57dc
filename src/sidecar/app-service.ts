/**
 * The Overlay service: the application's API to its own sidecar (members, send, broadcast,
 * subscribe). Served on a loopback address only, so it carries no token, and it is untrusted
 * input all the same: `Send.to` must be a peer address (src/rpc/peer-address.ts; otherwise
 * INVALID_ARGUMENT) and a member (otherwise NOT_FOUND naming it, never accepted and dropped), so
 * the app cannot make its sidecar dial, with the cluster credential, an address it chose.
 * Payloads above {@link MAX_APP_PAYLOAD_BYTES} get RESOURCE_EXHAUSTED. Every refusal is counted.
 *
 * Subscribe streams read the node's delivery log (src/member/app-log.ts): each stream is a reader
 * that is written to only while gRPC has room (`write` returning false waits for `drain`), so a
 * slow app lags instead of growing memory, and what it falls too far behind for becomes a GAP
 * delivery naming the messages. A stream resumes after the cursor the app passes, so an app that
 * reconnects misses nothing and gets nothing twice (docs/delivery.md). At most
 * {@link MAX_SUBSCRIBERS} streams at once.
 */
import * as grpc from '@grpc/grpc-js';
import type { OverlayHandlers } from '../rpc/generated/topology/v1/Overlay.js';
import type { SendReply } from '../rpc/generated/topology/v1/SendReply.js';
import type { SidecarNode } from './sidecar-node.js';
import { toDelivery } from './app-delivery.js';
import { grpcError } from '../rpc/auth.js';
import { addressRefusal, parsePeerAddress } from '../rpc/peer-address.js';
import { toMember, watchMembersHandler } from './app-watch.js';
import { MAX_SUBSCRIBE_TOPICS, topicFilter, topicRefusal, wants } from '../member/topics.js';
import { requestHandlers, callDeadline, DEFAULT_REQUEST_TIMEOUT_MS } from './app-request-service.js';

/** Largest app payload accepted (bytes): well under the Peer frame limit. */
export const MAX_APP_PAYLOAD_BYTES = 512 * 1024;
/** Default bytes of the delivery log all Subscribe streams read (`--subscriber-buffer-bytes`): 16 of the largest payloads. Wild guess. */
export const DEFAULT_SUBSCRIBER_BUFFER_BYTES = 8 << 20;
/** Most Subscribe streams at once: an app needs one or a few. Wild guess. */
export const MAX_SUBSCRIBERS = 16;
/** Longest an acknowledged send waits for its acknowledgement (ms): the call's own deadline when shorter; Request's limit. */
export const MAX_ACK_WAIT_MS = 300_000;
/** Deliveries written to a stream per turn of the event loop before yielding to other work. */
export const SUBSCRIBE_BATCH = 256;

/** Handlers of topology.v1.Overlay for `node`. */
export function overlayHandlers(node: SidecarNode): OverlayHandlers {
  let subscribers = 0;
  const send = (
    method: 'Send' | 'Broadcast',
    to: string | undefined,
    payload: Buffer,
    topic: string | undefined,
    ack: { deadlineAt: number } | undefined,
    callback: grpc.sendUnaryData<SendReply>,
  ): void => {
    if (payload.length > MAX_APP_PAYLOAD_BYTES) {
      node.countMalformed('oversized-app-payload');
      callback(grpcError(grpc.status.RESOURCE_EXHAUSTED, `${method}.payload of ${payload.length} bytes exceeds the limit of ${MAX_APP_PAYLOAD_BYTES} bytes`));
      return;
    }
    if (ack !== undefined && to !== undefined) {
      const checked = node.checkDestination('Send.to', to);
      if (!checked.ok) {
        if (checked.counted !== undefined) node.countMalformed(checked.counted);
        callback(grpcError(checked.code, checked.reason));
        return;
      }
      // Filled once the send was accepted; the acknowledgement comes back over the network, after.
      const accepted: { reply?: SendReply } = {};
      const started = node.requests.start('ack', [to], payload, undefined, ack.deadlineAt, (settled) => {
        if (settled.kind !== 'end') return;
        if (settled.status === grpc.status.OK && accepted.reply !== undefined) callback(null, accepted.reply);
        else callback(grpcError(settled.status, `Send{ack} to ${to}: ${settled.detail}`));
      });
      if (!started.ok) {
        if (started.counted !== undefined) node.countMalformed(started.counted);
        callback(grpcError(started.code, started.reason));
        return;
      }
      accepted.reply = { id: started.sent.id, epoch: started.sent.epoch, session: started.sent.session, seq: started.sent.seq };
      return;
    }
    const r = node.appSend(to, payload, topic);
    if (!r.ok) {
      if (r.counted !== undefined) node.countMalformed(r.counted);
      callback(grpcError(r.code, r.reason));
    } else callback(null, { id: r.id, epoch: r.epoch, session: r.session, seq: r.seq });
  };
  return {
    Members(_call, callback) {
      const m = node.appMembers();
      callback(null, { self: node.self, members: [...m.members], epoch: m.epoch, memberDetails: m.members.map((a) => toMember(node.membership.of(a))) });
    },
    Send(call, callback) {
      const to = call.request.to;
      if (to === '') {
        node.countMalformed('bad-request');
        callback(grpcError(grpc.status.INVALID_ARGUMENT, 'Send.to is empty: name a member address (host:port); use Broadcast for everyone'));
        return;
      }
      const address = parsePeerAddress(to);
      if (!address.ok) {
        node.countMalformed('bad-request');
        callback(grpcError(grpc.status.INVALID_ARGUMENT, addressRefusal('Send.to', to, address.reason)));
        return;
      }
      if (call.request.ack) {
        const now = Date.now();
        const deadlineAt = Math.min(callDeadline(call, now + DEFAULT_REQUEST_TIMEOUT_MS), now + MAX_ACK_WAIT_MS);
        send('Send', to, call.request.payload, undefined, { deadlineAt }, callback);
      } else send('Send', to, call.request.payload, undefined, undefined, callback);
    },
    Broadcast(call, callback) {
      const topic = call.request.topic;
      const bad = topic === '' ? undefined : topicRefusal('Broadcast.topic', topic);
      if (bad !== undefined) {
        node.countMalformed('bad-request');
        callback(grpcError(grpc.status.INVALID_ARGUMENT, bad));
        return;
      }
      send('Broadcast', undefined, call.request.payload, topic, undefined, callback);
    },
    Subscribe(call) {
      if (subscribers >= MAX_SUBSCRIBERS) {
        node.countMalformed('bad-request');
        call.emit('error', grpcError(grpc.status.RESOURCE_EXHAUSTED, `Subscribe: ${subscribers} streams are open, the limit is ${MAX_SUBSCRIBERS}`));
        return;
      }
      const topics = call.request.topics;
      const badTopic =
        topics.length > MAX_SUBSCRIBE_TOPICS
          ? `Subscribe.topics lists ${topics.length} topics, the limit is ${MAX_SUBSCRIBE_TOPICS}`
          : topics.map((t, i) => topicRefusal(`Subscribe.topics[${i}]`, t)).find((r) => r !== undefined);
      if (badTopic !== undefined) {
        node.countMalformed('bad-request');
        call.emit('error', grpcError(grpc.status.INVALID_ARGUMENT, badTopic));
        return;
      }
      subscribers++;
      const log = node.appLog;
      const { resumeSession, resumeAfter } = call.request;
      const reader = log.open(resumeSession === '' ? undefined : { session: resumeSession, after: resumeAfter });
      const filter = topicFilter(topics);
      if (!filter.all) reader.wants = (e) => wants(filter, e);
      node.subscriberFilters.add(filter);
      let closed = false;
      let waiting = false;
      /** Writes what the reader has while gRPC has room; resumes on `drain`. */
      const pump = (): void => {
        if (closed || waiting) return;
        while (log.hasMore(reader)) {
          for (const logged of log.read(reader, SUBSCRIBE_BATCH)) {
            // GAPs made for this reader (it lagged, or resumed across a restart) are counted here; the ledger's when appended.
            if (logged.event.kind === 'gap' && Number.isNaN(logged.event.deliveredAt)) node.countGap(logged.event.gap.reason);
            const written = call.write(toDelivery(logged, log.session, Date.now()));
            // Handed to gRPC: an acknowledged send is acknowledged now (app-requests.ts).
            if (logged.event.kind === 'message') node.requests.handed(logged.event.message);
            if (!written) waiting = true;
          }
          if (waiting) {
            call.once('drain', () => {
              waiting = false;
              pump();
            });
            return;
          }
        }
      };
      const unsubscribe = node.onAppEvent(pump);
      const close = (): void => {
        if (closed) return;
        closed = true;
        subscribers--;
        node.subscriberFilters.delete(filter);
        unsubscribe();
      };
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
      // Headers go out at once, so the app knows the stream is registered before anything arrives.
      call.sendMetadata(new grpc.Metadata());
      pump();
    },
    WatchMembers: watchMembersHandler(node),
    ...requestHandlers(node),
  };
}
