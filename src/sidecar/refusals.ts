/**
 * How refused input is named and carried. Every refusal is counted under one of a fixed set of
 * reasons ({@link MALFORMED_REASONS}), so the Prometheus label `reason` of
 * `topology_sidecar_malformed_messages_total` has bounded values whatever a peer sends; the
 * free-text detail goes to the log and to the caller's error message, never to a label.
 *
 * {@link RefusedInput} is what a guarded gRPC deserializer returns instead of throwing: grpc-js
 * turns any throw in a request deserializer into `INTERNAL: Error deserializing request`, which
 * tells the caller nothing. The marker travels to the handler as the request (or as a stream's
 * frame), and the handler wrapper (grpc-servers.ts) or the Peer link (peer-link.ts) ends the call
 * with the status it carries: RESOURCE_EXHAUSTED naming the size and the limit, or
 * INVALID_ARGUMENT.
 */
import type * as grpc from '@grpc/grpc-js';

/**
 * Reasons a call or frame is refused. ONLY APPEND: dashboards and alerts key on them.
 * - `oversized`: a request or frame above its size limit.
 * - `undecodable`: bytes that are no protobuf message of the expected type.
 * - `bad-link-metadata`: a Peer link without a valid `x-topology-from` / `x-topology-epoch`.
 * - `epoch-mismatch`: a frame whose epoch is not its stream's.
 * - `bad-message`: an overlay message of the wrong shape (no type, a required field missing, an oversized string or list).
 * - `bad-address`: an address in a frame or link metadata that is no peer address (src/rpc/peer-address.ts).
 * - `bad-number`: a number in a frame out of its range (ttl, hops, round, sent_at).
 * - `hello-mismatch`: a Hello naming another member than the link's.
 * - `empty-frame`: a frame with no body.
 * - `overlay-rejected`: an input the overlay threw on.
 * - `oversized-app-payload`: an app payload above the Overlay API's limit.
 * - `future-overflow`: a frame for a not-yet-prepared epoch while that buffer is full (its link is refused).
 * - `far-future-epoch`: a link or frame for an epoch beyond the window above the highest prepared one.
 * - `bad-request`: a Control or Overlay request refused by validation (INVALID_ARGUMENT).
 * - `unknown-member`: an Overlay Send to an address that is no member (NOT_FOUND).
 * - `self-link`: a Peer link claiming to come from this sidecar's own address.
 */
export const MALFORMED_REASONS = [
  'oversized',
  'undecodable',
  'bad-link-metadata',
  'epoch-mismatch',
  'bad-message',
  'bad-address',
  'bad-number',
  'hello-mismatch',
  'empty-frame',
  'overlay-rejected',
  'oversized-app-payload',
  'future-overflow',
  'far-future-epoch',
  'bad-request',
  'unknown-member',
  'self-link',
] as const;

/** One of {@link MALFORMED_REASONS}. */
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

/** A request or frame a guarded deserializer refused, with the status its call ends with. */
export class RefusedInput {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {}
}

/** True when a deserialized request or frame is a refusal rather than a message. */
export function isRefused(value: unknown): value is RefusedInput {
  return value instanceof RefusedInput;
}
