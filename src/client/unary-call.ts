/**
 * One unary call of the app client as a promise: a deadline, an AbortSignal that cancels the call,
 * an optional wait-for-ready (the call waits for the channel to connect instead of failing fast
 * with UNAVAILABLE), and the gRPC status mapped to a typed {@link TopologyError}.
 */
import * as grpc from '@grpc/grpc-js';
import { CancelledError, toTopologyError } from './errors.js';

/** What every call of the client takes. */
export interface CallOptions {
  /** Cancels the call (or stream): it rejects with a {@link CancelledError} whose `cause` is the signal's reason. */
  readonly signal?: AbortSignal;
  /** The call's gRPC deadline (ms from now). Default: per call, see each method. */
  readonly deadlineMs?: number;
  /** Wait for the sidecar to be reachable instead of failing fast with UNAVAILABLE (bounded by the deadline). */
  readonly waitForReady?: boolean;
}

/** The generated client's method shape: `client.Send(request, metadata, options, callback)`. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => grpc.ClientUnaryCall;

/** The error for a call cancelled by `signal`. */
export function abortError(call: string, signal: AbortSignal): CancelledError {
  return new CancelledError(call, 'cancelled by the AbortSignal', { cause: signal.reason });
}

/** Metadata carrying the wait-for-ready flag when asked. */
export function callMetadata(options: CallOptions): grpc.Metadata {
  return new grpc.Metadata(options.waitForReady === true ? { waitForReady: true } : undefined);
}

/** Runs `method(request)` as `call`, with `defaultDeadlineMs` unless `options.deadlineMs` says otherwise. */
export function unaryCall<Req, Res>(call: string, method: UnaryMethod<Req, Res>, request: Req, options: CallOptions, defaultDeadlineMs: number): Promise<Res> {
  const { signal } = options;
  if (signal?.aborted === true) return Promise.reject(abortError(call, signal));
  return new Promise<Res>((resolve, reject) => {
    const onAbort = (): void => pending.cancel();
    const pending = method(request, callMetadata(options), { deadline: Date.now() + (options.deadlineMs ?? defaultDeadlineMs) }, (err, reply) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted === true) reject(abortError(call, signal));
      else if (err !== null || reply === undefined) reject(toTopologyError(err ?? new Error('no reply'), call));
      else resolve(reply);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves after `ms`, or rejects with a {@link CancelledError} of `call` when `signal` aborts first. */
export function abortableSleep(ms: number, call: string, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(abortError(call, signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(call, signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
