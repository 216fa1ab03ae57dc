/**
 * The receiver's side of the delivery contract (docs/delivery.md): which messages of each
 * channel this sidecar session has resolved, which are missing, and what to tell the app.
 *
 * Per channel (an origin session's broadcasts, or its sends to this member) the ledger keeps a
 * `floor` — every seq at or below it is *resolved*: delivered, reported in a GAP, or sent before
 * this session started — and the resolved seqs above it. A copy of a resolved seq is a
 * duplicate, however late it comes and whatever the rate, so de-dup needs no id window: memory is
 * bounded by the number of channels times the reorder window (formula in docs/delivery.md), and a
 * channel whose newest seq runs more than {@link LedgerConfig.reorderWindow} ahead of its floor
 * gives up the oldest missing ones as a GAP (REORDER_WINDOW) instead of forgetting anything.
 *
 * A seq above the floor that has not arrived is *missing*: after `repairDelayMs` the ledger asks
 * the origin for it (`nack`), again every `repairRetryMs`, and after `gapAfterMs` reports it lost
 * (REPAIR_FAILED); the origin's `gone` answer reports it at once. A receiver that first hears a
 * channel mid-stream learns from `prevSentAt` whether the previous message belongs to its own
 * session; if so it asks the origin for what it missed (`since`) and the `base` answer closes it.
 * A newer session of an origin ends the older ones (ORIGIN_RESTARTED), an origin dropped from the
 * member list gets ORIGIN_LEFT: both name what may have been in flight. Pure: time is `now`.
 */
import type { AppMessage, NodeId } from '../overlays/types.js';
import type { GapNotice, GapRange, GapReason } from './app-events.js';
import { channelKey, sessionStartedAt, type ChannelKind, type SessionId } from './session.js';

/** Tuning of the ledger; {@link DEFAULT_LEDGER_CONFIG} documents each default. */
export interface LedgerConfig {
  readonly reorderWindow: number;
  readonly repairDelayMs: number;
  readonly repairRetryMs: number;
  readonly gapAfterMs: number;
  readonly tombstoneMs: number;
  readonly maxNackSeqs: number;
}

/**
 * Defaults. reorderWindow 4,096 seqs: a channel more than that ahead of a missing message is
 * either broken or faster than any repair (at 1,000 msg/s per origin, four seconds). repairDelay
 * 150 ms: several LAN round trips, so reordering across two overlays during a switch settles
 * before anyone is asked. repairRetry 1 s, gapAfter 5 s: three asks, well inside the origin's
 * {@link RETAIN_MS} (30 s). tombstone 60 s: how long the floors of ended sessions and departed
 * origins are kept so their late copies are still recognized (longer than any drain, 15 s, and
 * the overlays' catch-up windows). maxNackSeqs 256: one ask stays a small frame.
 */
export const DEFAULT_LEDGER_CONFIG: LedgerConfig = {
  reorderWindow: 4_096,
  repairDelayMs: 150,
  repairRetryMs: 1_000,
  gapAfterMs: 5_000,
  tombstoneMs: 60_000,
  maxNackSeqs: 256,
};

/** What the ledger asks of its core: a GAP for the app, or a request to an origin. */
export type LedgerOutput =
  | { readonly kind: 'gap'; readonly gap: GapNotice }
  | { readonly kind: 'nack'; readonly origin: NodeId; readonly session: SessionId; readonly direct: boolean; readonly seqs: readonly number[] }
  | { readonly kind: 'since'; readonly origin: NodeId; readonly session: SessionId; readonly direct: boolean; readonly since: number; readonly below: number };

/** Why a message was not delivered: a copy of a resolved one, one sent before this session, or one of an ended session. */
export type LedgerVerdict = 'deliver' | 'duplicate' | 'before-session' | 'ended-session';

