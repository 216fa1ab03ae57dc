/**
 * Mechanical mapping between the overlays' `WireMessage` and the protobuf `OverlayMessage`.
 *
 * The proto mirrors the vocabulary field for field, so no overlay needs its own codec. Decoding
 * validates shapes (a peer frame is untrusted input): a result union says why a message was
 * refused, and the caller counts it instead of crashing.
 */
import type { AppMessage, WireMessage } from '../overlays/types.js';
import type { OverlayMessage } from '../rpc/generated/topology/v1/OverlayMessage.js';
import type { OverlayMessage__Output } from '../rpc/generated/topology/v1/OverlayMessage.js';
import type { AppMessage__Output } from '../rpc/generated/topology/v1/AppMessage.js';

/** Bit of `present_lists` saying `peers` was set (possibly empty). */
const PEERS_PRESENT = 1;
/** Bit of `present_lists` saying `ids` was set (possibly empty). */
const IDS_PRESENT = 2;
/** Bit of `present_lists` saying `route` was set (possibly empty). */
const ROUTE_PRESENT = 4;

/** Longest list a message may carry: larger than any view or IHAVE batch, small enough to bound memory. */
export const MAX_LIST_LENGTH = 4096;
/** Longest string field (ids, addresses, types). */
export const MAX_STRING_LENGTH = 1024;

/** Result of decoding untrusted input. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Encodes an overlay's message for the Peer stream. */
export function encodeWireMessage(message: WireMessage): OverlayMessage {
  const out: OverlayMessage = { type: message.type, presentLists: 0 };
  let present = 0;
  if (message.peer !== undefined) out.peer = message.peer;
  if (message.peers !== undefined) {
    out.peers = [...message.peers];
    present |= PEERS_PRESENT;
  }
  if (message.ttl !== undefined) out.ttl = message.ttl;
  if (message.high !== undefined) out.high = message.high;
  if (message.accepted !== undefined) out.accepted = message.accepted;
  if (message.id !== undefined) out.id = message.id;
  if (message.ids !== undefined) {
    out.ids = [...message.ids];
    present |= IDS_PRESENT;
  }
  if (message.round !== undefined) out.round = message.round;
  if (message.app !== undefined) out.app = encodeAppMessage(message.app);
  if (message.hops !== undefined) out.hops = message.hops;
  if (message.route !== undefined) {
    out.route = [...message.route];
    present |= ROUTE_PRESENT;
  }
  out.presentLists = present;
  return out;
}

/** Encodes an application message. */
export function encodeAppMessage(app: AppMessage): OverlayMessage['app'] {
  return {
    id: app.id,
    origin: app.origin,
    to: app.to ?? '',
    payload: Buffer.from(app.payload.buffer, app.payload.byteOffset, app.payload.byteLength),
    sentAt: app.sentAt,
  };
}

function badString(s: string | undefined): boolean {
  return s !== undefined && s.length > MAX_STRING_LENGTH;
}

/** Decodes and validates an application message. */
export function decodeAppMessage(app: AppMessage__Output): Decoded<AppMessage> {
  if (app.id === '' || badString(app.id)) return { ok: false, reason: 'app message without a valid id' };
  if (app.origin === '' || badString(app.origin)) return { ok: false, reason: 'app message without a valid origin' };
  if (badString(app.to)) return { ok: false, reason: 'app message with an oversized destination' };
  if (!Number.isFinite(app.sentAt)) return { ok: false, reason: 'app message with an invalid timestamp' };
  const value: AppMessage =
    app.to === ''
      ? { id: app.id, origin: app.origin, payload: app.payload, sentAt: app.sentAt }
      : { id: app.id, origin: app.origin, to: app.to, payload: app.payload, sentAt: app.sentAt };
  return { ok: true, value };
}

/** Decodes and validates a peer's overlay message. */
export function decodeWireMessage(m: OverlayMessage__Output): Decoded<WireMessage> {
  if (m.type === '' || badString(m.type)) return { ok: false, reason: 'overlay message without a type' };
  if (badString(m.peer) || badString(m.id)) return { ok: false, reason: 'oversized string field' };
  if (m.peers.length > MAX_LIST_LENGTH || m.ids.length > MAX_LIST_LENGTH || m.route.length > MAX_LIST_LENGTH) return { ok: false, reason: 'oversized list' };
  const oversized = (p: string): boolean => p.length > MAX_STRING_LENGTH;
  if (m.peers.some(oversized) || m.ids.some(oversized) || m.route.some(oversized)) return { ok: false, reason: 'oversized list entry' };
  if (m.round !== undefined && !Number.isFinite(m.round)) return { ok: false, reason: 'non-finite round' };
  const out: { -readonly [K in keyof WireMessage]: WireMessage[K] } = { type: m.type };
  if (m.peer !== undefined) out.peer = m.peer;
  if ((m.presentLists & PEERS_PRESENT) !== 0 || m.peers.length > 0) out.peers = m.peers;
  if (m.ttl !== undefined) out.ttl = m.ttl;
  if (m.high !== undefined) out.high = m.high;
  if (m.accepted !== undefined) out.accepted = m.accepted;
  if (m.id !== undefined) out.id = m.id;
  if ((m.presentLists & IDS_PRESENT) !== 0 || m.ids.length > 0) out.ids = m.ids;
  if (m.round !== undefined) out.round = m.round;
  if (m.hops !== undefined) out.hops = m.hops;
  if ((m.presentLists & ROUTE_PRESENT) !== 0 || m.route.length > 0) out.route = m.route;
  if (m.app !== undefined && m.app !== null) {
    const app = decodeAppMessage(m.app);
    if (!app.ok) return app;
    out.app = app.value;
  }
  return { ok: true, value: out };
}

/** True when a message concerns application traffic (a payload, or ids of payloads): drain watches these. */
export function carriesAppTraffic(m: WireMessage): boolean {
  return m.app !== undefined || m.id !== undefined || (m.ids !== undefined && m.ids.length > 0);
}
