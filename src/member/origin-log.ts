/**
 * The sender's side of the delivery contract: numbering, retention for repair, and marks.
 *
 * Every message the app hands over gets the next `seq` of its channel (the session's broadcasts,
 * or its sends to that member) and the send time of the channel's previous message. The message
 * is then *retained*, so a receiver that noticed a gap can ask for it again (`member.nack`), for
 * {@link RETAIN_MS} and within {@link DEFAULT_RETAIN_BYTES} in all, the oldest going first. What
 * is no longer retained is answered `member.gone`, which the receiver turns into a GAP: shedding
 * under a rate above the budget is explicit, never silent.
 *
 * A receiver learns a channel's tail from the next message; after the last one it learns it from
 * a *mark* (the channel's last seq), sent {@link MARK_DELAYS_MS} after the channel went quiet, so
 * a lost last message is noticed too. Pure bookkeeping: time comes in as `now`.
 */
import type { AppMessage, NodeId } from '../overlays/types.js';
import type { ChannelKind, SessionId } from './session.js';
import { messageId } from './session.js';
import type { AppRequest } from './core-api.js';

/**
 * How long a sent message is kept for repair: longer than a receiver takes to notice a gap and
 * give up on it ({@link DEFAULT_LEDGER_CONFIG}'s gapAfterMs, 5 s) plus the last mark's delay, so a
 * receiver that hears a mark can still be repaired. 30 s.
 */
export const RETAIN_MS = 30_000;
/** Bytes of sent messages retained for repair, all channels together (`--retain-bytes`). Wild guess: 16 MiB. */
export const DEFAULT_RETAIN_BYTES = 16 << 20;
/** Bytes a retained message is counted as beyond its payload. Wild guess. */
export const RETAINED_OVERHEAD_BYTES = 160;
/**
 * When marks follow a channel's last message: once it was quiet for 0.5 s, again at 5 s and at
 * 15 s, so a receiver that missed the first (a lost frame, a link being re-made, a partition that
 * heals and overlays that merge again) hears a later one while the messages are still retained
 * (under {@link RETAIN_MS}). A channel that keeps sending needs none: each message is the mark of
 * the one before. Three, not more: for an origin that sends one message now and then, each mark
 * costs what the message did.
 */
export const MARK_DELAYS_MS = [500, 5_000, 15_000] as const;

/** One channel as its origin keeps it. */
interface OutChannel {
  readonly kind: ChannelKind;
  readonly to: NodeId | undefined;
  seq: number;
  lastSentAt: number;
  /** When the channel went quiet (its last send, or the session's start): marks count from it. */
  quietSince: number;
  /** Index into MARK_DELAYS_MS of the next mark; MARK_DELAYS_MS.length when none is due. */
  nextMark: number;
  /** Retained messages by seq, oldest first. */
  readonly retained: Map<number, AppMessage>;
  /** Highest seq no longer retained (0: none evicted), and its send time. */
  evictedSeq: number;
  evictedSentAt: number;
}

/** A retained message in eviction order. */
interface RetainedRef {
  readonly channel: OutChannel;
  readonly seq: number;
  readonly bytes: number;
  readonly sentAt: number;
}

/** Answer to a repair request: the messages still held and the seqs that are not. */
export interface RepairAnswer {
  readonly found: AppMessage[];
  readonly gone: number[];
}

/** A mark to send: the channel and its last message so far. */
export interface DueMark {
  readonly kind: ChannelKind;
  readonly to: NodeId | undefined;
  readonly seq: number;
  readonly lastSentAt: number;
}

/** The sender's channels of one session; see the file comment. */
export class OriginLog {
  private readonly channels = new Map<string, OutChannel>();
  private readonly order: RetainedRef[] = [];
  private orderHead = 0;
  private retainedBytes = 0;

  /**
   * With `announce`, the broadcast channel's marks start with the session, before anything is
   * sent (seq 0): a *hello*, so peers learn of a new session (and that the origin restarted) even
   * if it never sends, and report what its earlier session may have lost. A member that knows it
   * is new (no earlier session to report) need not announce itself.
   */
  constructor(
    readonly self: NodeId,
    readonly session: SessionId,
    startedAt: number,
    announce: boolean,
    private readonly retainBytes: number = DEFAULT_RETAIN_BYTES,
  ) {
    if (!announce) return;
    const hello = this.channel('b', undefined);
    hello.quietSince = startedAt;
    hello.nextMark = 0;
  }

  /** Numbers and retains a new message of the app's: a broadcast (`to` undefined) or a send to `to`. */
  next(to: NodeId | undefined, payload: Uint8Array, now: number, topic?: string, request?: AppRequest): AppMessage {
    const ch = this.channel(to === undefined ? 'b' : 'd', to);
    const sentAt = Math.max(now, ch.lastSentAt);
    const seq = ++ch.seq;
    const base = {
      id: messageId(this.self, this.session, ch.kind, seq),
      origin: this.self,
      payload,
      sentAt,
      session: this.session,
      seq,
      prevSentAt: ch.lastSentAt,
      ...(topic !== undefined && topic !== '' ? { topic } : {}),
      ...(request !== undefined ? { requestId: request.id, deadlineAt: request.deadlineAt, ...(request.ack ? { ack: true } : {}) } : {}),
    };
    const message: AppMessage = to === undefined ? base : { ...base, to };
    ch.lastSentAt = sentAt;
    ch.quietSince = sentAt;
    ch.nextMark = 0;
    ch.retained.set(seq, message);
    const bytes = RETAINED_OVERHEAD_BYTES + payload.byteLength;
    this.order.push({ channel: ch, seq, bytes, sentAt });
    this.retainedBytes += bytes;
    this.evict(now);
    return message;
  }

