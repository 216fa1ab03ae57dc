/**
 * The Overlay service: the application's API to its own sidecar (members, send, broadcast,
 * subscribe). Served on a loopback address only, so it carries no token, and it is untrusted
 * input all the same: `Send.to` must be a peer address (src/rpc/peer-address.ts; otherwise
 * INVALID_ARGUMENT) and a member (otherwise NOT_FOUND naming it, never accepted and dropped), so
 * the app cannot make its sidecar dial, with the cluster credential, an address it chose.
 * Payloads above {@link MAX_APP_PAYLOAD_BYTES} get RESOURCE_EXHAUSTED. Every refusal is counted.
 *
 * Subscribe streams are bounded: at most {@link MAX_SUBSCRIBERS} at once, and a subscriber that
 * does not read keeps at most {@link SUBSCRIBER_BUFFER_LIMIT} deliveries and `subscriberBufferBytes`
 * bytes unflushed (and what the shared budget's `subscriber` kind grants); beyond that its stream
 * is ended with RESOURCE_EXHAUSTED rather than letting memory grow (the app reconnects and sees
 * what follows).
 */
import * as grpc from '@grpc/grpc-js';
import type { OverlayHandlers } from '../rpc/generated/topology/v1/Overlay.js';
import type { SidecarNode } from './sidecar-node.js';
import type { AppDelivery } from './node-api.js';
import { grpcError } from '../rpc/auth.js';
import { addressRefusal, parsePeerAddress } from '../rpc/peer-address.js';

/** Largest app payload accepted (bytes): well under the Peer frame limit. */
export const MAX_APP_PAYLOAD_BYTES = 512 * 1024;
/** Deliveries a slow subscriber may have unflushed before its stream is cut. */
export const SUBSCRIBER_BUFFER_LIMIT = 10_000;
/** Default bytes a slow subscriber may have unflushed before its stream is cut (`--subscriber-buffer-bytes`): 16 of the largest payloads. Wild guess. */
export const DEFAULT_SUBSCRIBER_BUFFER_BYTES = 8 << 20;
/** Most Subscribe streams at once: an app needs one or a few; the limit bounds the memory they can hold. Wild guess. */
export const MAX_SUBSCRIBERS = 16;
/** Bytes a delivery is counted as beyond its payload and strings (object and gRPC framing overhead). Wild guess. */
export const DELIVERY_OVERHEAD_BYTES = 256;

/** Options of {@link overlayHandlers}. */
export interface OverlayServiceOptions {
  /** See {@link DEFAULT_SUBSCRIBER_BUFFER_BYTES}. */
  readonly subscriberBufferBytes?: number;
}

/** Bytes one delivery is counted as while a subscriber has not read it. */
export function deliveryBytes(d: AppDelivery): number {
  const m = d.message;
  return DELIVERY_OVERHEAD_BYTES + m.payload.byteLength + 2 * (m.id.length + m.origin.length + (m.to?.length ?? 0));
}

/** Handlers of topology.v1.Overlay for `node`. */
export function overlayHandlers(node: SidecarNode, options: OverlayServiceOptions = {}): OverlayHandlers {
  const subscriberBytes = options.subscriberBufferBytes ?? DEFAULT_SUBSCRIBER_BUFFER_BYTES;
  let subscribers = 0;
  const send = (method: 'Send' | 'Broadcast', to: string | undefined, payload: Buffer, callback: grpc.sendUnaryData<{ id: string; epoch: number }>): void => {
    if (payload.length > MAX_APP_PAYLOAD_BYTES) {
      node.countMalformed('oversized-app-payload');
      callback(grpcError(grpc.status.RESOURCE_EXHAUSTED, `${method}.payload of ${payload.length} bytes exceeds the limit of ${MAX_APP_PAYLOAD_BYTES} bytes`));
      return;
    }
    const r = node.appSend(to, payload);
    if (!r.ok) {
      if (r.counted !== undefined) node.countMalformed(r.counted);
      callback(grpcError(r.code, r.reason));
    } else callback(null, { id: r.id, epoch: r.epoch });
  };
  return {
    Members(_call, callback) {
      const m = node.appMembers();
      callback(null, { self: node.self, members: [...m.members], epoch: m.epoch });
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
      send('Send', to, call.request.payload, callback);
    },
    Broadcast(call, callback) {
      send('Broadcast', undefined, call.request.payload, callback);
    },
    Subscribe(call) {
      if (subscribers >= MAX_SUBSCRIBERS) {
        node.countMalformed('bad-request');
        call.emit('error', grpcError(grpc.status.RESOURCE_EXHAUSTED, `Subscribe: ${subscribers} streams are open, the limit is ${MAX_SUBSCRIBERS}`));
        return;
      }
      subscribers++;
      /** Deliveries written and not yet flushed by gRPC, and their bytes (reserved from the budget). */
      let pending = 0;
      let held = 0;
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        subscribers--;
        unsubscribe();
        node.budget.release('subscriber', held);
        held = 0;
      };
      const unsubscribe = node.subscribe((d) => {
        if (closed) return;
        const bytes = deliveryBytes(d);
        const fits = pending < SUBSCRIBER_BUFFER_LIMIT && held + bytes <= subscriberBytes;
        if (!fits) node.budget.countRefusal('subscriber');
        if (!fits || !node.budget.reserve('subscriber', bytes)) {
          const unread = `${pending} deliveries (${held} bytes) unread`;
          close();
          call.emit(
            'error',
            grpcError(
              grpc.status.RESOURCE_EXHAUSTED,
              `Subscribe: subscriber too slow, ${unread}; the limits are ${SUBSCRIBER_BUFFER_LIMIT} deliveries and ${subscriberBytes} bytes per subscriber`,
            ),
          );
          return;
        }
        pending++;
        held += bytes;
        call.write(
          {
            id: d.message.id,
            origin: d.message.origin,
            to: d.message.to ?? '',
            payload: Buffer.from(d.message.payload),
            sentAtMs: d.message.sentAt,
            deliveredAtMs: d.deliveredAt,
            hops: d.hops,
            epoch: d.epoch,
          },
          () => {
            if (closed) return;
            pending--;
            held -= bytes;
            node.budget.release('subscriber', bytes);
          },
        );
      });
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
    },
  };
}
