/**
 * The delivery contract's auditor (issue #14, docs/delivery.md): from every send a sidecar
 * accepted and everything each receiver's app was handed, counts what was delivered, what was
 * lost and told, and what broke the contract. Pure: no clock, no IO. The one auditor of the
 * contract: the fault simulator (sim/fault-run.ts) feeds it what its in-process apps read, the
 * real-sidecar fault matrix (test/integration/sidecar-faults.test.ts) what its apps recorded over
 * gRPC.
 *
 * The contract, as audited here: every message a sender's sidecar accepted (Send/Broadcast
 * returned OK with session S and seq n) reaches each intended receiver's app exactly once, or that
 * receiver's app gets a GAP whose ranges cover it — a range of the same origin and channel
 * (`direct` = it was a Send) with `fromSeq <= n <= toSeq` (`toSeq` 0: open-ended), whose
 * `origin_session` is S, or '' when the receiver's sidecar (in the session the GAP came from) had
 * delivered no message of S before that GAP. A receiver whose own sidecar restarted gets
 * SIDECAR_RESTARTED when it resumes with its old session; that GAP covers every message sent
 * before the new sidecar session started (src/member/session.ts `sessionStartedAt`). A second
 * delivery of a message to an app is always a violation, whatever was told.
 *
 * The send time the receiver's sidecar judges by is the origin sidecar's clock at acceptance,
 * which only the deliveries carry (`sent_at_ms`). A message's id names it only together with its
 * destination: a send's id (`origin/session/d<seq>`) repeats across destinations, since each
 * destination is a channel of its own, so sends are told apart by (id, `to`). When no receiver
 * got the message (always, for an undelivered send), the auditor
 * knows only that it lies between the app's request and the reply; a message whose interval
 * straddles a receiver's restart is counted as {@link ContractAudit.ambiguous} and judged as
 * covered by SIDECAR_RESTARTED when its request came first (the loopback fleet shares one clock,
 * and a Send takes milliseconds, so there are few).
 */

/** A send its origin's sidecar accepted (the app got a SendReply). */
export interface AcceptedSend {
  readonly id: string;
  readonly origin: string;
  /** The origin sidecar's session (SendReply.session). */
  readonly session: string;
  /** Position in its channel (SendReply.seq). */
  readonly seq: number;
  /** Undefined for broadcasts. */
  readonly to: string | undefined;
  /** The app's clock just before the call and when the reply came (ms): the sidecar's sentAt lies between. */
  readonly requestedAt: number;
  readonly repliedAt: number;
  /**
   * The origin sidecar's clock at acceptance, when the caller knows it (the simulator does); a
   * real app knows only {@link requestedAt}..{@link repliedAt}.
   */
  readonly acceptedAt?: number;
}

/** One message delivery an app received. */
export interface ReceivedMessage {
  readonly kind: 'message';
  readonly id: string;
  readonly origin: string;
  readonly originSession: string;
  readonly seq: number;
  readonly direct: boolean;
  /** The origin sidecar's clock when it accepted the message (Delivery.sent_at_ms). */
  readonly sentAt: number;
  /** The receiving sidecar's session and the delivery's cursor in it. */
  readonly session: string;
  readonly cursor: number;
}