/** One channel as a receiver tracks it. */
interface InChannel {
  readonly origin: NodeId;
  readonly session: SessionId;
  readonly direct: boolean;
  floor: number;
  readonly resolved: Set<number>;
  maxSeen: number;
  /** When the current run of missing seqs was first noticed; undefined while nothing is missing. */
  missingSince: number | undefined;
  /** Seqs up to this one are given up when the current stall times out. */
  stallCut: number;
  lastNackAt: number;
  /** An outstanding `since` question: seqs below `below` may belong to this session. */
  bottom: { readonly below: number; askedAt: number; firstAskedAt: number; readonly delivered: Set<number> } | undefined;
  /** Set once the session ended (a newer one of the origin appeared): later copies are not delivered. */
  endedAt: number | undefined;
}

/** The sessions of one origin seen so far, and when the member list first named it. */
interface OriginInfo {
  latest: SessionId;
  latestStartedAt: number;
  readonly channels: Set<string>;
}

/** Receiver bookkeeping of one sidecar session; see the file comment. */
export class DeliveryLedger {
  private readonly channels = new Map<string, InChannel>();
  private readonly origins = new Map<NodeId, OriginInfo>();
  private readonly stalled = new Set<string>();
  /** Members of the last list, and when each was first listed. */
  private listed = new Map<NodeId, number>();
  /** Origins dropped from the list, and when (their channels are forgotten after the tombstone time). */
  private readonly departed = new Map<NodeId, number>();
  /** Counters for metrics and tests. */
  readonly counts = { duplicates: 0, beforeSession: 0, endedSession: 0, gaps: 0, gappedMessages: 0, nacks: 0 };

  constructor(
    readonly self: NodeId,
    /** When this sidecar session started (ms, the executor's clock): messages sent before it are not its to deliver. */
    readonly startedAt: number,
    readonly config: LedgerConfig = DEFAULT_LEDGER_CONFIG,
  ) {}

  /** Decides on an application message that arrived (any epoch, any copy) and records it when delivered. */
  receive(m: AppMessage, now: number, out: LedgerOutput[]): LedgerVerdict {
    const session = m.session ?? '';
    const seq = m.seq ?? 0;
    const kind: ChannelKind = m.to === undefined ? 'b' : 'd';
    let ch = this.channels.get(channelKey(m.origin, session, kind));
    if (ch === undefined) {
      if (!this.noteSession(m.origin, session, now, out)) return this.count('endedSession', 'ended-session');
      if (m.sentAt < this.startedAt) return this.count('beforeSession', 'before-session');
      ch = this.open(m.origin, session, kind === 'd', seq - 1);
      if (seq > 1 && (m.prevSentAt ?? 0) >= this.startedAt) this.askSince(ch, seq, now, out);
    }
    if (ch.endedAt !== undefined) return this.count('endedSession', 'ended-session');
    if (seq <= ch.floor) {
      const b = ch.bottom;
      if (b !== undefined && seq < b.below && m.sentAt >= this.startedAt && !b.delivered.has(seq)) {
        b.delivered.add(seq);
        return 'deliver';
      }
      if (m.sentAt < this.startedAt) return this.count('beforeSession', 'before-session');
      return this.count('duplicates', 'duplicate');
    }
    if (ch.resolved.has(seq)) return this.count('duplicates', 'duplicate');
    ch.resolved.add(seq);
    if (seq > ch.maxSeen) ch.maxSeen = seq;
    this.settle(ch, now, out);
    return 'deliver';
  }

  /** A mark: `seq` is the channel's last message so far, sent at `lastSentAt`; seq 0 is a session's hello. */
  mark(origin: NodeId, session: SessionId, direct: boolean, seq: number, lastSentAt: number, now: number, out: LedgerOutput[]): void {
    const key = channelKey(origin, session, direct ? 'd' : 'b');
    let ch = this.channels.get(key);
    if (ch === undefined) {
      if (!this.noteSession(origin, session, now, out)) return;
      if (seq < 1 || lastSentAt < this.startedAt) return;
      // Everything up to `seq` may be ours: ask the origin where this session's part begins.
      ch = this.open(origin, session, direct, seq);
      this.askSince(ch, seq + 1, now, out);
      return;
    }
    if (ch.endedAt !== undefined || seq <= ch.maxSeen) return;
    ch.maxSeen = seq;
    this.settle(ch, now, out);
  }

