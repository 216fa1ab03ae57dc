/**
 * `Overlay.Request`, `Query` and `Respond` (App API v2): validation and proto translation over
 * the node's {@link AppRequests}. Statuses (docs/delivery.md, "Requests"):
 *
 * - Request: OK with the answer; DEADLINE_EXCEEDED (no answer in time); NOT_FOUND (`to` is no
 *   member); UNAVAILABLE (the member left before answering, or no overlay is routed yet);
 *   FAILED_PRECONDITION (no app is subscribed at the member); RESOURCE_EXHAUSTED (this sidecar
 *   waits on {@link MAX_PENDING_REQUESTS} calls, or the member holds {@link MAX_HELD_REQUESTS}).
 * - Query: answers stream as they come; the stream ends OK at the deadline, or as soon as every
 *   targeted member (every other member whose tags match `tag_filter`) answered or declined (no
 *   subscriber of the topic there). Members that decline are not streamed.
 * - Respond: OK once the answer is on its way to the origin; NOT_FOUND (unknown id, or answered
 *   already); DEADLINE_EXCEEDED (the request's deadline passed).
 * - `timeout_ms` outside 1..{@link MAX_REQUEST_TIMEOUT_MS} (0: {@link DEFAULT_REQUEST_TIMEOUT_MS})
 *   and a bad topic, tag filter or address are INVALID_ARGUMENT naming the field; a payload over
 *   the app payload limit RESOURCE_EXHAUSTED. Every refusal is counted.
 */
import * as grpc from '@grpc/grpc-js';
import type { SidecarNode } from './sidecar-node.js';
import type { OverlayHandlers } from '../rpc/generated/topology/v1/Overlay.js';
import { grpcError } from '../rpc/auth.js';
import { addressRefusal, parsePeerAddress, quoteValue } from '../rpc/peer-address.js';
import { tagsMatch, tagsRefusal } from '../rpc/member-tags.js';
import { topicRefusal } from '../member/topics.js';
import { MAX_HELD_REQUESTS, MAX_PENDING_REQUESTS } from '../member/request-table.js';
import { MAX_APP_PAYLOAD_BYTES } from './app-service.js';

/** Request and Query wait this long when `timeout_ms` is 0 (ms): overlay.proto's documented default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Longest `timeout_ms` (ms): five minutes, overlay.proto's documented range. */
export const MAX_REQUEST_TIMEOUT_MS = 300_000;

export { MAX_HELD_REQUESTS, MAX_PENDING_REQUESTS };

/** `timeout_ms` (named `field`) resolved: 0 is the default; outside 1..MAX an INVALID_ARGUMENT message. */
export function resolveTimeout(field: string, timeoutMs: number): { ok: true; value: number } | { ok: false; reason: string } {
  if (timeoutMs === 0) return { ok: true, value: DEFAULT_REQUEST_TIMEOUT_MS };
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_REQUEST_TIMEOUT_MS)
    return { ok: false, reason: `${field} ${timeoutMs} is out of range 1-${MAX_REQUEST_TIMEOUT_MS} (0 means the default, ${DEFAULT_REQUEST_TIMEOUT_MS})` };
  return { ok: true, value: timeoutMs };
}

/** The call's own gRPC deadline (ms since the Unix epoch), or `otherwise` when it has none. */
export function callDeadline(call: { getDeadline(): grpc.Deadline }, otherwise: number): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : otherwise;
}

