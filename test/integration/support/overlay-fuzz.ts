/**
 * Fuzz cases of the Overlay API (the app's side: loopback, no credential): Members, Send,
 * Broadcast and Subscribe with arbitrary destinations, payloads around and above the limits, and
 * request bytes that do not decode. Each case is a small description (sizes, not buffers), so a
 * counterexample prints short; `encodeOverlayCase` builds its bytes, `expectOverlay` says what the
 * sidecar must answer and `runOverlayCases` sends a batch over one reused client.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { loadProto } from '../../../src/rpc/proto.js';
import { MAX_APP_PAYLOAD_BYTES } from '../../../src/sidecar/app-service.js';
import { MAX_REQUEST_BYTES } from '../../../src/sidecar/grpc-servers.js';
import { addressArb, type AddressContext } from './fuzz-addresses.js';
import { bytes, encodeFields, undecodable, type UndecodableKind } from './proto-wire.js';
import { OK, anyRefusal, refuse, type CaseOutcome, type Expectation } from './fuzz-expectations.js';
import type { RawClient } from './raw-grpc.js';
import { MAX_SUBSCRIBE_TOPICS, topicRefusal } from '../../../src/member/topics.js';

/** gRPC's own receive limit on the sidecar's servers (src/sidecar/grpc-servers.ts): above it grpc-js refuses before any sidecar code runs. */
export const GRPC_RECEIVE_LIMIT = 16 << 20;
/** Deadline of each unary Overlay call (ms). */
export const OVERLAY_CALL_DEADLINE_MS = 10_000;
/** How long a Subscribe that must be refused may take to end (ms). */
export const SUBSCRIBE_REFUSAL_WAIT_MS = 5_000;

const SERVICE = '/topology.v1.Overlay/';

/** Request bytes that are not a plain encoding: random (may decode) or built so that nothing decodes them. */
export type RawRequest =
  { readonly kind: 'random'; readonly bytes: Uint8Array } | { readonly kind: 'undecodable'; readonly how: UndecodableKind; readonly prefix: number };

/** One Overlay case. */
export type OverlayCase =
  | { readonly call: 'Members' }
  | { readonly call: 'Send'; readonly to: string; readonly payload: number }
  | { readonly call: 'Broadcast'; readonly payload: number }
  | { readonly call: 'Subscribe'; readonly raw?: RawRequest }
  | { readonly call: 'Raw'; readonly method: 'Members' | 'Send' | 'Broadcast'; readonly raw: RawRequest };

/** Payload sizes: mostly small, some around the app payload limit. */
export const smallPayloadArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 10, arbitrary: fc.nat(256) },
  { weight: 2, arbitrary: fc.integer({ min: 257, max: 64 * 1024 }) },
  { weight: 1, arbitrary: fc.integer({ min: -4, max: 4 }).map((d) => MAX_APP_PAYLOAD_BYTES + d) },
);

/** Payload sizes around every limit a request meets: the app payload limit, the request limit, gRPC's own. */
export const limitPayloadArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map((d) => MAX_APP_PAYLOAD_BYTES + d),
  fc.integer({ min: -12, max: 3 }).map((d) => MAX_REQUEST_BYTES + d),
  fc.integer({ min: -12, max: 3 }).map((d) => GRPC_RECEIVE_LIMIT + d),
  fc.constantFrom(2 * MAX_APP_PAYLOAD_BYTES, 8 << 20),
);

/** Raw request bytes; `random` only where no address is decoded from them (what random bytes decode to must not be dialed). */
export function rawRequestArb(random: boolean): fc.Arbitrary<RawRequest> {
  const bad = fc.record({
    kind: fc.constant('undecodable' as const),
    how: fc.constantFrom<UndecodableKind>('truncated-length', 'bad-wire-type', 'truncated-varint'),
    prefix: fc.nat(8),
  });
  if (!random) return bad;
  return fc.oneof(bad, fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 48 }) }));
}

/**
 * Overlay cases; `payload` draws the payload sizes. `raw` picks the class: well-formed requests
 * (encoded as any client would, whatever they say), or request bytes that are no plain encoding.
 */