  /** The retained messages among `seqs` of a channel, and those not retained. */
  repair(kind: ChannelKind, to: NodeId | undefined, seqs: readonly number[], now: number): RepairAnswer {
    this.evict(now);
    const ch = this.channels.get(outKey(kind, to));
    const found: AppMessage[] = [];
    const gone: number[] = [];
    for (const seq of seqs) {
      if (ch === undefined || seq < 1 || seq > ch.seq) continue; // never sent: nothing to answer
      const m = ch.retained.get(seq);
      if (m !== undefined) found.push(m);
      else gone.push(seq);
    }
    return { found, gone };
  }

  /**
   * For a receiver whose session started at `since` and whose first message of the channel was
   * `below`: the retained messages below it sent at or after `since`, the seqs in that range no
   * longer retained, and `first`, the lowest seq sent at or after `since` (as far as this log can
   * tell: below everything it evicted when an evicted one may have been sent after `since`).
   */
  since(kind: ChannelKind, to: NodeId | undefined, since: number, below: number, now: number): RepairAnswer & { readonly first: number } {
    this.evict(now);
    const ch = this.channels.get(outKey(kind, to));
    if (ch === undefined) return { found: [], gone: [], first: below };
    const top = Math.min(below - 1, ch.seq);
    const found: AppMessage[] = [];
    let first = top + 1;
    for (let seq = top; seq >= 1; seq--) {
      const m = ch.retained.get(seq);
      if (m === undefined) break;
      if (m.sentAt < since) break;
      found.push(m);
      first = seq;
    }
    found.reverse();
    const gone: number[] = [];
    // Everything below the retained run that may be after `since` was evicted: report it gone.
    if (first - 1 >= 1 && first - 1 <= ch.evictedSeq && ch.evictedSentAt >= since) {
      const from = Math.max(1, first - MAX_GONE_REPORTED);
      for (let seq = from; seq < first; seq++) gone.push(seq);
      first = from;
    }
    return { found, gone, first };
  }

  /** Channels whose next mark is due at or before `now`: their kind, destination and last seq. Marks not yet due give the time they are. */
  dueMarks(now: number): { due: DueMark[]; nextAt: number | undefined } {
    const due: DueMark[] = [];
    let nextAt: number | undefined;
    for (const ch of this.channels.values()) {
      // Marks that fell due meanwhile are one mark: the latest says all the earlier would.
      let fell = false;
      while (ch.nextMark < MARK_DELAYS_MS.length && ch.quietSince + (MARK_DELAYS_MS[ch.nextMark] as number) <= now) {
        ch.nextMark++;
        fell = true;
      }
      if (fell) due.push({ kind: ch.kind, to: ch.to, seq: ch.seq, lastSentAt: ch.lastSentAt });
      if (ch.nextMark < MARK_DELAYS_MS.length) {
        const at = ch.quietSince + (MARK_DELAYS_MS[ch.nextMark] as number);
        nextAt = nextAt === undefined ? at : Math.min(nextAt, at);
      }
    }
    return { due, nextAt };
  }

  /** Bytes retained now. */
  get bytes(): number {
    return this.retainedBytes;
  }

  /** Messages retained now. */
  get retainedCount(): number {
    return this.order.length - this.orderHead;
  }

  private channel(kind: ChannelKind, to: NodeId | undefined): OutChannel {
    const key = outKey(kind, to);
    let ch = this.channels.get(key);
    if (ch === undefined) {
      ch = { kind, to, seq: 0, lastSentAt: 0, quietSince: 0, nextMark: MARK_DELAYS_MS.length, retained: new Map(), evictedSeq: 0, evictedSentAt: 0 };
      this.channels.set(key, ch);
    }
    return ch;
  }

  /** Forgets the oldest retained messages beyond the byte budget or older than {@link RETAIN_MS}. */
  private evict(now: number): void {
    while (this.orderHead < this.order.length) {
      const ref = this.order[this.orderHead] as RetainedRef;
      if (this.retainedBytes <= this.retainBytes && now - ref.sentAt <= RETAIN_MS) break;
      this.orderHead++;
      this.retainedBytes -= ref.bytes;
      ref.channel.retained.delete(ref.seq);
      if (ref.seq > ref.channel.evictedSeq) {
        ref.channel.evictedSeq = ref.seq;
        ref.channel.evictedSentAt = ref.sentAt;
      }
    }
    if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }
}

/** Most seqs one `since` answer reports gone (the rest of an old channel is out of any new receiver's reach anyway). */
export const MAX_GONE_REPORTED = 4096;

function outKey(kind: ChannelKind, to: NodeId | undefined): string {
  return kind === 'b' ? 'b' : `d${to ?? ''}`;
}