/** Handlers of Request, Query and Respond over `node`. */
export function requestHandlers(node: SidecarNode): Pick<OverlayHandlers, 'Request' | 'Query' | 'Respond'> {
  const refuse = (code: grpc.status, reason: string, counted: 'bad-request' | 'oversized-app-payload' = 'bad-request'): grpc.ServiceError => {
    node.countMalformed(counted);
    return grpcError(code, reason);
  };
  const oversized = (field: string, payload: Buffer): grpc.ServiceError | undefined =>
    payload.length > MAX_APP_PAYLOAD_BYTES
      ? refuse(
          grpc.status.RESOURCE_EXHAUSTED,
          `${field} of ${payload.length} bytes exceeds the limit of ${MAX_APP_PAYLOAD_BYTES} bytes`,
          'oversized-app-payload',
        )
      : undefined;
  return {
    Request(call, callback) {
      const { to, payload, timeoutMs } = call.request;
      if (to === '')
        return callback(refuse(grpc.status.INVALID_ARGUMENT, 'RequestMessage.to is empty: name a member address (host:port); use Query for several'));
      const address = parsePeerAddress(to);
      if (!address.ok) return callback(refuse(grpc.status.INVALID_ARGUMENT, addressRefusal('RequestMessage.to', to, address.reason)));
      const timeout = resolveTimeout('RequestMessage.timeout_ms', timeoutMs);
      if (!timeout.ok) return callback(refuse(grpc.status.INVALID_ARGUMENT, timeout.reason));
      const big = oversized('RequestMessage.payload', payload);
      if (big !== undefined) return callback(big);
      const checked = node.checkDestination('RequestMessage.to', to);
      if (!checked.ok) {
        if (checked.counted !== undefined) node.countMalformed(checked.counted);
        return callback(grpcError(checked.code, checked.reason));
      }
      const now = Date.now();
      let answer: { from: string; payload: Uint8Array } | undefined;
      const started = node.requests.start('request', [to], payload, undefined, Math.min(now + timeout.value, callDeadline(call, Infinity)), (s) => {
        if (s.kind === 'answer') answer = s;
        else if (s.status === grpc.status.OK && answer !== undefined)
          callback(null, {
            from: answer.from,
            payload: Buffer.from(answer.payload.buffer, answer.payload.byteOffset, answer.payload.byteLength),
            requestId: s.id,
          });
        else callback(grpcError(s.status === grpc.status.OK ? grpc.status.INTERNAL : s.status, `Request to ${to}: ${s.detail}`));
      });
      if (!started.ok) return callback(grpcError(started.code, started.reason));
      call.on('cancelled', () => node.requests.cancel(started.id));
    },
    Query(call) {
      const { payload, timeoutMs, topic, tagFilter } = call.request;
      const fail = (err: grpc.ServiceError): void => void call.emit('error', err);
      const timeout = resolveTimeout('QueryRequest.timeout_ms', timeoutMs);
      if (!timeout.ok) return fail(refuse(grpc.status.INVALID_ARGUMENT, timeout.reason));
      const badTopic = topic === '' ? undefined : topicRefusal('QueryRequest.topic', topic);
      if (badTopic !== undefined) return fail(refuse(grpc.status.INVALID_ARGUMENT, badTopic));
      const badTags = tagsRefusal('QueryRequest.tag_filter', tagFilter);
      if (badTags !== undefined) return fail(refuse(grpc.status.INVALID_ARGUMENT, badTags));
      const big = oversized('QueryRequest.payload', payload);
      if (big !== undefined) return fail(big);
      const routed = node.checkRouted();
      if (!routed.ok) return fail(grpcError(routed.code, routed.reason));
      const targets = node.membership
        .list()
        .filter((m) => m.address !== node.self && tagsMatch(m.tags, tagFilter))
        .map((m) => m.address);
      let ended = false;
      const started = node.requests.start('query', targets, payload, topic, Math.min(Date.now() + timeout.value, callDeadline(call, Infinity)), (s) => {
        if (ended) return;
        if (s.kind === 'answer') {
          call.write({ from: s.from, payload: Buffer.from(s.payload.buffer, s.payload.byteOffset, s.payload.byteLength), requestId: s.id });
          return;
        }
        ended = true;
        if (s.status === grpc.status.OK) call.end();
        else fail(grpcError(s.status, `Query: ${s.detail}`));
      });
      if (!started.ok) return fail(grpcError(started.code, started.reason));
      call.on('cancelled', () => {
        ended = true;
        node.requests.cancel(started.id);
      });
    },
    Respond(call, callback) {
      const { requestId, payload } = call.request;
      if (requestId === '')
        return callback(refuse(grpc.status.INVALID_ARGUMENT, 'RespondRequest.request_id is empty: pass the Delivery.request_id of the request'));
      const big = oversized('RespondRequest.payload', payload);
      if (big !== undefined) return callback(big);
      const r = node.requests.respond(requestId, payload, Date.now());
      if (!r.ok) return callback(refuse(r.status, `RespondRequest.request_id ${quoteValue(requestId)}: ${r.detail}`));
      callback(null, {});
    },
  };
}