  /** The origin no longer holds `seqs`: they are lost (REPAIR_FAILED), told now. */
  gone(origin: NodeId, session: SessionId, direct: boolean, seqs: readonly number[], now: number, out: LedgerOutput[]): void {
    const ch = this.channels.get(channelKey(origin, session, direct ? 'd' : 'b'));
    if (ch === undefined || ch.endedAt !== undefined) return;
    const lost: number[] = [];
    for (const seq of seqs) {
      if (seq <= ch.floor || ch.resolved.has(seq) || seq > ch.maxSeen) continue;
      ch.resolved.add(seq);
      lost.push(seq);
    }
    if (lost.length > 0) this.tell(out, 'REPAIR_FAILED', ranges(ch, lost), lost.length, `${origin} no longer holds them`);
    this.settle(ch, now, out);
  }

  /** The origin's answer to `since`: of the seqs below `below`, this session's start at `first` (all sent before this answer). */
  base(origin: NodeId, session: SessionId, direct: boolean, below: number, first: number, now: number, out: LedgerOutput[]): void {
    const ch = this.channels.get(channelKey(origin, session, direct ? 'd' : 'b'));
    const b = ch?.bottom;
    if (ch === undefined || b === undefined || b.below !== below) return;
    const lost: number[] = [];
    for (let seq = Math.max(1, first); seq < below; seq++) if (!b.delivered.has(seq)) lost.push(seq);
    if (lost.length > 0) this.tell(out, 'REPAIR_FAILED', ranges(ch, lost), lost.length, `${origin} could not repeat them`);
    ch.bottom = undefined;
    this.settle(ch, now, out);
  }

  /** The member list changed: origins no longer on it get ORIGIN_LEFT, naming what may have been in flight. */
  members(members: readonly NodeId[], now: number, out: LedgerOutput[]): void {
    const next = new Map<NodeId, number>();
    for (const m of members) next.set(m, this.listed.get(m) ?? now);
    for (const [m] of this.listed) {
      if (next.has(m) || m === this.self) continue;
      this.departed.set(m, now);
      const info = this.origins.get(m);
      const live: InChannel[] = [];
      for (const key of info?.channels ?? []) {
        const ch = this.channels.get(key) as InChannel;
        if (ch.endedAt === undefined) live.push(ch);
      }
      const open = endedRanges(m, live);
      open.push(...generic(m));
      this.tell(out, 'ORIGIN_LEFT', open, 0, `${m} left the member list; its messages after those delivered may be lost`);
    }
    for (const m of next.keys()) this.departed.delete(m);
    this.listed = next;
    this.forgetDeparted(now);
  }

  /** Asks, retries and gives up on missing messages; returns whether anything is still outstanding. */
  tick(now: number, out: LedgerOutput[]): boolean {
    for (const key of [...this.stalled]) {
      const ch = this.channels.get(key);
      if (ch === undefined || ch.endedAt !== undefined) {
        this.stalled.delete(key);
        continue;
      }
      const b = ch.bottom;
      if (b !== undefined) {
        if (now - b.firstAskedAt >= this.config.gapAfterMs) {
          const lost: number[] = [];
          for (let seq = 1; seq < b.below && lost.length < this.config.reorderWindow; seq++) if (!b.delivered.has(seq)) lost.push(seq);
          ch.bottom = undefined;
          if (lost.length > 0) this.tell(out, 'REPAIR_FAILED', ranges(ch, lost), 0, `${ch.origin} did not say which earlier messages this session missed`);
        } else if (now - b.askedAt >= this.config.repairRetryMs) {
          b.askedAt = now;
          out.push({ kind: 'since', origin: ch.origin, session: ch.session, direct: ch.direct, since: this.startedAt, below: b.below });
        }
      }
      if (ch.missingSince !== undefined) {
        const waited = now - ch.missingSince;
        if (waited >= this.config.gapAfterMs) this.giveUp(ch, ch.stallCut, 'REPAIR_FAILED', `not repaired within ${this.config.gapAfterMs} ms`, out);
        else if (waited >= this.config.repairDelayMs && now - ch.lastNackAt >= this.config.repairRetryMs) {
          ch.lastNackAt = now;
          this.counts.nacks++;
          out.push({ kind: 'nack', origin: ch.origin, session: ch.session, direct: ch.direct, seqs: missing(ch, this.config.maxNackSeqs) });
        }
      }
      this.settle(ch, now, out);
    }
    this.forgetDeparted(now);
    return this.stalled.size > 0;
  }

