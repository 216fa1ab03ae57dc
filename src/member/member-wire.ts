/**
 * The member layer's own Peer messages: repair requests and answers, and marks (a channel's last
 * seq, sent straight to the destination of a point-to-point channel). They travel in the same
 * `OverlayMessage` vocabulary as the overlays' (src/overlays/types.ts), with types prefixed
 * `member.`, and never reach an overlay. Broadcast marks and probes travel *through* an overlay as
 * application messages with reserved id prefixes, and never reach the app.
 */
import type { AppMessage, NodeId, WireMessage, WireReply } from '../overlays/types.js';
import type { ChannelKind, SessionId } from './session.js';

/** Receiver → origin: repeat these seqs of your session's channel (broadcasts, or your sends to me). */
export const NACK_TYPE = 'member.nack';
/** Receiver → origin: which of your messages below `below` were sent at or after `since` (my session's start)? Repeat them. */
export const SINCE_TYPE = 'member.since';
/** Origin → receiver: a repeated message. */
export const REPAIR_TYPE = 'member.repair';
/** Origin → receiver: these seqs are no longer held (the receiver reports them lost). */
export const GONE_TYPE = 'member.gone';
/** Origin → receiver: answer to `since`, after the repairs: this session's part starts at `first`. */
export const BASE_TYPE = 'member.base';
/** Origin → destination of a point-to-point channel: its last seq so far. */
export const MARK_TYPE = 'member.mark';

/** Destination → origin of a request or an acknowledged send: the answer (App API v2; peer.proto `Reply`). */
export const REPLY_TYPE = 'member.reply';

/** Id prefix of broadcast marks, which overlays carry like any broadcast. */
export const MARK_PREFIX = 'mark:';

/** The fields each member message cannot do without (the wire codec checks them). */
export const MEMBER_REQUIRED_FIELDS = {
  [NACK_TYPE]: ['id', 'high', 'ids'],
  [SINCE_TYPE]: ['id', 'high', 'round', 'ids'],
  [REPAIR_TYPE]: ['app'],
  [GONE_TYPE]: ['id', 'high', 'ids'],
  [BASE_TYPE]: ['id', 'high', 'ids'],
  [MARK_TYPE]: ['app'],
  [REPLY_TYPE]: ['reply'],
} as const;

/** A decoded member message. */
export type MemberMessage =
  | { readonly kind: 'nack'; readonly session: SessionId; readonly direct: boolean; readonly seqs: number[] }
  | { readonly kind: 'since'; readonly session: SessionId; readonly direct: boolean; readonly since: number; readonly below: number }
  | { readonly kind: 'repair'; readonly app: AppMessage }
  | { readonly kind: 'gone'; readonly session: SessionId; readonly direct: boolean; readonly seqs: number[] }
  | { readonly kind: 'base'; readonly session: SessionId; readonly direct: boolean; readonly below: number; readonly first: number }
  | { readonly kind: 'mark'; readonly app: AppMessage }
  | { readonly kind: 'reply'; readonly reply: WireReply };

/** Most seqs one message may list. */
export const MAX_SEQS_PER_MESSAGE = 4_096;

/** True for a type of this module. */
export function isMemberType(type: string): boolean {
  return type.startsWith('member.');
}

/** Encodes a member message. */
export function encodeMember(m: MemberMessage): WireMessage {
  switch (m.kind) {
    case 'nack':
      return { type: NACK_TYPE, id: m.session, high: m.direct, ids: m.seqs.map(String) };
    case 'since':
      return { type: SINCE_TYPE, id: m.session, high: m.direct, round: m.since, ids: [String(m.below)] };
    case 'repair':
      return { type: REPAIR_TYPE, app: m.app };
    case 'gone':
      return { type: GONE_TYPE, id: m.session, high: m.direct, ids: m.seqs.map(String) };
    case 'base':
      return { type: BASE_TYPE, id: m.session, high: m.direct, ids: [String(m.below), String(m.first)] };
    case 'mark':
      return { type: MARK_TYPE, app: m.app };
    case 'reply':
      return { type: REPLY_TYPE, reply: m.reply };
  }
}

/** Decodes a member message; undefined when it is not one or is malformed (counted by the caller). */
export function decodeMember(w: WireMessage): MemberMessage | undefined {
  const seqs = (): number[] | undefined => {
    const ids = w.ids ?? [];
    if (ids.length > MAX_SEQS_PER_MESSAGE) return undefined;
    const out: number[] = [];
    for (const s of ids) {
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 1) return undefined;
      out.push(n);
    }
    return out;
  };
  const session = w.id ?? '';
  const direct = w.high === true;
  switch (w.type) {
    case NACK_TYPE:
    case GONE_TYPE: {
      const list = seqs();
      if (list === undefined || session === '') return undefined;
      return { kind: w.type === NACK_TYPE ? 'nack' : 'gone', session, direct, seqs: list };
    }
    case SINCE_TYPE: {
      const list = seqs();
      if (list === undefined || list.length !== 1 || session === '' || !Number.isFinite(w.round)) return undefined;
      return { kind: 'since', session, direct, since: w.round as number, below: list[0] as number };
    }
    case BASE_TYPE: {
      const list = seqs();
      if (list === undefined || list.length !== 2 || session === '') return undefined;
      return { kind: 'base', session, direct, below: list[0] as number, first: list[1] as number };
    }
    case REPAIR_TYPE:
    case MARK_TYPE:
      if (w.app === undefined || w.app.session === undefined) return undefined;
      return { kind: w.type === REPAIR_TYPE ? 'repair' : 'mark', app: w.app };
    case REPLY_TYPE:
      return w.reply === undefined ? undefined : { kind: 'reply', reply: w.reply };
    default:
      return undefined;
  }
}

/** A mark for a channel whose last message so far is `seq`, sent at `lastSentAt`; `nonce` keeps each mark's id unique. */
export function markMessage(
  self: NodeId,
  session: SessionId,
  kind: ChannelKind,
  to: NodeId | undefined,
  seq: number,
  lastSentAt: number,
  nonce: number,
  now: number,
): AppMessage {
  const base = {
    id: `${MARK_PREFIX}${self}/${session}/${kind}${seq}#${nonce}`,
    origin: self,
    payload: new Uint8Array(0),
    sentAt: now,
    session,
    seq,
    prevSentAt: lastSentAt,
  };
  return to === undefined ? base : { ...base, to };
}