/** One range of a GAP (overlay.proto `GapRange`). */
export interface AuditGapRange {
  readonly origin: string;
  readonly originSession: string;
  readonly direct: boolean;
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** One GAP delivery an app received. */
export interface ReceivedGap {
  readonly kind: 'gap';
  /** overlay.proto `GapReason` name without the prefix (`SIDECAR_RESTARTED`, …). */
  readonly reason: string;
  readonly ranges: readonly AuditGapRange[];
  readonly session: string;
  readonly cursor: number;
  /** The receiving sidecar's clock when it was delivered (Delivery.delivered_at_ms), when known. */
  readonly deliveredAt?: number;
}

/** What an app received, in the order it received it. */
export type ReceivedEvent = ReceivedMessage | ReceivedGap;

/**
 * One audited receiver: its member address and everything its app received. Events before `from`
 * (default 0) are history — an earlier scenario's — that still says which sessions the receiver
 * knew and what it already had, but whose own duplicates and unaccounted deliveries are not
 * counted again.
 */
export interface AuditedReceiver {
  readonly member: string;
  readonly events: readonly ReceivedEvent[];
  readonly from?: number;
  /**
   * Start (ms) of the sidecar session the app first subscribed to: messages sent before it are
   * not promised to this app (docs/delivery.md: an app's guarantee begins with its first
   * Subscribe). Default: everything accepted is promised.
   */
  readonly promisedFrom?: number;
}

/** What the audit found. */
export interface ContractAudit {
  /** Sends accepted. */
  readonly accepted: number;
  /** (message, intended receiver) pairs. */
  readonly expected: number;
  /** Pairs delivered (at least once). */
  readonly delivered: number;
  /** Pairs not delivered whose receiver was told (a GAP covers them). */
  readonly lost: number;
  /** Deliveries beyond the first of a message to one receiver. */
  readonly duplicated: number;
  /** Pairs neither delivered nor told. */
  readonly untold: number;
  /** untold + duplicated: what the contract forbids. */
  readonly contractViolations: number;
  /** Told losses by GAP reason (the first covering GAP's). */
  readonly lostByReason: Readonly<Record<string, number>>;
  /** Pairs delivered although a GAP had covered them (allowed; a GAP says "may be lost"). */
  readonly deliveredAfterGap: number;
  /** The same, by the reason of the first covering GAP. */
  readonly deliveredAfterGapByReason: Readonly<Record<string, number>>;
  /** Deliveries of messages no accepted send names (a reply lost on the way: allowed, not audited). */
  readonly unaccounted: number;
  /** Pairs judged by the request time because no delivery revealed the send time (see the file comment). */
  readonly ambiguous: number;
  /**
   * Told losses whose covering GAP was delivered before the message was even sent: an open range
   * (`toSeq` 0, or session '') reaching past the notice. The contract as written allows it; a
   * notice cannot be about a message not yet sent, so these are reported, with {@link notes}.
   */
  readonly toldBeforeSent: number;
  /** Up to {@link EXAMPLES} of {@link toldBeforeSent}. */
  readonly notes: readonly string[];
  /** Up to {@link EXAMPLES} violations, each naming origin, session, seq, receiver and what it got. */
  readonly examples: readonly string[];
}

/** Violations described in {@link ContractAudit.examples}. */
export const EXAMPLES = 10;

/** Per receiver: what it got, indexed for the audit. */
interface ReceiverIndex {
  /** Deliveries per message id: the position of the first, and how many came at or after `from`. */
  readonly deliveries: Map<string, { first: number; counted: number; total: number }>;
  /** GAPs with their position, per origin. */
  readonly gapsByOrigin: Map<string, { at: number; gap: ReceivedGap; range: AuditGapRange }[]>;
  /** SIDECAR_RESTARTED GAPs: position and the start of the new session. */
  readonly restarts: { at: number; startedAt: number; reason: string }[];
  /** Position of the first delivery of each origin session, per receiving sidecar session. */
  readonly firstOf: Map<string, number>;
  /** Receiving sidecar session of each position. */
  readonly sessions: string[];
  /** {@link AuditedReceiver.promisedFrom}. */
  readonly promisedFrom: number;
}

/** When `session` started (ms), or NaN: `<start ms base 36>.<hex>` (src/member/session.ts). */
function startedAt(session: string): number {
  const dot = session.indexOf('.');
  return dot <= 0 ? NaN : parseInt(session.slice(0, dot), 36);
}

function index(r: AuditedReceiver): ReceiverIndex {
  const idx: ReceiverIndex = {
    deliveries: new Map(),
    gapsByOrigin: new Map(),
    restarts: [],
    firstOf: new Map(),
    sessions: [],
    promisedFrom: r.promisedFrom ?? -Infinity,
  };
  r.events.forEach((e, at) => {
    idx.sessions.push(e.session);
    if (e.kind === 'message') {
      const counted = at >= (r.from ?? 0) ? 1 : 0;
      const d = idx.deliveries.get(e.id);
      if (d === undefined) idx.deliveries.set(e.id, { first: at, counted, total: 1 });
      else {
        d.counted += counted;
        d.total++;
      }
      const key = `${e.session}\u0000${e.origin}\u0000${e.originSession}`;
      if (!idx.firstOf.has(key)) idx.firstOf.set(key, at);
      return;
    }
    if (e.reason === 'SIDECAR_RESTARTED') idx.restarts.push({ at, startedAt: startedAt(e.session), reason: e.reason });
    for (const range of e.ranges) {
      const list = idx.gapsByOrigin.get(range.origin) ?? [];
      list.push({ at, gap: e, range });
      idx.gapsByOrigin.set(range.origin, list);
    }
  });
  return idx;
}

/** A GAP that covers a message: its reason and position, and how the audit judged it. */
interface Cover {
  readonly reason: string;
  readonly at: number;
  readonly ambiguous: boolean;
  /** Delivered before the message was sent (by the send time, or the request time when unknown). */
  readonly beforeSent: boolean;
  readonly range?: AuditGapRange;
  readonly deliveredAt?: number;
}

/** The first GAP of `idx` covering `s` (see the file comment), or undefined; `sentAt` NaN: unknown, judged by the request time. */
function coveringGap(idx: ReceiverIndex, s: AcceptedSend, sentAt: number): Cover | undefined {
  const direct = s.to !== undefined;
  const earliest = Number.isNaN(sentAt) ? s.requestedAt : sentAt;
  let best: Cover | undefined;
  for (const g of idx.gapsByOrigin.get(s.origin) ?? []) {
    const r = g.range;
    if (r.direct !== direct || s.seq < r.fromSeq || (r.toSeq !== 0 && s.seq > r.toSeq)) continue;
    if (r.originSession !== s.session) {
      if (r.originSession !== '') continue;
      const first = idx.firstOf.get(`${idx.sessions[g.at]}\u0000${s.origin}\u0000${s.session}`);
      if (first !== undefined && first < g.at) continue;
    }
    // Positions ascend: the first match is the earliest.
    const deliveredAt = g.gap.deliveredAt;
    best = {
      reason: g.gap.reason,
      at: g.at,
      ambiguous: false,
      beforeSent: deliveredAt !== undefined && deliveredAt < earliest,
      range: r,
      ...(deliveredAt !== undefined ? { deliveredAt } : {}),
    };
    break;
  }
  for (const rs of idx.restarts) {
    if (best !== undefined && best.at <= rs.at) break;
    const known = !Number.isNaN(sentAt);
    if (known ? sentAt < rs.startedAt : s.requestedAt < rs.startedAt) {
      best = { reason: rs.reason, at: rs.at, ambiguous: !known && s.repliedAt >= rs.startedAt, beforeSent: false };
      break;
    }
  }
  return best;
}

/**
 * Audits `accepted` against what `receivers` got. A broadcast is meant for every audited receiver
 * but its origin; a send for its `to` when that is audited (receivers that crashed for good are
 * left out by the caller).
 */
export function auditContract(accepted: readonly AcceptedSend[], receivers: readonly AuditedReceiver[]): ContractAudit {
  const indexes = new Map(receivers.map((r) => [r.member, index(r)]));
  // The origin's sentAt of each broadcast, from any delivery of it. Not of sends: their ids
  // (`origin/session/d<seq>`) repeat across destinations, each of which has its own channel, so
  // only the destination's delivery would tell, and a delivered message needs no GAP.
  const sentAtById = new Map<string, number>();
  for (const r of receivers) for (const e of r.events) if (e.kind === 'message' && !e.direct && !sentAtById.has(e.id)) sentAtById.set(e.id, e.sentAt);
  /** How many of its receivers got a message, for the examples. */
  const receiversOf = (s: AcceptedSend): number =>
    receivers.filter((r) => (s.to === undefined || s.to === r.member) && indexes.get(r.member)?.deliveries.has(s.id) === true).length;
  let expected = 0;
  let delivered = 0;
  let lost = 0;
  let untold = 0;
  let deliveredAfterGap = 0;
  let ambiguous = 0;
  let toldBeforeSent = 0;
  const notes: string[] = [];
  const lostByReason: Record<string, number> = {};
  const deliveredAfterGapByReason: Record<string, number> = {};
  const examples: string[] = [];
  const acceptedIds = new Set<string>();
  for (const s of accepted) {
    acceptedIds.add(s.id);
    const targets = s.to === undefined ? receivers.map((r) => r.member).filter((m) => m !== s.origin) : indexes.has(s.to) ? [s.to] : [];
    const sentAt = s.acceptedAt ?? (s.to === undefined ? (sentAtById.get(s.id) ?? NaN) : NaN);
    for (const member of targets) {
      const idx = indexes.get(member) as ReceiverIndex;
      if ((Number.isNaN(sentAt) ? s.requestedAt : sentAt) < idx.promisedFrom) continue;
      expected++;
      const d = idx.deliveries.get(s.id);
      const gap = coveringGap(idx, s, sentAt);
      if (gap?.ambiguous === true) ambiguous++;
      if (d !== undefined) {
        delivered++;
        if (gap !== undefined && gap.at < d.first) {
          deliveredAfterGap++;
          deliveredAfterGapByReason[gap.reason] = (deliveredAfterGapByReason[gap.reason] ?? 0) + 1;
        }
        continue;
      }
      if (gap !== undefined) {
        lost++;
        lostByReason[gap.reason] = (lostByReason[gap.reason] ?? 0) + 1;
        if (gap.beforeSent) {
          toldBeforeSent++;
          if (notes.length < EXAMPLES && gap.range !== undefined)
            notes.push(
              `told before sent: ${s.to === undefined ? 'broadcast' : 'send'} ${s.origin} session ${s.session} seq ${s.seq} (${Number.isNaN(sentAt) ? `requested at ${s.requestedAt}` : `sent at ${sentAt}`}) → ${member}: covered only by ${describeRange(gap.reason, gap.range)} delivered at ${gap.deliveredAt}`,
            );
        }
        continue;
      }
      untold++;
      if (examples.length < EXAMPLES) {
        const kind = s.to === undefined ? 'broadcast' : 'send';
        const gaps = [...idx.gapsByOrigin.values()].flat().filter((g) => g.range.origin === s.origin);
        const told = gaps.length === 0 ? 'no GAP of that origin' : `GAPs of that origin: ${gaps.map((g) => describeRange(g.gap.reason, g.range)).join(', ')}`;
        const sessions = [...new Set(idx.sessions)].join(' → ') || 'nothing received';
        const sent = Number.isNaN(sentAt) ? `requested at ${s.requestedAt}` : `sent at ${sentAt}`;
        examples.push(
          `untold loss: ${kind} ${s.origin} session ${s.session} seq ${s.seq} (${sent}, delivered to ${receiversOf(s)} receivers) → ${member}: not delivered; ${told}; receiver sessions ${sessions}`,
        );
      }
    }
  }
  let duplicated = 0;
  let unaccounted = 0;
  for (const r of receivers) {
    for (const [id, d] of (indexes.get(r.member) as ReceiverIndex).deliveries) {
      if (d.counted === 0) continue;
      if (!acceptedIds.has(id)) unaccounted++;
      // Copies at or after `from`, beyond the first delivery ever.
      const extra = Math.min(d.counted, d.total - 1);
      if (extra > 0) {
        duplicated += extra;
        if (examples.length < EXAMPLES) examples.push(`duplicate: ${id} delivered ${d.total} times to ${r.member}`);
      }
    }
  }
  return {
    accepted: accepted.length,
    expected,
    delivered,
    lost,
    duplicated,
    untold,
    contractViolations: untold + duplicated,
    lostByReason,
    deliveredAfterGap,
    deliveredAfterGapByReason,
    unaccounted,
    ambiguous,
    toldBeforeSent,
    notes,
    examples,
  };
}

function describeRange(reason: string, r: AuditGapRange): string {
  return `${reason} ${r.originSession === '' ? '(any unseen session)' : r.originSession} ${r.direct ? 'd' : 'b'}${r.fromSeq}..${r.toSeq === 0 ? '' : r.toSeq}`;
}