  /** Channels tracked now (live and ended), for the memory formula's gauge. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Whether anything is missing or asked for. */
  get outstanding(): boolean {
    return this.stalled.size > 0;
  }

  private count(counter: 'duplicates' | 'beforeSession' | 'endedSession', verdict: LedgerVerdict): LedgerVerdict {
    this.counts[counter]++;
    return verdict;
  }

  private open(origin: NodeId, session: SessionId, direct: boolean, floor: number): InChannel {
    const ch: InChannel = {
      origin,
      session,
      direct,
      floor: Math.max(0, floor),
      resolved: new Set(),
      maxSeen: Math.max(0, floor),
      missingSince: undefined,
      stallCut: 0,
      lastNackAt: -Infinity,
      bottom: undefined,
      endedAt: undefined,
    };
    const key = channelKey(origin, session, direct ? 'd' : 'b');
    this.channels.set(key, ch);
    this.origins.get(origin)?.channels.add(key);
    return ch;
  }

  private askSince(ch: InChannel, below: number, now: number, out: LedgerOutput[]): void {
    ch.bottom = { below, askedAt: now, firstAskedAt: now, delivered: new Set() };
    this.stalled.add(channelKey(ch.origin, ch.session, ch.direct ? 'd' : 'b'));
    out.push({ kind: 'since', origin: ch.origin, session: ch.session, direct: ch.direct, since: this.startedAt, below });
  }

  /**
   * Records `session` of `origin`. A newer session than the latest known ends the older ones
   * (ORIGIN_RESTARTED); returns false when `session` is itself older than the latest (ended).
   */
  private noteSession(origin: NodeId, session: SessionId, now: number, out: LedgerOutput[]): boolean {
    const startedAt = sessionStartedAt(session);
    const info = this.origins.get(origin);
    if (info === undefined) {
      this.origins.set(origin, { latest: session, latestStartedAt: startedAt, channels: new Set() });
      // A first session that started after the member list named its origin: it restarted, and an earlier session's messages may be lost.
      const listedAt = this.listed.get(origin);
      if (listedAt !== undefined && startedAt > listedAt && startedAt > this.startedAt)
        this.tell(out, 'ORIGIN_RESTARTED', generic(origin), 0, `${origin} restarted; messages of its earlier session may be lost`);
      return true;
    }
    if (info.latest === session) return true;
    if (!(startedAt > info.latestStartedAt)) return !this.isEnded(origin, session);
    const ending: InChannel[] = [];
    for (const key of info.channels) {
      const ch = this.channels.get(key) as InChannel;
      if (ch.endedAt !== undefined) continue;
      ending.push(ch);
      ch.endedAt = now;
      ch.resolved.clear();
      ch.bottom = undefined;
      this.stalled.delete(key);
    }
    const open = endedRanges(origin, ending);
    info.latest = session;
    info.latestStartedAt = startedAt;
    open.push(...generic(origin));
    this.tell(out, 'ORIGIN_RESTARTED', open, 0, `${origin} restarted; what its earlier session sent after the messages delivered may be lost`);
    return true;
  }

  private isEnded(origin: NodeId, session: SessionId): boolean {
    for (const key of this.origins.get(origin)?.channels ?? []) {
      const ch = this.channels.get(key) as InChannel;
      if (ch.session === session) return ch.endedAt !== undefined;
    }
    // An older session never heard of: its messages predate the one this member follows.
    return true;
  }

