/**
 * `connect`: the app client's entry point. An app usually starts with (or before) its sidecar, in
 * the same pod, so the first attempts meet nothing listening: connect retries on UNAVAILABLE with
 * exponential backoff (./backoff.ts) until the sidecar answers a Members call, or the attempts or
 * the overall timeout run out. The sidecar's Overlay API is bound to loopback and carries no
 * token, so the default credentials are plaintext.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../rpc/proto.js';
import type { MembersReply__Output } from '../rpc/generated/topology/v1/MembersReply.js';
import type { MembersRequest } from '../rpc/generated/topology/v1/MembersRequest.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { toMembership } from './decode.js';
import { TopologyError, toTopologyError, UnavailableError } from './errors.js';
import { TopologyClient, waitForChannel } from './topology-client.js';
import { abortableSleep, unaryCall } from './unary-call.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Gives up after this long in all (ms). Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Gives up after this many attempts. Default: unbounded (the timeout decides). */
  readonly maxAttempts?: number;
  /** How long one attempt waits for the channel and the Members answer (ms). Default {@link DEFAULT_ATTEMPT_TIMEOUT_MS}. */
  readonly attemptTimeoutMs?: number;
  /** Delays between attempts. Default {@link DEFAULT_BACKOFF}. */
  readonly backoff?: BackoffPolicy;
  /** Cancels connecting: rejects with a CancelledError. */
  readonly signal?: AbortSignal;
  /** Default: plaintext (the Overlay API is loopback-only). */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  /** Random source of the backoff jitter (tests pass a seeded one). */
  readonly random?: () => number;
}

/** Default overall connect timeout (ms): a sidecar starts in a few seconds; wild guess with margin for a loaded node. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Default time one attempt waits (ms). Wild guess: a loopback connect takes well under this. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 2_000;

/** Statuses after which connect tries again: nothing listening yet, or not answering yet. */
const RETRY_ON: ReadonlySet<string> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED']);

/** Connects to the sidecar's Overlay API at `address` (host:port), retrying until it answers. */
export async function connect(address: string, options: ConnectOptions = {}): Promise<TopologyClient> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const Ctor = loadProto().topology.v1.Overlay;
  const grpcClient = new Ctor(address, options.credentials ?? grpc.credentials.createInsecure(), {
    // The channel's own reconnect backoff follows ours, so a sidecar that comes up is seen soon.
    'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
    'grpc.max_reconnect_backoff_ms': backoff.maxMs,
    ...options.channelOptions,
  });
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const attemptMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    const left = timeoutMs - (Date.now() - started);
    try {
      const wait = Math.max(1, Math.min(attemptMs, left));
      await waitForChannel(grpcClient, wait, options.signal);
      const reply = await unaryCall<MembersRequest, MembersReply__Output>('Members', grpcClient.Members.bind(grpcClient), {}, { signal: options.signal }, wait);
      return new TopologyClient(grpcClient, address, toMembership(reply).self);
    } catch (err) {
      const e = toTopologyError(err, 'connect');
      const pause = backoffDelayMs(attempt, backoff, options.random);
      const outOfTime = Date.now() - started + pause >= timeoutMs;
      const outOfAttempts = options.maxAttempts !== undefined && attempt >= options.maxAttempts;
      if (!RETRY_ON.has(e.code) || outOfTime || outOfAttempts) {
        grpcClient.close();
        if (!RETRY_ON.has(e.code)) throw e;
        throw new UnavailableError(
          'connect',
          `no sidecar answered at ${address} after ${attempt} attempt(s) in ${Date.now() - started} ms; last: ${e.details}`,
          { cause: e },
        );
      }
      try {
        await abortableSleep(pause, 'connect', options.signal);
      } catch (abort) {
        grpcClient.close();
        throw abort instanceof TopologyError ? abort : toTopologyError(abort, 'connect');
      }
    }
  }
}
