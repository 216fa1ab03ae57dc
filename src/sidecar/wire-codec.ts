/**
 * Mechanical mapping between the overlays' `WireMessage` and the protobuf `OverlayMessage`.
 *
 * The proto mirrors the vocabulary field for field, so no overlay needs its own codec. Decoding
 * validates (a peer frame is untrusted input): strings and lists bounded, every address a peer
 * address (src/rpc/peer-address.ts), numbers in range, each known type's required fields present.
 * A result union says why a message was refused and under which counted reason; the caller counts
 * it instead of crashing, and no overlay ever sees it.
 */
import type { AppMessage, WireMessage, WireReply } from '../overlays/types.js';
import type { Reply as ProtoReply, Reply__Output } from '../rpc/generated/topology/v1/Reply.js';
import type { OverlayMessage } from '../rpc/generated/topology/v1/OverlayMessage.js';
import type { OverlayMessage__Output } from '../rpc/generated/topology/v1/OverlayMessage.js';
import type { AppMessage as ProtoAppMessage, AppMessage__Output } from '../rpc/generated/topology/v1/AppMessage.js';
import type { OverlayMessage as AnyOverlayMessage } from '../overlays/index.js';
import { addressRefusal, parsePeerAddress } from '../rpc/peer-address.js';
import { PROBE_ACK_TYPE } from '../member/member-core.js';
import { MEMBER_REQUIRED_FIELDS } from '../member/member-wire.js';
import { topicRefusal } from '../member/topics.js';
import type { MalformedReason } from './refusals.js';

/** Bit of `present_lists` saying `peers` was set (possibly empty). */
const PEERS_PRESENT = 1;
/** Bit of `present_lists` saying `ids` was set (possibly empty). */
const IDS_PRESENT = 2;
/** Bit of `present_lists` saying `route` was set (possibly empty). */
const ROUTE_PRESENT = 4;

/** Longest list a message may carry: larger than any view or IHAVE batch, small enough to bound memory. */
export const MAX_LIST_LENGTH = 4096;
/** Longest string field that is no address (ids, types). */
export const MAX_STRING_LENGTH = 1024;
/** Longest message type (`hyparview.forwardJoin` is 21). Wild guess: room for any overlay's prefix and name. */
export const MAX_TYPE_LENGTH = 64;
/**
 * Highest `ttl` (remaining hops of a random walk): twice the CRD's maximum walk length (32), so
 * a walk the operator can configure always fits and a forged one cannot circle for long.
 */
export const MAX_TTL = 64;
/**
 * Highest `hops` an app message may have travelled. Broadcast trees of 10,000 simulated members
 * are under 20 deep; wild guess: 1,024, far above any real path and far below a loop's count.
 */
export const MAX_HOPS = 1024;
/** Largest magnitude of `round` (a hop count, a request number or a nonce): the largest exact integer of a double. */
export const MAX_ROUND = Number.MAX_SAFE_INTEGER;

/** The fields each known message type cannot do without (from the overlays' message unions). */
type RequiredFields = readonly ('peer' | 'peers' | 'ttl' | 'high' | 'accepted' | 'id' | 'ids' | 'round' | 'app' | 'hops' | 'reply')[];

/**
 * Required fields of every message type the overlays and the sidecar send, checked before an
 * overlay sees the message: an overlay reads `m.peer` of a `hyparview.forwardJoin` as a NodeId,
 * and an absent one would become a member named `undefined`. The compiler checks that every type
 * of the overlays' unions is listed; an unknown type (a newer peer's) passes with the generic
 * checks only, and the overlay ignores it.
 */
export const REQUIRED_FIELDS = {
  'hyparview.join': [],
  'hyparview.forwardJoin': ['peer', 'ttl'],
  'hyparview.neighbor': ['high'],
  'hyparview.neighborReply': ['accepted'],
  'hyparview.disconnect': [],
  'hyparview.leave': [],
  'hyparview.shuffle': ['peer', 'peers', 'ttl', 'round'],
  'hyparview.shuffleReply': ['peers', 'round'],
  'hyparview.gossip': ['app', 'hops'],
  'hyparview.direct': ['app', 'hops'],
  'hyparview.probe': [],
  'plumtree.gossip': ['app', 'hops'],
  'plumtree.ihave': ['ids', 'round'],
  'plumtree.graft': ['round'],
  'plumtree.prune': [],
  'clientserver.register': ['high'],
  'clientserver.unregister': [],
  'clientserver.hello': [],
  'clientserver.down': ['peer'],
  'clientserver.leave': [],
  'clientserver.publish': ['app', 'hops'],
  'clientserver.relay': ['app', 'hops'],
  'clientserver.app': ['app', 'hops'],
  'fullmesh.join': [],
  'fullmesh.members': ['peers'],
  'fullmesh.hello': [],
  'fullmesh.leave': [],
  'fullmesh.app': ['app', 'hops'],
  [PROBE_ACK_TYPE]: ['id'],
  ...MEMBER_REQUIRED_FIELDS,
} as const satisfies Record<AnyOverlayMessage['type'] | typeof PROBE_ACK_TYPE | keyof typeof MEMBER_REQUIRED_FIELDS, RequiredFields>;

