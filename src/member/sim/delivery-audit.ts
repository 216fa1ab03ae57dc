/**
 * The delivery contract as a checker (docs/delivery.md): given every message a sender's sidecar
 * accepted and what each audited receiver's app got (messages, GAPs, the sidecar sessions it saw),
 * count what was delivered, what was lost and told, what was duplicated, and every *contract
 * violation*: a loss the app was not told about, or a duplicate. Used by the fault simulator
 * (fault-run.ts) and the real-sidecar fault matrix alike. Pure.
 */
import type { NodeId } from '../../overlays/types.js';
import type { GapNotice } from '../app-events.js';

/** A message the origin's sidecar accepted (Send or Broadcast returned OK). */
export interface AcceptedMessage {
  readonly origin: NodeId;
  readonly session: string;
  readonly seq: number;
  /** Set for point-to-point sends. */
  readonly to?: NodeId;
  /** The origin's send time (the same clock as the receivers' session starts). */
  readonly sentAt: number;
}

/** What one receiver's app got. */
export class ReceiverRecord {
  /** Deliveries per message key. */
  readonly delivered = new Map<string, number>();
  /** Origin sessions it got any message of. */
  readonly heardSessions = new Set<string>();
  readonly gaps: GapNotice[] = [];
  /** Start of the latest sidecar session whose restart the app was told of (SIDECAR_RESTARTED); -Infinity if none. */
  restartToldUpTo = -Infinity;
  /**
   * Start of the sidecar session the app first subscribed to: messages sent before it are not
   * promised to this app (docs/delivery.md: an app's guarantee begins with its first Subscribe).
   */
  promisedFrom = -Infinity;
  private subscribed = false;

  constructor(readonly node: NodeId) {}

  /** Records a Subscribe to a sidecar session that started at `sessionStartedAt` (only the first counts). */
  subscribe(sessionStartedAt: number): void {
    if (this.subscribed) return;
    this.subscribed = true;
    this.promisedFrom = sessionStartedAt;
  }

  /** Records a delivered message. */
  message(origin: NodeId, session: string, seq: number, direct: boolean): void {
    const key = messageKey(origin, session, seq, direct);
    this.delivered.set(key, (this.delivered.get(key) ?? 0) + 1);
    this.heardSessions.add(`${origin}\u0000${session}`);
  }

  /** Records a GAP; `sessionStartedAt` is when the receiver's current sidecar session started. */
  gap(gap: GapNotice, sessionStartedAt: number): void {
    if (gap.reason === 'SIDECAR_RESTARTED') this.restartToldUpTo = Math.max(this.restartToldUpTo, sessionStartedAt);
    else this.gaps.push(gap);
  }
}

/** Totals of an audit; `examples` describes the first few violations. */
export interface AuditResult {
  accepted: number;
  /** Message deliveries expected (accepted × intended receivers). */
  expected: number;
  delivered: number;
  /** Expected deliveries that did not happen and were told (GAP, restart). */
  lost: number;
  duplicated: number;
  contractViolations: number;
  readonly examples: string[];
}

/** Key of one message. */
export function messageKey(origin: NodeId, session: string, seq: number, direct: boolean): string {
  return `${origin}\u0000${session}\u0000${direct ? 'd' : 'b'}\u0000${seq}`;
}

/**
 * Audits `accepted` against `receivers`: a broadcast is for every audited receiver but its
 * origin, a send for its destination if audited.
 */
export function auditDeliveries(accepted: readonly AcceptedMessage[], receivers: ReadonlyMap<NodeId, ReceiverRecord>, maxExamples = 5): AuditResult {
  const r: AuditResult = { accepted: accepted.length, expected: 0, delivered: 0, lost: 0, duplicated: 0, contractViolations: 0, examples: [] };
  const violation = (what: string): void => {
    r.contractViolations++;
    if (r.examples.length < maxExamples) r.examples.push(what);
  };
  for (const m of accepted) {
    const direct = m.to !== undefined;
    const key = messageKey(m.origin, m.session, m.seq, direct);
    const targets = direct ? (receivers.has(m.to as NodeId) ? [m.to as NodeId] : []) : [...receivers.keys()].filter((n) => n !== m.origin);
    for (const node of targets) {
      const rec = receivers.get(node) as ReceiverRecord;
      if (m.sentAt < rec.promisedFrom) continue;
      r.expected++;
      const n = rec.delivered.get(key) ?? 0;
      if (n >= 1) r.delivered++;
      if (n > 1) {
        r.duplicated += n - 1;
        violation(`${node} got ${m.origin} ${m.session} ${direct ? 'send' : 'broadcast'} #${m.seq} ${n} times`);
        continue;
      }
      if (n === 1) continue;
      if (told(rec, m, direct)) r.lost++;
      else violation(`${node} never got ${m.origin} ${m.session} ${direct ? 'send' : 'broadcast'} #${m.seq} (sent at ${m.sentAt}) and was not told`);
    }
  }
  return r;
}

/** Whether `rec`'s app was told that `m` may be lost. */
function told(rec: ReceiverRecord, m: AcceptedMessage, direct: boolean): boolean {
  if (m.sentAt < rec.restartToldUpTo) return true;
  const heard = rec.heardSessions.has(`${m.origin}\u0000${m.session}`);
  for (const g of rec.gaps)
    for (const range of g.ranges) {
      if (range.origin !== m.origin || range.direct !== direct) continue;
      if (range.session === '' ? heard : range.session !== m.session) continue;
      if (m.seq >= range.fromSeq && (range.toSeq === 0 || m.seq <= range.toSeq)) return true;
    }
  return false;
}
