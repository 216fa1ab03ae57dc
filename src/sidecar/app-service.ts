/**
 * The Overlay service: the application's API to its own sidecar (members, send, broadcast,
 * subscribe). Served on a loopback address only, so it carries no token.
 *
 * Subscribe streams are bounded: a subscriber that does not read keeps at most
 * {@link SUBSCRIBER_BUFFER_LIMIT} deliveries buffered; beyond that its stream is ended with
 * RESOURCE_EXHAUSTED rather than letting memory grow (the app reconnects and sees what follows).
 */
import * as grpc from '@grpc/grpc-js';
import type { OverlayHandlers } from '../rpc/generated/topology/v1/Overlay.js';
import type { SidecarNode } from './sidecar-node.js';
import { grpcError } from '../rpc/auth.js';

/** Largest app payload accepted (bytes): well under the Peer frame limit. */
export const MAX_APP_PAYLOAD_BYTES = 512 * 1024;
/** Deliveries a slow subscriber may have buffered before its stream is cut. */
export const SUBSCRIBER_BUFFER_LIMIT = 10_000;

/** Handlers of topology.v1.Overlay for `node`. */
export function overlayHandlers(node: SidecarNode): OverlayHandlers {
  const send = (to: string | undefined, payload: Buffer, callback: grpc.sendUnaryData<{ id: string; epoch: number }>): void => {
    if (payload.length > MAX_APP_PAYLOAD_BYTES) {
      node.countMalformed('oversized-app-payload');
      callback(grpcError(grpc.status.INVALID_ARGUMENT, `payload of ${payload.length} bytes exceeds ${MAX_APP_PAYLOAD_BYTES}`));
      return;
    }
    const r = node.appSend(to, payload);
    if (!r.ok) callback(grpcError(r.code, r.reason));
    else callback(null, { id: r.id, epoch: r.epoch });
  };
  return {
    Members(_call, callback) {
      const m = node.appMembers();
      callback(null, { self: node.self, members: [...m.members], epoch: m.epoch });
    },
    Send(call, callback) {
      if (call.request.to === '') {
        callback(grpcError(grpc.status.INVALID_ARGUMENT, 'Send needs `to` (a member address); use Broadcast for everyone'));
        return;
      }
      send(call.request.to, call.request.payload, callback);
    },
    Broadcast(call, callback) {
      send(undefined, call.request.payload, callback);
    },
    Subscribe(call) {
      let buffered = 0;
      const unsubscribe = node.subscribe((d) => {
        if (buffered > SUBSCRIBER_BUFFER_LIMIT) return;
        const ok = call.write({
          id: d.message.id,
          origin: d.message.origin,
          to: d.message.to ?? '',
          payload: Buffer.from(d.message.payload),
          sentAtMs: d.message.sentAt,
          deliveredAtMs: d.deliveredAt,
          hops: d.hops,
          epoch: d.epoch,
        });
        if (!ok) {
          buffered++;
          if (buffered > SUBSCRIBER_BUFFER_LIMIT) {
            unsubscribe();
            call.emit('error', grpcError(grpc.status.RESOURCE_EXHAUSTED, 'subscriber too slow: delivery buffer full'));
          } else if (buffered === 1) {
            call.once('drain', () => {
              buffered = 0;
            });
          }
        }
      });
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
      call.on('error', unsubscribe);
    },
  };
}
