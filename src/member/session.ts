/**
 * Sessions and channels: the names the delivery contract (docs/delivery.md) counts messages by.
 *
 * A *session* is one run of one member's sidecar. Its id is `<start ms, base 36>.<random hex>`,
 * new at every start, so a restart is visible to every peer (a new session of the same origin)
 * and to the app (a new session on its Subscribe stream), and anyone can tell which of two
 * sessions of an origin started later without asking it.
 *
 * A *channel* is what sequence numbers count: the broadcasts of one origin session, or its sends
 * to one member. Every message of a channel carries its position (`seq`, from 1) and the send
 * time of the one before it (`prevSentAt`), so a receiver tells a gap from a message it was never
 * meant to get (one sent before its own session started).
 */
import type { NodeId } from '../overlays/types.js';

/** One sidecar run: `<start ms, base 36>.<random hex>`. */
export type SessionId = string;

/** A new session id for a sidecar that started at `startedAt` (ms), with `nonce` from the executor's randomness. */
export function newSession(startedAt: number, nonce: string): SessionId {
  return `${Math.floor(startedAt).toString(36)}.${nonce}`;
}

/** When `session` started (ms), or NaN when it is not a session id. */
export function sessionStartedAt(session: SessionId): number {
  const dot = session.indexOf('.');
  return dot <= 0 ? NaN : parseInt(session.slice(0, dot), 36);
}

/** Broadcasts (`b`) or sends to one member (`d`, direct). */
export type ChannelKind = 'b' | 'd';

/** The id an application message travels under: `origin/session/<b|d>seq`. Unique per message. */
export function messageId(origin: NodeId, session: SessionId, kind: ChannelKind, seq: number): string {
  return `${origin}/${session}/${kind}${seq}`;
}

/** Key of a channel as a receiver tracks it. */
export function channelKey(origin: NodeId, session: SessionId, kind: ChannelKind): string {
  return `${origin}\u0000${session}\u0000${kind}`;
}