/** Result of decoding untrusted input: the value, or why it was refused and under which counted reason. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string; readonly counted: MalformedReason };

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
  if (message.reply !== undefined) out.reply = encodeReply(message.reply);
  out.presentLists = present;
  return out;
}

/** Encodes an application message. */
export function encodeAppMessage(app: AppMessage): ProtoAppMessage {
  return {
    id: app.id,
    origin: app.origin,
    to: app.to ?? '',
    payload: Buffer.from(app.payload.buffer, app.payload.byteOffset, app.payload.byteLength),
    sentAt: app.sentAt,
    session: app.session ?? '',
    seq: app.seq ?? 0,
    prevSentAt: app.prevSentAt ?? 0,
    topic: app.topic ?? '',
    requestId: app.requestId ?? '',
    deadlineMs: app.deadlineAt ?? 0,
    ack: app.ack ?? false,
  };
}

/** Encodes the answer to a request. */
function encodeReply(r: WireReply): ProtoReply {
  return { requestId: r.requestId, status: r.status, detail: r.detail, payload: Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength) };
}

/** Longest `Reply.detail` (characters): a status message. */
export const MAX_REPLY_DETAIL_LENGTH = 1024;
/** Highest gRPC status code (UNAUTHENTICATED). */
const MAX_STATUS_CODE = 16;

/** Decodes and validates the answer to a request: an id, a status code, a bounded detail. */
export function decodeReply(r: Reply__Output): Decoded<WireReply> {
  const id = badText('reply.request_id', r.requestId, MAX_STRING_LENGTH);
  if (id !== undefined) return id;
  if (r.status > MAX_STATUS_CODE) return number(`reply.status ${r.status} is out of range 0-${MAX_STATUS_CODE}`);
  if (r.detail.length > MAX_REPLY_DETAIL_LENGTH) return shape(`reply.detail of ${r.detail.length} characters, more than ${MAX_REPLY_DETAIL_LENGTH}`);
  return { ok: true, value: { requestId: r.requestId, status: r.status, detail: r.detail, payload: r.payload } };
}

function shape(reason: string): Decoded<never> {
  return { ok: false, reason, counted: 'bad-message' };
}

function number(reason: string): Decoded<never> {
  return { ok: false, reason, counted: 'bad-number' };
}

