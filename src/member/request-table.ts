/**
 * The rules of requests, queries and acknowledged sends (App API v2), as two pure tables: what
 * the origin waits for ({@link PendingRequests}) and what a destination's app may still answer
 * ({@link HeldRequests}). Time comes in as `now`; the executor (src/sidecar/app-requests.ts)
 * turns settlements into gRPC replies and schedules {@link PendingRequests.nextDeadline}.
 *
 * The origin's call ends exactly once: an answer (OK), a refusal the destination sent (its status
 * code), the destination leaving the member list (UNAVAILABLE), or the deadline
 * (DEADLINE_EXCEEDED; a query ends OK at its deadline with the answers it got, or earlier once
 * every targeted member answered or declined). An answer from a member that was not asked, or
 * after the end, is ignored. Both tables are bounded: a full one refuses (RESOURCE_EXHAUSTED).
 */
import type { NodeId, WireReply } from '../overlays/types.js';

/** Most requests, queries and acknowledged sends one sidecar waits on at once. Wild guess: far above an app's concurrency, small enough to bound memory (a few hundred KiB). */
export const MAX_PENDING_REQUESTS = 1024;
/** Most requests one sidecar holds for its app to answer. Wild guess, as {@link MAX_PENDING_REQUESTS}. */
export const MAX_HELD_REQUESTS = 1024;
/** How long past its deadline a held request is remembered, so a late Respond gets DEADLINE_EXCEEDED rather than NOT_FOUND. Wild guess. */
export const EXPIRED_MEMORY_MS = 60_000;

/** gRPC status codes the tables use (the numbers of grpc.status; no import of gRPC in a pure module). */
export const STATUS = { OK: 0, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/** What the origin waits for. */
export type PendingKind = 'request' | 'query' | 'ack';

/** What becomes of a pending call: an answer to stream or return, or its end. */
export type Settlement =
  | { readonly id: string; readonly kind: 'answer'; readonly from: NodeId; readonly payload: Uint8Array }
  | { readonly id: string; readonly kind: 'end'; readonly status: number; readonly detail: string };

interface Pending {
  readonly kind: PendingKind;
  readonly targets: Set<NodeId>;
  readonly deadlineAt: number;
}

/** The origin's side: see the file comment. */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly limit: number = MAX_PENDING_REQUESTS) {}

  /** Starts waiting on `id` for answers from `targets` until `deadlineAt`; false when {@link limit} calls are pending already. */
  open(id: string, kind: PendingKind, targets: readonly NodeId[], deadlineAt: number): boolean {
    if (this.pending.size >= this.limit) return false;
    this.pending.set(id, { kind, targets: new Set(targets), deadlineAt });
    return true;
  }

  /** An answer from `from`. */
  answer(from: NodeId, reply: WireReply): Settlement[] {
    const p = this.pending.get(reply.requestId);
    if (p === undefined || !p.targets.has(from)) return [];
    const id = reply.requestId;
    if (p.kind === 'query') {
      p.targets.delete(from);
      const out: Settlement[] = reply.status === STATUS.OK ? [{ id, kind: 'answer', from, payload: reply.payload }] : [];
      return p.targets.size === 0 ? [...out, this.end(id, STATUS.OK, 'every targeted member answered or declined')] : out;
    }
    if (reply.status !== STATUS.OK) return [this.end(id, reply.status, reply.detail)];
    const answer: Settlement[] = p.kind === 'request' ? [{ id, kind: 'answer', from, payload: reply.payload }] : [];
    return [...answer, this.end(id, STATUS.OK, '')];
  }

  /** The member list changed: calls waiting on a member no longer in it (`isMember` false) fail, or for a query stop waiting on it. */
  membersChanged(isMember: (m: NodeId) => boolean): Settlement[] {
    const out: Settlement[] = [];
    for (const [id, p] of [...this.pending]) {
      const gone = [...p.targets].filter((t) => !isMember(t));
      if (gone.length === 0) continue;
      if (p.kind !== 'query') {
        out.push(this.end(id, STATUS.UNAVAILABLE, `${gone[0]} left the membership before answering`));
        continue;
      }
      for (const g of gone) p.targets.delete(g);
      if (p.targets.size === 0) out.push(this.end(id, STATUS.OK, 'every remaining targeted member answered or declined'));
    }
    return out;
  }

  /** Calls whose deadline passed by `now`. */
  expire(now: number): Settlement[] {
    const out: Settlement[] = [];
    for (const [id, p] of [...this.pending]) {
      if (p.deadlineAt > now) continue;
      const waited = [...p.targets];
      out.push(
        p.kind === 'query'
          ? this.end(id, STATUS.OK, `deadline: ${waited.length} targeted members did not answer`)
          : this.end(id, STATUS.DEADLINE_EXCEEDED, `${waited[0] ?? 'the destination'} did not answer before the deadline`),
      );
    }
    return out;
  }

  /** Forgets `id` (its caller went away). */
  cancel(id: string): void {
    this.pending.delete(id);
  }

  /** The earliest deadline of a pending call. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const p of this.pending.values()) if (next === undefined || p.deadlineAt < next) next = p.deadlineAt;
    return next;
  }

  /** Calls pending now. */
  get size(): number {
    return this.pending.size;
  }

  private end(id: string, status: number, detail: string): Settlement {
    this.pending.delete(id);
    return { id, kind: 'end', status, detail };
  }
}

/** Outcome of taking a held request for the app's answer. */
export type Taken = { readonly ok: true; readonly origin: NodeId } | { readonly ok: false; readonly status: number; readonly detail: string };

interface Held {
  readonly origin: NodeId;
  readonly deadlineAt: number;
}

/** The destination's side: requests its app was handed and may answer once, before their deadline. */
export class HeldRequests {
  private readonly held = new Map<string, Held>();

  constructor(private readonly limit: number = MAX_HELD_REQUESTS) {}

  /** Holds `id` from `origin` until `deadlineAt`: 'full' at {@link limit}, 'duplicate' when the id is held already. */
  hold(id: string, origin: NodeId, deadlineAt: number, now: number): 'held' | 'full' | 'duplicate' {
    this.forget(now, this.held.size >= this.limit);
    if (this.held.has(id)) return 'duplicate';
    if (this.held.size >= this.limit) return 'full';
    this.held.set(id, { origin, deadlineAt });
    return 'held';
  }

  /** The app answers `id` at `now`: the origin to send the answer to, or why not (NOT_FOUND, DEADLINE_EXCEEDED). */
  take(id: string, now: number): Taken {
    this.forget(now, false);
    const h = this.held.get(id);
    if (h === undefined)
      return { ok: false, status: STATUS.NOT_FOUND, detail: 'no request with that id is waiting for an answer here (unknown, or answered already)' };
    this.held.delete(id);
    if (h.deadlineAt <= now)
      return { ok: false, status: STATUS.DEADLINE_EXCEEDED, detail: `the request's deadline passed ${Math.round(now - h.deadlineAt)} ms ago` };
    return { ok: true, origin: h.origin };
  }

  /** Requests held now (expired ones included until forgotten). */
  get size(): number {
    return this.held.size;
  }

  /** Drops requests past their deadline by more than {@link EXPIRED_MEMORY_MS}, and (`makeRoom`: the table is full) every expired one. */
  private forget(now: number, makeRoom: boolean): void {
    for (const [id, h] of this.held) if (h.deadlineAt + EXPIRED_MEMORY_MS <= now || (makeRoom && h.deadlineAt <= now)) this.held.delete(id);
  }
}