export function overlayCaseArb(ctx: AddressContext, extraAddresses: readonly string[], payload: fc.Arbitrary<number>, raw: boolean): fc.Arbitrary<OverlayCase> {
  if (raw) {
    return fc.oneof(
      { weight: 1, arbitrary: fc.record({ call: fc.constant('Subscribe' as const), raw: rawRequestArb(true) }) },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom<'Members' | 'Broadcast'>('Members', 'Broadcast')
          .chain((method) => fc.record({ call: fc.constant('Raw' as const), method: fc.constant(method), raw: rawRequestArb(true) })),
      },
      { weight: 1, arbitrary: fc.record({ call: fc.constant('Raw' as const), method: fc.constant('Send' as const), raw: rawRequestArb(false) }) },
    );
  }
  const to = addressArb(ctx, { extra: extraAddresses });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ call: 'Members' as const }) },
    { weight: 8, arbitrary: fc.record({ call: fc.constant('Send' as const), to, payload }) },
    { weight: 3, arbitrary: fc.record({ call: fc.constant('Broadcast' as const), payload }) },
    { weight: 1, arbitrary: fc.constant({ call: 'Subscribe' as const }) },
  );
}

/** One zeroed buffer every payload is a view of: sizes up to 17 MiB cost no allocation per case. */
const ZEROES = Buffer.alloc(GRPC_RECEIVE_LIMIT + (1 << 20));

function payloadBytes(n: number): Buffer {
  return ZEROES.subarray(0, Math.max(0, n));
}

function rawBytes(raw: RawRequest): Buffer {
  if (raw.kind === 'random') return Buffer.from(raw.bytes);
  // A valid start (an empty `to`/payload field) of the given length, then the undecodable tail.
  const prefix = encodeFields([bytes(2, ZEROES.subarray(0, raw.prefix))]);
  return undecodable(raw.how, raw.prefix === 0 ? new Uint8Array(0) : prefix);
}

/** The method path and request bytes of `c`. */
export function encodeOverlayCase(c: OverlayCase): { method: string; request: Buffer } {
  switch (c.call) {
    case 'Members':
      return { method: SERVICE + 'Members', request: Buffer.alloc(0) };
    case 'Send':
      return { method: SERVICE + 'Send', request: encodeFields([bytes(1, c.to), bytes(2, payloadBytes(c.payload))]) };
    case 'Broadcast':
      return { method: SERVICE + 'Broadcast', request: encodeFields([bytes(1, payloadBytes(c.payload))]) };
    case 'Subscribe':
      return { method: SERVICE + 'Subscribe', request: c.raw === undefined ? Buffer.alloc(0) : rawBytes(c.raw) };
    case 'Raw':
      return { method: SERVICE + c.method, request: rawBytes(c.raw) };
  }
}

/**
 * The decoded form of `request` as the sidecar's own decoder (proto-loader) reads it, or undefined
 * when it does not decode. Members and Subscribe requests are both empty messages.
 */
function decodeAs(method: string, request: Buffer): { to?: string; payload?: Buffer; topic?: string; topics?: string[] } | undefined {
  const t = loadProto().topology.v1;
  const type = method.endsWith('/Send')
    ? t.SendRequest
    : method.endsWith('/Broadcast')
      ? t.BroadcastRequest
      : method.endsWith('/Subscribe')
        ? t.SubscribeRequest
        : t.MembersRequest;
  try {
    return type.deserialize(request) as { to?: string; payload?: Buffer; topic?: string; topics?: string[] };
  } catch {
    return undefined;
  }
}

/** Refusal of a bad topic (App API v2: Broadcast.topic, Subscribe.topics; random bytes may decode into one), or undefined. */
function topicsRefusal(decoded: { topic?: string; topics?: string[] }): Expectation | undefined {
  const topics = decoded.topics ?? [];
  const bad =
    (decoded.topic !== undefined && decoded.topic !== '' && topicRefusal('topic', decoded.topic) !== undefined) ||
    topics.length > MAX_SUBSCRIBE_TOPICS ||
    topics.some((x) => topicRefusal('topic', x) !== undefined);
  return bad ? refuse('topic', 'a topic that is no topic', grpc.status.INVALID_ARGUMENT) : undefined;
}

