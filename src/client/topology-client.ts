/**
 * The app client: one app's typed connection to its own sidecar's Overlay API
 * (proto/topology/v1/overlay.proto; docs/app-api.md). Made by {@link connect}.
 *
 * Every method takes {@link CallOptions} (an AbortSignal, a deadline, wait-for-ready) and fails
 * with a typed TopologyError (./errors.ts). Streams (`subscribe`, `watchMembers`, `query`) are
 * async iterators: `break` out of the `for await` cancels the call on the wire.
 */
import * as grpc from '@grpc/grpc-js';
import type { OverlayClient } from '../rpc/generated/topology/v1/Overlay.js';
import type { ReplyMessage__Output } from '../rpc/generated/topology/v1/ReplyMessage.js';
import type { RequestMessage } from '../rpc/generated/topology/v1/RequestMessage.js';
import type { QueryResponse__Output } from '../rpc/generated/topology/v1/QueryResponse.js';
import { toMembership, toMembershipEvent } from './decode.js';
import { toTopologyError } from './errors.js';
import { iterateStream } from './stream-iterator.js';
import { subscribeDeliveries, type SubscribeOptions } from './subscription.js';
import type { Answer, Membership, MembershipEvent, Payload, SendResult, SubscriptionItem } from './types.js';
import { abortError, callMetadata, unaryCall, type CallOptions, type UnaryMethod } from './unary-call.js';

/** Deadline of a call that waits for nothing but the sidecar (ms). Wild guess: the sidecar answers in well under a millisecond on loopback; this bounds a stuck one. */
export const DEFAULT_CALL_DEADLINE_MS = 10_000;
/** The sidecar's default for `timeout_ms` 0 of Request and Query (ms): overlay.proto, RequestMessage.timeout_ms. */
export const SIDECAR_DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Extra time the gRPC deadline of Request, Query and acknowledged Send gets beyond `timeoutMs`, so the sidecar's own answer (an answer, or its DEADLINE_EXCEEDED) arrives first. Wild guess. */
export const DEADLINE_GRACE_MS = 1_000;
/** Default wait of an acknowledged send for the destination's app (ms). Wild guess, matching the sidecar's request default. */
export const DEFAULT_ACK_TIMEOUT_MS = 5_000;

/** Options of `send`. */
export interface SendOptions extends CallOptions {
  /** Complete only when the destination's app has the message (DEADLINE_EXCEEDED / UNAVAILABLE otherwise; never a false OK). */
  readonly ack?: boolean;
}

/** Options of `broadcast`. */
export interface BroadcastOptions extends CallOptions {
  /** The topic: only subscribers of it (or of every topic) get the broadcast. Default "": no topic. */
  readonly topic?: string;
}

/** Options of `request`. */
export interface RequestOptions extends Omit<CallOptions, 'deadlineMs'> {
  /** How long to wait for the answer (1..300000 ms; default: the sidecar's, 5000 ms). */
  readonly timeoutMs?: number;
}

/** Options of `query`. */
export interface QueryOptions extends RequestOptions {
  /** Only members whose app subscribes to this topic (or to every topic) see it. */
  readonly topic?: string;
  /** Only members whose tags have exactly these values see it. */
  readonly tagFilter?: Readonly<Record<string, string>>;
}

/** Options of `watchMembers`. */
export type WatchMembersOptions = Omit<CallOptions, 'deadlineMs'>;

const toBuffer = (p: Payload): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength));

/** A connected app client (see {@link connect}). */
export class TopologyClient {
  /** @internal Made by {@link connect}. */
  constructor(
    private readonly grpcClient: OverlayClient,
    /** The sidecar's Overlay API address. */
    readonly address: string,
    /** This member's peer address (MembersReply.self), learnt at connect. */
    readonly self: string,
  ) {}

  /** The members the sidecar's routed overlay knows of, this one included. */
  async members(options: CallOptions = {}): Promise<Membership> {
    return toMembership(await this.unary('Members', this.grpcClient.Members, {}, options));
  }

  /** Membership events: one `current` per member, `synced`, then `joined` / `left` / `updated` until cancelled. */
  watchMembers(options: WatchMembersOptions = {}): AsyncIterableIterator<MembershipEvent> {
    return iterateStream({
      call: 'WatchMembers',
      signal: options.signal,
      open: () => this.grpcClient.WatchMembers({}, callMetadata(options)),
      decode: toMembershipEvent,
    });
  }