/** Refuses an id-like string (message ids, types): empty, oversized, or with control characters. */
function badText(field: string, s: string, max: number): Decoded<never> | undefined {
  if (s.length === 0) return shape(`${field} is empty`);
  if (s.length > max) return shape(`${field} of ${s.length} characters, more than ${max}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return shape(`${field} contains a control character`);
  return undefined;
}

/**
 * Addresses that passed the grammar check, remembered so the next frame naming them skips it: a
 * fleet names a bounded set of members in every frame, and the check was 2 % of a loaded
 * sidecar's CPU (bench:sidecars --cpu-prof). Bounded; cleared when full. Only accepted addresses
 * are remembered, so a refusal always says why.
 */
const checkedAddresses = new Set<string>();
/** Entries of {@link checkedAddresses}: the members of a large fleet. Wild guess. */
const MAX_CHECKED_ADDRESSES = 8192;

function badAddress(field: string, s: string): Decoded<never> | undefined {
  if (checkedAddresses.has(s)) return undefined;
  const r = parsePeerAddress(s);
  if (!r.ok) return { ok: false, reason: addressRefusal(field, s, r.reason), counted: 'bad-address' };
  if (checkedAddresses.size >= MAX_CHECKED_ADDRESSES) checkedAddresses.clear();
  checkedAddresses.add(s);
  return undefined;
}

function badAddressList(field: string, list: readonly string[]): Decoded<never> | undefined {
  if (list.length > MAX_LIST_LENGTH) return shape(`${field}: ${list.length} entries, more than ${MAX_LIST_LENGTH}`);
  for (let i = 0; i < list.length; i++) {
    const bad = badAddress(`${field}[${i}]`, list[i] as string);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

function badInteger(field: string, v: number | undefined, max: number): Decoded<never> | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > max) return number(`${field} ${v} is out of range 0-${max}`);
  return undefined;
}

/** Decodes and validates an application message: an id, the origin's address, the destination's if any, a finite timestamp. */
export function decodeAppMessage(app: AppMessage__Output): Decoded<AppMessage> {
  const id = badText('app.id', app.id, MAX_STRING_LENGTH);
  if (id !== undefined) return id;
  const origin = badAddress('app.origin', app.origin);
  if (origin !== undefined) return origin;
  if (app.to !== '') {
    const to = badAddress('app.to', app.to);
    if (to !== undefined) return to;
  }
  if (!Number.isFinite(app.sentAt)) return number(`app.sent_at ${app.sentAt} is not a finite number`);
  if (!Number.isFinite(app.prevSentAt) || app.prevSentAt < 0) return number(`app.prev_sent_at ${app.prevSentAt} is not a finite non-negative number`);
  const seq = badInteger('app.seq', app.seq, Number.MAX_SAFE_INTEGER);
  if (seq !== undefined) return seq;
  if (app.session !== '') {
    const session = badText('app.session', app.session, MAX_STRING_LENGTH);
    if (session !== undefined) return session;
  }
  const topic = app.topic === '' ? undefined : topicRefusal('app.topic', app.topic);
  if (topic !== undefined) return shape(topic);
  if (app.requestId !== '') {
    const rid = badText('app.request_id', app.requestId, MAX_STRING_LENGTH);
    if (rid !== undefined) return rid;
    if (!Number.isFinite(app.deadlineMs) || app.deadlineMs < 0) return number(`app.deadline_ms ${app.deadlineMs} is not a finite non-negative number`);
  }
  const base = { id: app.id, origin: app.origin, payload: app.payload, sentAt: app.sentAt };
  const channel = app.session === '' ? {} : { session: app.session, seq: app.seq, prevSentAt: app.prevSentAt };
  const v2 = {
    ...(app.topic !== '' ? { topic: app.topic } : {}),
    ...(app.requestId !== '' ? { requestId: app.requestId, deadlineAt: app.deadlineMs, ...(app.ack ? { ack: true } : {}) } : {}),
  };
  const value: AppMessage = app.to === '' ? { ...base, ...channel, ...v2 } : { ...base, to: app.to, ...channel, ...v2 };
  return { ok: true, value };
}

/**
 * Decodes and validates a peer's overlay message: bounded strings and lists, every address
 * (`peer`, `peers`, `route`, `app.origin`, `app.to`) a peer address, numbers in range, and the
 * required fields of its type ({@link REQUIRED_FIELDS}) present.
 */
export function decodeWireMessage(m: OverlayMessage__Output): Decoded<WireMessage> {
  const type = badText('type', m.type, MAX_TYPE_LENGTH);
  if (type !== undefined) return type;
  const bad =
    (m.peer !== undefined ? badAddress('peer', m.peer) : undefined) ??
    badAddressList('peers', m.peers) ??
    badAddressList('route', m.route) ??
    (m.id !== undefined ? badText('id', m.id, MAX_STRING_LENGTH) : undefined) ??
    badInteger('ttl', m.ttl, MAX_TTL) ??
    badInteger('hops', m.hops, MAX_HOPS);
  if (bad !== undefined) return bad;
  if (m.ids.length > MAX_LIST_LENGTH) return shape(`ids: ${m.ids.length} entries, more than ${MAX_LIST_LENGTH}`);
  for (let i = 0; i < m.ids.length; i++) {
    const id = badText(`ids[${i}]`, m.ids[i] as string, MAX_STRING_LENGTH);
    if (id !== undefined) return id;
  }
  if (m.round !== undefined && !(Number.isFinite(m.round) && Math.abs(m.round) <= MAX_ROUND))
    return number(`round ${m.round} is not a finite number within ±${MAX_ROUND}`);
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
  if (m.reply !== undefined && m.reply !== null) {
    const reply = decodeReply(m.reply);
    if (!reply.ok) return reply;
    out.reply = reply.value;
  }
  const required: RequiredFields | undefined = (REQUIRED_FIELDS as Record<string, RequiredFields>)[m.type];
  for (const field of required ?? []) if (out[field] === undefined) return shape(`${m.type} without ${field}`);
  return { ok: true, value: out };
}

/**
 * Bytes a decoded message holds in memory, as the byte limits of held frames count it: the
 * payload, two bytes per string character (JavaScript strings), and a fixed overhead per object
 * and string. An upper bound rather than the wire size, which is smaller.
 */
export function wireMessageBytes(m: WireMessage): number {
  const text = (s: string | undefined): number => (s === undefined ? 0 : STRING_OVERHEAD_BYTES + 2 * s.length);
  const list = (l: readonly string[] | undefined): number => (l === undefined ? 0 : l.reduce((n, s) => n + text(s), STRING_OVERHEAD_BYTES));
  let bytes = OBJECT_OVERHEAD_BYTES + text(m.type) + text(m.peer) + text(m.id) + list(m.peers) + list(m.ids) + list(m.route);
  if (m.app !== undefined)
    bytes +=
      OBJECT_OVERHEAD_BYTES + text(m.app.id) + text(m.app.origin) + text(m.app.to) + text(m.app.topic) + text(m.app.requestId) + m.app.payload.byteLength;
  if (m.reply !== undefined) bytes += OBJECT_OVERHEAD_BYTES + text(m.reply.requestId) + text(m.reply.detail) + m.reply.payload.byteLength;
  return bytes;
}

/** Overhead of one object counted by {@link wireMessageBytes}: V8 headers and a dozen fields. Wild guess. */
export const OBJECT_OVERHEAD_BYTES = 128;
/** Overhead of one string counted by {@link wireMessageBytes}. Wild guess (a V8 string header is 16-24 bytes). */
export const STRING_OVERHEAD_BYTES = 32;

export { carriesAppTraffic } from '../member/member-core.js';
