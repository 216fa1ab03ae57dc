/**
 * Fencing of Control calls: a sidecar obeys the newest operator leader it has heard from, so a
 * deposed leader that wakes up late (a paused process, a pass still in flight after its Lease
 * expired) cannot commit an epoch its successor is rolling back, or the other way round.
 *
 * Every call of a leader-elected operator carries `x-topology-fencing: <generation>/<holder>`
 * (src/rpc/fencing.ts): the Lease's `leaseTransitions` when that operator acquired it, and its
 * identity. The sidecar remembers the token it obeys (in memory: a restarted sidecar obeys the
 * first caller again, which is safe because the leader re-observes every member before acting):
 *
 * | call's token                         | state-changing call (Prepare, Route, Commit, Abort, SetMembers) | read (GetState, GetMetrics, Probe) |
 * |--------------------------------------|--------------------------------------|------------------------------|
 * | newer generation, or nothing obeyed  | served; the sidecar now obeys it     | served; the sidecar now obeys it |
 * | the obeyed generation and holder     | served                               | served                       |
 * | the obeyed generation, another holder| refused                              | served                       |
 * | older generation                     | refused                              | served                       |
 * | none (unfenced), nothing obeyed yet  | served                               | served                       |
 * | none (unfenced), a token obeyed      | refused                              | served                       |
 *
 * **Generation 0 and unfenced callers.** A caller without leader election sends no token and
 * ranks below every token, generation 0 included: the first holder of a new Lease has
 * `leaseTransitions` 0, and it must still fence out an unfenced caller. Once a sidecar has obeyed
 * any token it refuses unfenced state-changing calls until it restarts, so run a single operator
 * replica with leader election on (the default) rather than `--leader-elect=false` against
 * sidecars that a leader-elected operator drove.
 *
 * **One generation, two holders** happens only when the Lease was deleted and recreated (its
 * `leaseTransitions` starts again at 0). The operator recovers on its own: GetState reports the
 * token a sidecar obeys, and a leader that sees one at or above its own raises its Lease's
 * generation past it (leader-election.ts `raiseGeneration`).
 *
 * A refusal is FAILED_PRECONDITION naming both generations and holders; unusable metadata is
 * INVALID_ARGUMENT naming the limit. Both are counted by reason.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcError } from '../rpc/auth.js';
import { FENCED_MARK, FENCED_METHODS, FENCING_METADATA_KEY, readFencingToken, type FencingToken } from '../rpc/fencing.js';

/** Why a call was refused, as counted (the label of `topology_sidecar_fencing_refused_total`). */
export type FencingRefusal = 'older-generation' | 'other-holder' | 'unfenced' | 'malformed';

/** The rule's verdict: serve the call (and the token to obey from now on), or refuse it and why. */
export type FencingVerdict =
  | { readonly admit: true; readonly obey: FencingToken | undefined }
  | { readonly admit: false; readonly refusal: Exclude<FencingRefusal, 'malformed'>; readonly reason: string };

function described(token: FencingToken): string {
  return `generation ${token.generation} (holder ${token.holder})`;
}

/**
 * The pure rule (see the table above): `obeyed` is the token the sidecar obeys (undefined: none
 * yet), `call` the call's (undefined: unfenced), `changesState` whether the method is one of
 * {@link FENCED_METHODS}.
 */
export function decideFencing(obeyed: FencingToken | undefined, call: FencingToken | undefined, changesState: boolean): FencingVerdict {
  if (call === undefined) {
    if (obeyed === undefined || !changesState) return { admit: true, obey: obeyed };
    return {
      admit: false,
      refusal: 'unfenced',
      reason: `${FENCED_MARK} call carries no ${FENCING_METADATA_KEY} token (an operator without leader election ranks below generation 0) but this sidecar obeys ${described(obeyed)}`,
    };
  }
  if (obeyed === undefined || call.generation > obeyed.generation) return { admit: true, obey: call };
  if (call.generation === obeyed.generation && call.holder === obeyed.holder) return { admit: true, obey: obeyed };
  if (!changesState) return { admit: true, obey: obeyed };
  if (call.generation === obeyed.generation) {
    return {
      admit: false,
      refusal: 'other-holder',
      reason: `${FENCED_MARK} ${described(call)} is held by another leader here, this sidecar obeys ${described(obeyed)} (was the Lease recreated? the leader raises its generation past ${obeyed.generation})`,
    };
  }
  return {
    admit: false,
    refusal: 'older-generation',
    reason: `${FENCED_MARK} ${described(call)} is older than ${described(obeyed)}, which this sidecar obeys`,
  };
}

/** Outcome of {@link Fence.admit}: serve, or the gRPC error to end the call with. */
export type FenceAdmission = { readonly ok: true } | { readonly ok: false; readonly error: grpc.ServiceError };

/** The token a sidecar obeys, and the calls it refused. */
export class Fence {
  private current: FencingToken | undefined;
  private readonly refusedBy = new Map<FencingRefusal, number>();

  /** The token obeyed (undefined: only unfenced calls so far, or none). */
  obeyed(): FencingToken | undefined {
    return this.current;
  }

  /** Refused calls by reason. */
  refused(): ReadonlyMap<FencingRefusal, number> {
    return this.refusedBy;
  }

  /** Refused calls, all reasons. */
  refusedTotal(): number {
    let n = 0;
    for (const v of this.refusedBy.values()) n += v;
    return n;
  }

  /** Applies the rule to a call of `method` with `metadata`, obeying a newer token at once. */
  admit(method: string, metadata: grpc.Metadata): FenceAdmission {
    const read = readFencingToken(metadata);
    if (!read.ok) return this.refuse('malformed', grpc.status.INVALID_ARGUMENT, read.reason);
    const verdict = decideFencing(this.current, read.token, FENCED_METHODS.has(method));
    if (!verdict.admit) return this.refuse(verdict.refusal, grpc.status.FAILED_PRECONDITION, `${method} refused: ${verdict.reason}`);
    this.current = verdict.obey;
    return { ok: true };
  }

  private refuse(refusal: FencingRefusal, code: grpc.status, reason: string): FenceAdmission {
    this.refusedBy.set(refusal, (this.refusedBy.get(refusal) ?? 0) + 1);
    return { ok: false, error: grpcError(code, reason) };
  }
}

/** The token as GetState reports it: generation and holder, `0` and `''` when none is obeyed. */
export function reportedFencing(fence: Fence): { fencingGeneration: number; fencingHolder: string } {
  const t = fence.obeyed();
  return { fencingGeneration: t?.generation ?? 0, fencingHolder: t?.holder ?? '' };
}

/** Wraps the (unary) Control handlers so every call passes `fence` first. */
export function fencedHandlers<H extends grpc.UntypedServiceImplementation>(handlers: H, fence: Fence): H {
  const out: Record<string, grpc.handleUnaryCall<unknown, unknown>> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    out[name] = (call, callback) => {
      const admission = fence.admit(name, call.metadata);
      if (!admission.ok) {
        callback(admission.error);
        return;
      }
      (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback);
    };
  }
  return out as unknown as H;
}