/** Refusal of an oversized request or payload, or undefined. */
function sizeRefusal(requestBytes: number, payloadLength: number): Expectation | undefined {
  if (requestBytes > MAX_REQUEST_BYTES) return refuse('size', `request of ${requestBytes} bytes exceeds ${MAX_REQUEST_BYTES}`, grpc.status.RESOURCE_EXHAUSTED);
  if (payloadLength > MAX_APP_PAYLOAD_BYTES)
    return refuse('size', `payload of ${payloadLength} bytes exceeds ${MAX_APP_PAYLOAD_BYTES}`, grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED);
  return undefined;
}

/**
 * What the sidecar at `self` must answer to `c`: undecodable bytes are INVALID_ARGUMENT; a
 * request above the request limit RESOURCE_EXHAUSTED; a payload above the payload limit
 * INVALID_ARGUMENT or RESOURCE_EXHAUSTED; a Send to anything but another member NOT_FOUND or
 * INVALID_ARGUMENT (issue #13: never accepted and dropped); everything else succeeds.
 */
export function expectOverlay(c: OverlayCase, self: string, members: readonly string[]): Expectation {
  const { method, request } = encodeOverlayCase(c);
  const decoded = request.length > MAX_REQUEST_BYTES ? {} : decodeAs(method, request);
  if (decoded === undefined) return refuse('undecodable', 'the request does not decode', grpc.status.INVALID_ARGUMENT);
  const size = sizeRefusal(request.length, decoded.payload?.length ?? 0);
  if (request.length > MAX_REQUEST_BYTES) return size as Expectation;
  if (method.endsWith('/Send')) {
    const to = decoded.to ?? '';
    const destination =
      to === self
        ? refuse('destination', 'Send to itself', grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION)
        : members.includes(to)
          ? undefined
          : refuse('destination', `Send to ${JSON.stringify(to.slice(0, 80))}, no member`, grpc.status.NOT_FOUND, grpc.status.INVALID_ARGUMENT);
    return anyRefusal([size, destination]) ?? OK;
  }
  return anyRefusal([size, topicsRefusal(decoded)]) ?? OK;
}

/** A case and how it ended. */
export interface OverlayResult {
  readonly c: OverlayCase;
  readonly requestBytes: number;
  readonly outcome: CaseOutcome;
}

/** Sends `cases` at once over `client` (the target's Overlay API); Subscribe streams are held until the unary calls are done, then cancelled. */
export async function runOverlayCases(client: RawClient, cases: readonly OverlayCase[]): Promise<OverlayResult[]> {
  const md = (): grpc.Metadata => new grpc.Metadata();
  const streams: { i: number; stream: ReturnType<RawClient['serverStream']>; mustEnd: boolean }[] = [];
  const results: (OverlayResult | undefined)[] = cases.map(() => undefined);
  await Promise.all(
    cases.map(async (c, i) => {
      const { method, request } = encodeOverlayCase(c);
      if (c.call === 'Subscribe') {
        const decoded = decodeAs(method, request);
        streams.push({ i, stream: client.serverStream(method, request, md(), 60_000), mustEnd: decoded === undefined || topicsRefusal(decoded) !== undefined });
        return;
      }
      const outcome = await client.unary(method, request, md(), OVERLAY_CALL_DEADLINE_MS);
      results[i] = { c, requestBytes: request.length, outcome };
    }),
  );
  for (const s of streams) {
    const c = cases[s.i] as OverlayCase;
    const ended = await Promise.race([s.stream.done, new Promise<'open'>((r) => setTimeout(() => r('open'), s.mustEnd ? SUBSCRIBE_REFUSAL_WAIT_MS : 0))]);
    s.stream.cancel();
    results[s.i] = { c, requestBytes: encodeOverlayCase(c).request.length, outcome: ended };
  }
  return results as OverlayResult[];
}
