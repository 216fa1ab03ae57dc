/**
 * A server stream of the Overlay API as an async iterator: `for await (const x of stream)`.
 *
 * - Back-pressure: at most {@link STREAM_HIGH_WATER} decoded items wait for the app; past that the
 *   gRPC stream is paused, so the sidecar (which writes only while gRPC has room) holds the rest
 *   in its delivery log instead of this process's memory, and a slow app lags as the delivery
 *   contract says (docs/delivery.md, "Bounds").
 * - Cancellation: `break` (or `return()`) out of the loop cancels the call on the wire; an
 *   AbortSignal cancels it too, and the pending `next()` rejects with a CancelledError.
 * - Errors: a non-OK status rejects the next `next()` with the typed TopologyError; the end of
 *   the stream (OK) finishes the iteration.
 * - Headers: `onHeaders` runs when the sidecar's response headers arrive (the stream is registered
 *   at the sidecar), and may add an item (the client's `subscribed` signal).
 */
import type * as grpc from '@grpc/grpc-js';
import { toTopologyError, type TopologyError } from './errors.js';
import { abortError } from './unary-call.js';

/** Items decoded but not yet taken by the app before the stream is paused. Wild guess: one Subscribe batch of the sidecar (SUBSCRIBE_BATCH). */
export const STREAM_HIGH_WATER = 256;

/** How {@link iterateStream} opens and reads one stream. */
export interface StreamSpec<W, T> {
  /** The Overlay call, for errors. */
  readonly call: string;
  /** Starts the call. */
  readonly open: () => grpc.ClientReadableStream<W>;
  /** One wire message to what the app sees (undefined: skip it). */
  readonly decode: (wire: W) => T | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Runs when the response headers arrive; what it returns (if anything) is yielded first. */
  readonly onHeaders?: () => T | undefined;
}

/** The stream of `spec` as an async iterator that cancels the call when the loop exits early. */
export function iterateStream<W, T>(spec: StreamSpec<W, T>): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let failure: TopologyError | undefined;
  let finished = false;
  let paused = false;
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  const signal = spec.signal;

  const wake = (): void => {
    const w = waiter;
    if (w === undefined) return;
    if (queue.length > 0) {
      waiter = undefined;
      w.resolve({ value: take(), done: false });
    } else if (failure !== undefined) {
      waiter = undefined;
      const f = failure;
      finished = true;
      w.reject(f);
    } else if (finished) {
      waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  };
  const take = (): T => {
    const item = queue.shift() as T;
    if (paused && queue.length < STREAM_HIGH_WATER / 2) {
      paused = false;
      stream.resume();
    }
    return item;
  };
  const stop = (): void => {
    signal?.removeEventListener('abort', onAbort);
    stream.cancel();
  };
  const onAbort = (): void => {
    if (finished) return;
    failure ??= abortError(spec.call, signal!);
    queue.length = 0;
    stop();
    wake();
  };

  if (signal?.aborted === true) {
    failure = abortError(spec.call, signal);
  }
  const stream = spec.open();
  stream.on('metadata', () => {
    const item = spec.onHeaders?.();
    if (item !== undefined) queue.push(item);
    wake();
  });
  stream.on('data', (wire: W) => {
    if (finished || failure !== undefined) return;
    const item = spec.decode(wire);
    if (item === undefined) return;
    queue.push(item);
    if (!paused && queue.length >= STREAM_HIGH_WATER) {
      paused = true;
      stream.pause();
    }
    wake();
  });
  stream.on('error', (err: grpc.ServiceError) => {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) failure ??= toTopologyError(err, spec.call);
    wake();
  });
  stream.on('end', () => {
    signal?.removeEventListener('abort', onAbort);
    // An OK end: what is queued is still delivered, then the iteration is done.
    finished = failure === undefined ? true : finished;
    wake();
  });
  if (failure !== undefined) stream.cancel();
  else signal?.addEventListener('abort', onAbort, { once: true });

  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (queue.length > 0) return Promise.resolve({ value: take(), done: false });
      if (failure !== undefined && !finished) {
        finished = true;
        return Promise.reject(failure);
      }
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    return(): Promise<IteratorResult<T>> {
      if (!finished) {
        finished = true;
        queue.length = 0;
        stop();
        wake();
      }
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