  /** Sends `payload` to every other member (on `topic`, when given). */
  async broadcast(payload: Payload, options: BroadcastOptions = {}): Promise<SendResult> {
    return this.unary('Broadcast', this.grpcClient.Broadcast, { payload: toBuffer(payload), topic: options.topic ?? '' }, options);
  }

  /** Sends `payload` to member `to` (a peer address); with `ack`, resolves only once its app has it. */
  async send(to: string, payload: Payload, options: SendOptions = {}): Promise<SendResult> {
    const deadline = options.deadlineMs ?? (options.ack === true ? DEFAULT_ACK_TIMEOUT_MS : DEFAULT_CALL_DEADLINE_MS);
    return this.unary('Send', this.grpcClient.Send, { to, payload: toBuffer(payload), ack: options.ack === true }, { ...options, deadlineMs: deadline });
  }

  /** Deliveries (messages, requests, GAPs) and the client's signals, until cancelled; see {@link SubscribeOptions}. */
  subscribe(options: SubscribeOptions = {}): AsyncGenerator<SubscriptionItem, void, undefined> {
    return subscribeDeliveries(this.grpcClient, options);
  }

  /** Asks member `to`; resolves with its app's answer. */
  async request(to: string, payload: Payload, options: RequestOptions = {}): Promise<Answer> {
    const timeoutMs = options.timeoutMs ?? 0;
    const reply = await this.unary<RequestMessage, ReplyMessage__Output>(
      'Request',
      this.grpcClient.Request,
      { to, payload: toBuffer(payload), timeoutMs },
      { ...options, deadlineMs: (timeoutMs || SIDECAR_DEFAULT_REQUEST_TIMEOUT_MS) + DEADLINE_GRACE_MS },
    );
    return { from: reply.from, payload: reply.payload, requestId: reply.requestId };
  }

  /** Asks every matching member; yields each answer as it arrives, and ends at the deadline. */
  query(payload: Payload, options: QueryOptions = {}): AsyncIterableIterator<Answer> {
    const timeoutMs = options.timeoutMs ?? 0;
    const deadline = Date.now() + (timeoutMs || SIDECAR_DEFAULT_REQUEST_TIMEOUT_MS) + DEADLINE_GRACE_MS;
    return iterateStream({
      call: 'Query',
      signal: options.signal,
      open: () =>
        this.grpcClient.Query(
          { payload: toBuffer(payload), timeoutMs, topic: options.topic ?? '', tagFilter: { ...(options.tagFilter ?? {}) } },
          callMetadata(options),
          { deadline },
        ),
      decode: (r: QueryResponse__Output): Answer => ({ from: r.from, payload: r.payload, requestId: r.requestId }),
    });
  }

  /** Answers a request delivered to this app (`RequestDelivery.requestId`). */
  async respond(requestId: string, payload: Payload, options: CallOptions = {}): Promise<void> {
    await this.unary('Respond', this.grpcClient.Respond, { requestId, payload: toBuffer(payload) }, options);
  }

  /** Resolves when the channel to the sidecar is connected (rejects with UnavailableError after `timeoutMs`, default 10 s). */
  waitForReady(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    return waitForChannel(this.grpcClient, options.timeoutMs ?? DEFAULT_CALL_DEADLINE_MS, options.signal);
  }

  /** Closes the channel; streams still open end with a CancelledError. */
  close(): void {
    this.grpcClient.close();
  }

  private unary<Req, Res>(call: string, method: UnaryMethod<Req, Res>, request: Req, options: CallOptions): Promise<Res> {
    return unaryCall(call, method.bind(this.grpcClient) as UnaryMethod<Req, Res>, request, options, DEFAULT_CALL_DEADLINE_MS);
  }
}

/** Resolves when `client`'s channel is READY within `timeoutMs`; UnavailableError otherwise. */
export function waitForChannel(client: grpc.Client, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(abortError('waitForReady', signal));
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(abortError('waitForReady', signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.waitForReady(Date.now() + timeoutMs, (err) => {
      signal?.removeEventListener('abort', onAbort);
      if (done) return;
      done = true;
      if (err === undefined) resolve();
      else
        reject(
          toTopologyError(
            Object.assign(err, { code: grpc.status.UNAVAILABLE, details: `not connected within ${timeoutMs} ms: ${err.message}` }),
            'waitForReady',
          ),
        );
    });
  });
}