  /** Moves the floor over resolved seqs, applies the reorder window, and (re)arms the stall. */
  private settle(ch: InChannel, now: number, out: LedgerOutput[]): void {
    while (ch.resolved.has(ch.floor + 1)) ch.resolved.delete(++ch.floor);
    if (ch.maxSeen - ch.floor > this.config.reorderWindow)
      this.giveUp(ch, ch.maxSeen - this.config.reorderWindow, 'REORDER_WINDOW', `more than ${this.config.reorderWindow} newer messages arrived first`, out);
    const key = channelKey(ch.origin, ch.session, ch.direct ? 'd' : 'b');
    if (ch.maxSeen > ch.floor) {
      if (ch.missingSince === undefined) {
        ch.missingSince = now;
        ch.stallCut = ch.maxSeen;
        ch.lastNackAt = -Infinity;
      }
      this.stalled.add(key);
    } else {
      ch.missingSince = undefined;
      if (ch.bottom === undefined) this.stalled.delete(key);
    }
  }

  /** Reports every missing seq up to `upTo` as lost and moves the floor past them. */
  private giveUp(ch: InChannel, upTo: number, reason: GapReason, detail: string, out: LedgerOutput[]): void {
    const lost: number[] = [];
    for (let seq = ch.floor + 1; seq <= upTo; seq++) if (!ch.resolved.has(seq)) lost.push(seq);
    for (const seq of lost) ch.resolved.add(seq);
    ch.missingSince = undefined;
    while (ch.resolved.has(ch.floor + 1)) ch.resolved.delete(++ch.floor);
    if (lost.length > 0) this.tell(out, reason, ranges(ch, lost), lost.length, detail);
  }

  private tell(out: LedgerOutput[], reason: GapReason, rs: readonly GapRange[], count: number, detail: string): void {
    this.counts.gaps++;
    this.counts.gappedMessages += count;
    out.push({ kind: 'gap', gap: { reason, count, ranges: rs, detail } });
  }

  private forgetDeparted(now: number): void {
    for (const [m, at] of this.departed) {
      if (now - at < this.config.tombstoneMs) continue;
      this.departed.delete(m);
      for (const key of this.origins.get(m)?.channels ?? []) {
        this.channels.delete(key);
        this.stalled.delete(key);
      }
      this.origins.delete(m);
    }
  }
}

/** The missing seqs of `ch` from its floor up, at most `max`. */
function missing(ch: InChannel, max: number): number[] {
  const out: number[] = [];
  for (let seq = ch.floor + 1; seq <= ch.maxSeen && out.length < max; seq++) if (!ch.resolved.has(seq)) out.push(seq);
  return out;
}

/** Sorted seqs of one channel as merged ranges. */
function ranges(ch: InChannel, seqs: readonly number[]): GapRange[] {
  const sorted = [...seqs].sort((a, b) => a - b);
  const out: GapRange[] = [];
  let from = sorted[0] as number;
  let to = from;
  for (let i = 1; i <= sorted.length; i++) {
    const s = sorted[i];
    if (s !== undefined && s === to + 1) {
      to = s;
      continue;
    }
    out.push({ origin: ch.origin, session: ch.session, direct: ch.direct, fromSeq: from, toSeq: to });
    if (s !== undefined) from = to = s;
  }
  return out;
}

/** "Every session of `origin` this member never heard from", both channels. */
/**
 * What may have been in flight on the sessions of `channels` as they end: each channel after its
 * floor, and — for a session heard of on one channel only — its other channel from the first seq
 * (a send to this member, say, of a session it knew only by its broadcasts). The '' ranges of
 * {@link generic} do not cover those: they name only sessions never heard of.
 */
function endedRanges(origin: NodeId, channels: readonly InChannel[]): GapRange[] {
  const out: GapRange[] = [];
  const kinds = new Map<SessionId, Set<boolean>>();
  for (const ch of channels) {
    out.push({ origin, session: ch.session, direct: ch.direct, fromSeq: ch.floor + 1, toSeq: 0 });
    const seen = kinds.get(ch.session) ?? new Set<boolean>();
    seen.add(ch.direct);
    kinds.set(ch.session, seen);
  }
  for (const [session, seen] of kinds) for (const direct of [false, true]) if (!seen.has(direct)) out.push({ origin, session, direct, fromSeq: 1, toSeq: 0 });
  return out;
}

function generic(origin: NodeId): GapRange[] {
  return [
    { origin, session: '', direct: false, fromSeq: 1, toSeq: 0 },
    { origin, session: '', direct: true, fromSeq: 1, toSeq: 0 },
  ];
}
