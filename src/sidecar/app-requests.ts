/**
 * The executor of requests, queries and acknowledged sends (App API v2) on one sidecar: it sends
 * them as point-to-point app messages (so they are numbered, de-duplicated and repaired like any
 * Send: docs/delivery.md), keeps the pure tables of src/member/request-table.ts, runs their
 * deadline timer, and hands each settlement to the call that waits for it.
 *
 * At the destination: a request reaches the app only when some subscriber wants it (its topic, if
 * any; otherwise every subscriber) — with none, the origin is answered FAILED_PRECONDITION at once
 * — and is held until the app's Respond or its deadline. An acknowledged send goes to the delivery
 * log like any message, and is acknowledged when a Subscribe stream was handed it (written to
 * gRPC), so the sender's OK means an app has it.
 */
import type { AppMessage, NodeId, WireReply } from '../overlays/types.js';
import type { AppRequest } from '../member/core-api.js';
import * as grpc from '@grpc/grpc-js';
import { HeldRequests, MAX_HELD_REQUESTS, MAX_PENDING_REQUESTS, PendingRequests, STATUS, type PendingKind, type Settlement } from '../member/request-table.js';
import type { AppSendResult } from './node-api.js';

/** What the executor needs of its node. */
export interface RequestHost {
  readonly self: NodeId;
  readonly session: string;
  /** A point-to-point app message carrying `request`. */
  send(to: NodeId, payload: Uint8Array, topic: string | undefined, request: AppRequest): AppSendResult;
  /** Sends an answer straight to `to`. */
  reply(to: NodeId, reply: WireReply): void;
  /** Whether some Subscribe stream would be handed `m`. */
  hasSubscriberFor(m: AppMessage): boolean;
}

/** A call that was sent: its id and what the first send was accepted as (SendReply of an acknowledged send). */
export type Started = { readonly ok: true; readonly id: string; readonly sent: AppSendResult & { ok: true } } | (AppSendResult & { ok: false });

/** See the file comment. */
export class AppRequests {
  private readonly pending = new PendingRequests();
  private readonly held = new HeldRequests();
  private readonly waiters = new Map<string, (s: Settlement) => void>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly host: RequestHost) {}

  /**
   * Sends a request (`targets` one member), an acknowledged send (one) or a query (every
   * targeted member) and calls `settled` with each answer and, once, the end. `targets` must be
   * members other than this one; a query with none ends at once (OK).
   */
  start(
    kind: PendingKind,
    targets: readonly NodeId[],
    payload: Uint8Array,
    topic: string | undefined,
    deadlineAt: number,
    settled: (s: Settlement) => void,
  ): Started {
    const id = `${this.host.session}.${++this.next}`;
    if (!this.pending.open(id, kind, targets, deadlineAt))
      return {
        ok: false,
        code: grpc.status.RESOURCE_EXHAUSTED,
        reason: `${this.pending.size} requests, queries and acknowledged sends are pending on this sidecar, the limit is ${MAX_PENDING_REQUESTS}`,
      };
    let first: (AppSendResult & { ok: true }) | undefined;
    for (const to of targets) {
      const r = this.host.send(to, payload, topic, { id, deadlineAt, ack: kind === 'ack' });
      if (!r.ok) {
        this.pending.cancel(id);
        return r;
      }
      first ??= r;
    }
    this.waiters.set(id, settled);
    if (targets.length === 0) this.settle([{ id, kind: 'end', status: STATUS.OK, detail: 'no member matched' }]);
    else this.arm(deadlineAt);
    return { ok: true, id, sent: first ?? { ok: true, id, epoch: 0, session: this.host.session, seq: 0 } };
  }

  /** The caller of `id` went away. */
  cancel(id: string): void {
    this.pending.cancel(id);
    this.waiters.delete(id);
  }

  /** An answer came from `from`. */
  onReply(from: NodeId, reply: WireReply): void {
    this.settle(this.pending.answer(from, reply));
  }

  /** The member list changed. */
  membersChanged(isMember: (m: NodeId) => boolean): void {
    this.settle(this.pending.membersChanged(isMember));
  }

  /**
   * A message the core delivered: whether it goes to the delivery log. A request with no
   * subscriber that wants it, or beyond the held limit, is answered with a refusal instead.
   */
  incoming(m: AppMessage, now: number): boolean {
    if (m.requestId === undefined || m.ack === true) return true;
    const refuse = (status: number, detail: string): false => {
      this.host.reply(m.origin, { requestId: m.requestId as string, status, detail, payload: new Uint8Array(0) });
      return false;
    };
    if (!this.host.hasSubscriberFor(m))
      return refuse(STATUS.FAILED_PRECONDITION, `no app is subscribed at ${this.host.self}${m.topic !== undefined ? ` to topic ${m.topic}` : ''}`);
    const held = this.held.hold(m.requestId, m.origin, m.deadlineAt ?? now, now);
    if (held === 'full')
      return refuse(STATUS.RESOURCE_EXHAUSTED, `${this.host.self} holds ${this.held.size} requests for its app, the limit is ${MAX_HELD_REQUESTS}`);
    return held === 'held';
  }

  /** A Subscribe stream was handed `m`: an acknowledged send is acknowledged. */
  handed(m: AppMessage): void {
    if (m.ack === true && m.requestId !== undefined)
      this.host.reply(m.origin, { requestId: m.requestId, status: STATUS.OK, detail: '', payload: new Uint8Array(0) });
  }

  /** The app answers request `requestId`: OK once the answer is on its way to the origin, or the status and why not. */
  respond(requestId: string, payload: Uint8Array, now: number): { ok: true } | { ok: false; status: number; detail: string } {
    const taken = this.held.take(requestId, now);
    if (!taken.ok) return taken;
    this.host.reply(taken.origin, { requestId, status: STATUS.OK, detail: '', payload });
    return { ok: true };
  }

  /** Calls pending, and requests held for the app. */
  counts(): { pending: number; held: number } {
    return { pending: this.pending.size, held: this.held.size };
  }

  /** Stops the deadline timer. */
  close(): void {
    clearTimeout(this.timer);
  }

  private settle(list: readonly Settlement[]): void {
    for (const s of list) {
      const w = this.waiters.get(s.id);
      if (s.kind === 'end') this.waiters.delete(s.id);
      w?.(s);
    }
  }

  private arm(at: number): void {
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.settle(this.pending.expire(Date.now()));
    const next = this.pending.nextDeadline();
    if (next !== undefined) this.arm(next);
  }
}
