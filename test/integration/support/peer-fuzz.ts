/**
 * Fuzz cases of the Peer wire: authenticated (or not) `Peer/Link` bidi streams carrying
 * topology.v1.PeerFrame, as another sidecar would open them, with arbitrary metadata (`from`,
 * epoch), and frames of every kind: overlay messages of every overlay's vocabulary and of none,
 * with missing, oversized and malformed fields, huge lists, bad addresses, impossible numbers,
 * frames of other, future and huge epochs, frames above the frame limit, and bytes that are no
 * frame at all.
 *
 * The oracle reads each frame as the sidecar's own decoder does (proto-loader) and says which ones
 * a sidecar must refuse and count (issue #13: a bad peer frame is refused and counted), and how a
 * stream must end.
 */
import { FUTURE_EPOCH_WINDOW } from '../../../src/member/switch-engine.js';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { loadProto } from '../../../src/rpc/proto.js';
import { DEFAULT_MAX_FRAME_BYTES, EPOCH_KEY, FROM_KEY, LINK_METHOD } from '../../../src/sidecar/peer-frames.js';
import { MAX_LIST_LENGTH, MAX_STRING_LENGTH } from '../../../src/sidecar/wire-codec.js';
import type { PeerFrame__Output } from '../../../src/rpc/generated/topology/v1/PeerFrame.js';
import { addressArb, classifyAddress, epochTextIsValid, quietAddress, type AddressContext } from './fuzz-addresses.js';
import { bytes, double, encodeFields, undecodable, varint, type UndecodableKind, type WireField } from './proto-wire.js';
import { ANY, anyRefusal, refuse, COUNTED_REFUSALS, type CaseOutcome, type Expectation } from './fuzz-expectations.js';
import { BAD_AUTH_MODES, authMetadata, type AuthMode, type RawClient } from './raw-grpc.js';
import { GRPC_RECEIVE_LIMIT } from './overlay-fuzz.js';
import { expandList, listArb, type ListSpec } from './control-fuzz.js';

/** Deadline of each fuzz stream (ms): it ends as soon as the sidecar has read our half-close. */
export const PEER_STREAM_DEADLINE_MS = 20_000;
/** Epoch of "far future" streams and frames: a valid, safe integer no switch will reach. */
export const FAR_FUTURE_EPOCH = 2 ** 40;

/** Every message type the overlays speak (src/overlays/*-messages.ts and the sidecar's probe-ack). */
export const KNOWN_TYPES: readonly string[] = [
  'hyparview.join',
  'hyparview.forwardJoin',
  'hyparview.neighbor',
  'hyparview.neighborReply',
  'hyparview.disconnect',
  'hyparview.leave',
  'hyparview.shuffle',
  'hyparview.shuffleReply',
  'hyparview.gossip',
  'hyparview.direct',
  'hyparview.probe',
  'hyparview.repair',
  'plumtree.gossip',
  'plumtree.ihave',
  'plumtree.graft',
  'plumtree.prune',
  'plumtree.flush',
  'fullmesh.hello',
  'fullmesh.join',
  'fullmesh.members',
  'fullmesh.app',
  'fullmesh.leave',
  'clientserver.hello',
  'clientserver.register',
  'clientserver.unregister',
  'clientserver.publish',
  'clientserver.relay',
  'clientserver.app',
  'clientserver.down',
  'clientserver.leave',
  'sidecar.probe-ack',
];

/** An application message inside an overlay message. `to: 'TARGET'` is the attacked sidecar's own address. */
export interface AppSpec {
  readonly id: string;
  readonly origin: string;
  readonly to: string;
  readonly payload: number;
  readonly sentAt: number;
}

/** An OverlayMessage field by field (absent fields are not sent). */
export interface MessageSpec {
  readonly type: string;
  readonly peer?: string;
  readonly peers?: ListSpec;
  readonly ttl?: bigint;
  readonly high?: boolean;
  readonly accepted?: boolean;
  readonly id?: string;
  readonly ids?: ListSpec;
  readonly round?: number;
  readonly app?: AppSpec;
  readonly hops?: bigint;
  readonly presentLists?: bigint;
  readonly route?: ListSpec;
  /** A field number no message uses, which a decoder skips. */
  readonly unknownField?: bigint;
}

/** The body of a frame. */
export type BodySpec =
  | { readonly kind: 'message'; readonly message: MessageSpec }
  | { readonly kind: 'hello'; readonly from: string; readonly pod: string }
  | { readonly kind: 'ping' | 'pong'; readonly nonce: bigint; readonly sentAt: number }
  | { readonly kind: 'goodbye'; readonly reason: string }
  | { readonly kind: 'none' };

/** The epoch a frame carries: the stream's (plus a delta), or any uint64. */
export type FrameEpoch = { readonly delta: bigint } | { readonly abs: bigint };

/** A frame: encoded from a spec, bytes that are no frame, or a frame of a given total size. */
export type FrameSpec =
  | { readonly kind: 'frame'; readonly epoch: FrameEpoch; readonly body: BodySpec }
  | { readonly kind: 'undecodable'; readonly how: UndecodableKind; readonly prefix: number }
  | { readonly kind: 'sized'; readonly bytes: number };

/** Who the stream says it is from. */
export type FromSpec =
  | { readonly kind: 'fake'; readonly i: number }
  | { readonly kind: 'member'; readonly i: number }
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'missing' };

/** Which epoch the stream is for. */
export type EpochMeta =
  | { readonly kind: 'live'; readonly i: number }
  | { readonly kind: 'future'; readonly delta: number }
  | { readonly kind: 'far' }
  | { readonly kind: 'stale' }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'missing' };

/** One Link stream. */
export interface StreamSpec {
  readonly auth: AuthMode;
  readonly from: FromSpec;
  readonly epoch: EpochMeta;
  /** Open with a proper Hello, as a sidecar does. */
  readonly hello: boolean;
  readonly frames: readonly FrameSpec[];
}

/** Epochs of the attacked sidecar, from its GetState. */
export interface EpochView {
  readonly live: readonly number[];
  readonly stale: number | undefined;
  readonly highest: number;
}

/** Printable ASCII: what gRPC metadata can carry at all (grpc-js refuses anything else before sending). */
function metadataSafe(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

const EPOCH_TEXTS = ['', '0', '-1', '1.5', '1e3', '0x10', ' 1', '1 ', '+1', '01', '18446744073709551615', '9007199254740993', '9007199254740991', 'NaN'];
const ODD_TYPES = ['', 'x', 'hyparview.', 'HYPARVIEW.JOIN', 'hyparview.join\n', 'plumtree.gossip ', '\u00e9', '#'.repeat(MAX_STRING_LENGTH + 1)];
const INT32_CORNERS = [-(2 ** 31), 2 ** 31 - 1, -1, 0];
const ODD_DOUBLES = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, 2 ** 53 + 2, -1];
/** A plausible wall-clock time (ms), fixed so that one seed always makes the same frames. */
const SOME_TIME_MS = 1.7e12;

function int32Arb(): fc.Arbitrary<bigint> {
  return fc.oneof(fc.integer({ min: -2, max: 12 }), fc.constantFrom(...INT32_CORNERS)).map(BigInt);
}

function doubleArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 1000 }) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_DOUBLES) },
    { weight: 1, arbitrary: fc.double() },
  );
}

/**
 * Peer streams over addresses of `ctx`, at one of `targets` sidecars. `raw` picks the class:
 * decodable frames of any content, or streams that also carry bytes that are no frame and frames
 * at and above the frame limit.
 */
export function peerRunArb(ctx: AddressContext, targets: number, raw: boolean): fc.Arbitrary<{ target: number; streams: StreamSpec[] }> {
  const address = addressArb(ctx);
  const shortAddress = addressArb(ctx, { short: true });
  const shortId = fc.oneof(
    { weight: 6, arbitrary: fc.nat(1_000_000).map((n) => `fuzz-origin/${n}`) },
    { weight: 1, arbitrary: fc.constantFrom('', 'probe:fuzz', 'probe:') },
  );
  const id = fc.oneof({ weight: 7, arbitrary: shortId }, { weight: 1, arbitrary: fc.constant('#'.repeat(MAX_STRING_LENGTH + 1)) });
  const app: fc.Arbitrary<AppSpec> = fc.record({
    id,
    origin: address,
    to: fc.oneof(fc.constant(''), fc.constant('TARGET'), address),
    payload: fc.oneof({ weight: 6, arbitrary: fc.nat(64) }, { weight: 1, arbitrary: fc.integer({ min: 1024, max: 64 * 1024 }) }),
    sentAt: fc.oneof({ weight: 4, arbitrary: fc.constant(SOME_TIME_MS) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_DOUBLES) }),
  });
  const message: fc.Arbitrary<MessageSpec> = fc.record(
    {
      type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...KNOWN_TYPES) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_TYPES) }),
      peer: address,
      peers: listArb(address, shortAddress),
      ttl: int32Arb(),
      high: fc.boolean(),
      accepted: fc.boolean(),
      id,
      ids: listArb(id, shortId),
      round: doubleArb(),
      app,
      hops: int32Arb(),
      presentLists: fc.oneof(fc.bigInt(0n, 7n), fc.constant(2n ** 32n - 1n)),
      route: listArb(address, shortAddress),
      unknownField: fc.bigInt(0n, 2n ** 64n - 1n),
    },
    { requiredKeys: ['type'] },
  );
  const body: fc.Arbitrary<BodySpec> = fc.oneof(
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('message' as const), message }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('hello' as const), from: address, pod: fc.string({ maxLength: 8 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('ping' as const, 'pong' as const), nonce: fc.bigInt(0n, 2n ** 64n - 1n), sentAt: doubleArb() }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('goodbye' as const), reason: fc.constantFrom('', 'drain', 'idle', 'x'.repeat(MAX_STRING_LENGTH + 1)) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  );
  const frameEpoch: fc.Arbitrary<FrameEpoch> = fc.oneof(
    { weight: 12, arbitrary: fc.constant({ delta: 0n }) },
    { weight: 1, arbitrary: fc.record({ delta: fc.bigInt(-2n, 2n) }) },
    { weight: 1, arbitrary: fc.record({ abs: fc.constantFrom(0n, 2n ** 53n - 1n, 2n ** 64n - 1n, BigInt(FAR_FUTURE_EPOCH)) }) },
  );
  const decodable: fc.Arbitrary<FrameSpec> = fc.record({ kind: fc.constant('frame' as const), epoch: frameEpoch, body });
  const frame: fc.Arbitrary<FrameSpec> = !raw
    ? decodable
    : fc.oneof(
        { weight: 2, arbitrary: decodable },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('undecodable' as const),
            how: fc.constantFrom<UndecodableKind>('truncated-length', 'bad-wire-type', 'truncated-varint'),
            prefix: fc.nat(3),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('sized' as const),
            bytes: fc.oneof(
              fc.integer({ min: -3, max: 3 }).map((d) => DEFAULT_MAX_FRAME_BYTES + d),
              fc.constantFrom(4 << 20, GRPC_RECEIVE_LIMIT + 1),
            ),
          }),
        },
      );
  const from: fc.Arbitrary<FromSpec> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('fake' as const), i: fc.nat(20) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('member' as const), i: fc.nat(10) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), value: address.filter(metadataSafe) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
  );
  const epoch: fc.Arbitrary<EpochMeta> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('live' as const), i: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('future' as const), delta: fc.integer({ min: 1, max: 3 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'far' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'stale' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.constantFrom(...EPOCH_TEXTS) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
  );
  const stream: fc.Arbitrary<StreamSpec> = fc
    .record({
      auth: fc.oneof({ weight: 10, arbitrary: fc.constant<AuthMode>('token') }, { weight: 1, arbitrary: fc.constantFrom(...BAD_AUTH_MODES) }),
      from,
      epoch,
      hello: fc.boolean(),
      frames: fc.array(frame, { maxLength: 6 }),
    })
    // A holder of the Peer token may claim any member's address (docs/security.md, "What the
    // credentials do not protect against"): frames it sends in a real member's name for an epoch
    // not prepared yet are replayed into that epoch's overlay at Prepare and can cut the member out
    // of it. The checks after the fuzz switch to such an epoch, so member-named streams stay on
    // epochs that exist now (and are retired by that switch).
    .filter((st) => !(st.from.kind === 'member' && st.epoch.kind === 'future'));
  return fc.record({ target: fc.nat(targets - 1), streams: fc.array(stream, { minLength: 1, maxLength: 4 }) });
}

/** The attacked sidecar and what stream specs resolve against. */
export interface PeerTarget {
  readonly id: string;
  readonly epochs: EpochView;
  readonly members: readonly string[];
  readonly block: number;
  /**
   * Leave the next epoch alone: "future" streams start at highest + 2. Frames held for an epoch
   * are replayed into it when it is prepared (as designed), so garbage held for the epoch a later
   * check switches to would judge the overlay under that garbage, not the sidecar's survival.
   */
  readonly spareNextEpoch: boolean;
}

function resolveFrom(f: FromSpec, t: PeerTarget): string | undefined {
  switch (f.kind) {
    case 'fake':
      return quietAddress(t.block, f.i);
    case 'member':
      return t.members[f.i % t.members.length];
    case 'text':
      return f.value;
    case 'missing':
      return undefined;
  }
}

/** The epoch metadata text of `e`, and the stream's epoch as a number when it is one. */
function resolveEpoch(e: EpochMeta, t: PeerTarget): string | undefined {
  const v = t.epochs;
  switch (e.kind) {
    case 'live':
      return String(v.live.length > 0 ? v.live[e.i % v.live.length] : v.highest + 1);
    case 'future':
      return String(v.highest + e.delta + (t.spareNextEpoch ? 1 : 0));
    case 'far':
      return String(FAR_FUTURE_EPOCH);
    case 'stale':
      return String(v.stale ?? v.highest + 1);
    case 'text':
      return e.text;
    case 'missing':
      return undefined;
  }
}

/** A zeroed buffer that sized frames' payloads are views of. */
const ZEROES = Buffer.alloc(GRPC_RECEIVE_LIMIT + (1 << 20));

function listFields(no: number, l: ListSpec | undefined): WireField[] {
  return l === undefined ? [] : expandList(l).map((s) => bytes(no, s));
}

function appFields(a: AppSpec, target: string, payload: Buffer = ZEROES.subarray(0, a.payload)): WireField[] {
  return [bytes(1, a.id), bytes(2, a.origin), bytes(3, a.to === 'TARGET' ? target : a.to), bytes(4, payload), double(5, a.sentAt)];
}

/**
 * A field number OverlayMessage does not declare, read from the schema: a constant went stale
 * when field 14 (`reply`) was added, and a varint there no longer decodes as a skipped field.
 */
function unknownOverlayField(): number {
  // proto-loader types the descriptor as `object`; it is a google.protobuf.DescriptorProto.
  const descriptor = loadProto().topology.v1.OverlayMessage.type as { readonly field?: readonly { readonly number?: number }[] };
  const declared = (descriptor.field ?? []).map((f) => f.number ?? 0);
  if (declared.length === 0) throw new Error('OverlayMessage descriptor lists no fields');
  return 1 + Math.max(...declared);
}

function messageFields(m: MessageSpec, target: string): WireField[] {
  const f: WireField[] = [bytes(1, m.type)];
  if (m.peer !== undefined) f.push(bytes(2, m.peer));
  f.push(...listFields(3, m.peers));
  if (m.ttl !== undefined) f.push(varint(4, m.ttl));
  if (m.high !== undefined) f.push(varint(5, m.high));
  if (m.accepted !== undefined) f.push(varint(6, m.accepted));
  if (m.id !== undefined) f.push(bytes(7, m.id));
  f.push(...listFields(8, m.ids));
  if (m.round !== undefined) f.push(double(9, m.round));
  if (m.app !== undefined) f.push(bytes(10, appFields(m.app, target)));
  if (m.hops !== undefined) f.push(varint(11, m.hops));
  if (m.presentLists !== undefined) f.push(varint(12, m.presentLists));
  f.push(...listFields(13, m.route));
  if (m.unknownField !== undefined) f.push(varint(unknownOverlayField(), m.unknownField));
  return f;
}

function bodyFields(b: BodySpec, target: string): WireField[] {
  switch (b.kind) {
    case 'message':
      return [bytes(3, messageFields(b.message, target))];
    case 'hello':
      return [bytes(2, [bytes(1, b.from), bytes(2, b.pod)])];
    case 'ping':
      return [bytes(4, [varint(1, b.nonce), double(2, b.sentAt)])];
    case 'pong':
      return [bytes(5, [varint(1, b.nonce), double(2, b.sentAt)])];
    case 'goodbye':
      return [bytes(6, [bytes(1, b.reason)])];
    case 'none':
      return [];
  }
}

/** A gossip frame of exactly `size` bytes (its payload sized to fit), from a fake peer. */
function sizedFrame(size: number, epoch: bigint, target: PeerTarget): Buffer {
  const app = (n: number): Buffer =>
    encodeFields([
      varint(1, epoch),
      bytes(3, [
        bytes(1, 'hyparview.gossip'),
        bytes(10, appFields({ id: `fuzz-sized/${size}`, origin: quietAddress(target.block, 0), to: '', payload: n, sentAt: SOME_TIME_MS }, target.id)),
        varint(11, 0),
      ]),
    ]);
  let n = Math.max(0, size - 64);
  for (let i = 0; i < 4; i++) {
    const got = app(n).length;
    if (got === size) break;
    n = Math.max(0, n + size - got);
  }
  return app(n);
}

/** The bytes of frame `f` on a stream of `streamEpoch`. */
export function encodeFrame(f: FrameSpec, streamEpoch: bigint, target: PeerTarget): Buffer {
  switch (f.kind) {
    case 'frame': {
      const epoch = 'abs' in f.epoch ? f.epoch.abs : BigInt.asUintN(64, streamEpoch + f.epoch.delta);
      return encodeFields([varint(1, epoch), ...bodyFields(f.body, target.id)]);
    }
    case 'undecodable':
      return undecodable(f.how, encodeFields([varint(1, streamEpoch)]).subarray(0, Math.min(f.prefix, 2)));
    case 'sized':
      return sizedFrame(f.bytes, streamEpoch, target);
  }
}

/** Why the sidecar must refuse decoded frame `fr` on a stream of `epoch`, or undefined. */
export function frameRefusal(fr: PeerFrame__Output, epoch: number): string | undefined {
  if (fr.epoch !== epoch) return `frame of epoch ${fr.epoch} on a stream of epoch ${epoch}`;
  if (fr.body === undefined || fr.body === null) return 'frame without a body';
  if (fr.body !== 'message' || fr.message === null || fr.message === undefined) return undefined;
  const m = fr.message;
  const long = (s: string | undefined | null): boolean => typeof s === 'string' && s.length > MAX_STRING_LENGTH;
  if (m.type === '' || long(m.type)) return 'overlay message without a valid type';
  if (long(m.peer) || long(m.id)) return 'oversized string field';
  for (const [name, list] of [
    ['peers', m.peers],
    ['ids', m.ids],
    ['route', m.route],
  ] as const) {
    if (list.length > MAX_LIST_LENGTH) return `${name} has ${list.length} entries, above ${MAX_LIST_LENGTH}`;
    if (list.some((s) => s.length > MAX_STRING_LENGTH)) return `${name} has an oversized entry`;
  }
  if (m.round !== undefined && m.round !== null && !Number.isFinite(m.round)) return 'non-finite round';
  const addresses: [string, string][] = [];
  if (m.peer !== undefined && m.peer !== null) addresses.push(['peer', m.peer]);
  for (const p of m.peers) addresses.push(['peers[]', p]);
  for (const p of m.route) addresses.push(['route[]', p]);
  const a = m.app;
  if (a !== undefined && a !== null) {
    if (a.id === '' || long(a.id)) return 'app message without a valid id';
    if (!Number.isFinite(a.sentAt)) return 'app message with a non-finite timestamp';
    addresses.push(['app.origin', a.origin]);
    if (a.to !== '') addresses.push(['app.to', a.to]);
  }
  const bad = addresses.find(([, s]) => classifyAddress(s) === 'invalid');
  return bad === undefined ? undefined : `${bad[0]} ${JSON.stringify(bad[1].slice(0, 60))} is no host:port`;
}

/** A stream as it will be sent, with what the oracle expects of it. */
export interface PlannedStream {
  readonly spec: StreamSpec;
  readonly metadata: grpc.Metadata;
  readonly frames: readonly Buffer[];
  /** How the stream must end. */
  readonly end: Expectation;
  /** Refusals the sidecar must count if it reads the whole stream (it ended OK). */
  readonly countedIfRead: number;
  /** Why, per refused frame (for messages). */
  readonly reasons: readonly string[];
}

/** Resolves `s` against `t` and applies the oracle. */
export function planStream(s: StreamSpec, t: PeerTarget, token: string): PlannedStream {
  const from = resolveFrom(s.from, t);
  const epochText = resolveEpoch(s.epoch, t);
  const md = authMetadata(s.auth, token);
  if (from !== undefined) md.set(FROM_KEY, from);
  if (epochText !== undefined) md.set(EPOCH_KEY, epochText);
  const streamEpoch = epochText !== undefined && epochTextIsValid(epochText) ? BigInt(epochText) : 1n;
  const frames: Buffer[] = [];
  if (s.hello) frames.push(encodeFields([varint(1, streamEpoch), bytes(2, [bytes(1, from ?? ''), bytes(2, 'fuzz')])]));
  for (const f of s.frames) frames.push(encodeFrame(f, streamEpoch, t));
  if (s.auth !== 'token')
    return {
      spec: s,
      metadata: md,
      frames,
      end: refuse('auth', `authorization ${s.auth}`, grpc.status.UNAUTHENTICATED),
      countedIfRead: 1,
      reasons: ['authorization'],
    };
  const metaRefusal = anyRefusal([
    from === undefined
      ? refuse('metadata', `no ${FROM_KEY}`, grpc.status.INVALID_ARGUMENT)
      : classifyAddress(from) === 'invalid'
        ? refuse('metadata', `${FROM_KEY} ${JSON.stringify(from.slice(0, 60))} is no host:port`, grpc.status.INVALID_ARGUMENT)
        : undefined,
    epochText === undefined
      ? refuse('metadata', `no ${EPOCH_KEY}`, grpc.status.INVALID_ARGUMENT)
      : !epochTextIsValid(epochText)
        ? refuse('metadata', `${EPOCH_KEY} ${JSON.stringify(epochText)} is no epoch`, grpc.status.INVALID_ARGUMENT)
        : undefined,
  ]);
  if (metaRefusal !== undefined)
    return { spec: s, metadata: md, frames, end: metaRefusal, countedIfRead: 1, reasons: [metaRefusal.kind === 'refuse' ? metaRefusal.why : ''] };
  const frameType = loadProto().topology.v1.PeerFrame;
  const reasons: string[] = [];
  let end: Expectation = ANY;
  // A stream of an epoch beyond the window the sidecar holds frames for is refused at its first
  // frame with FAILED_PRECONDITION (far-future-epoch), which may come before its frames' own faults.
  const beyond = streamEpoch > BigInt(t.epochs.highest + FUTURE_EPOCH_WINDOW) ? [grpc.status.FAILED_PRECONDITION] : [];
  for (const bytesOfFrame of frames) {
    if (bytesOfFrame.length > GRPC_RECEIVE_LIMIT) {
      end = refuse('size', `frame of ${bytesOfFrame.length} bytes above gRPC's limit`, grpc.status.RESOURCE_EXHAUSTED, ...beyond);
      break;
    }
    if (bytesOfFrame.length > DEFAULT_MAX_FRAME_BYTES) {
      reasons.push(`frame of ${bytesOfFrame.length} bytes above ${DEFAULT_MAX_FRAME_BYTES}`);
      end = refuse('size', reasons.at(-1) as string, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INVALID_ARGUMENT, ...beyond);
      break;
    }
    let decoded: PeerFrame__Output;
    try {
      decoded = frameType.deserialize(bytesOfFrame);
    } catch {
      reasons.push('undecodable frame');
      end = refuse('undecodable', 'an undecodable frame', grpc.status.INVALID_ARGUMENT, ...beyond);
      break;
    }
    const why = frameRefusal(decoded, Number(streamEpoch));
    if (why !== undefined) reasons.push(why);
  }
  // gRPC checks a later message's length prefix against its receive limit as it reads ahead, so a
  // frame above that limit anywhere in the stream may end it (RESOURCE_EXHAUSTED) before an earlier
  // refused frame is judged.
  if (end.kind === 'refuse' && frames.some((f) => f.length > GRPC_RECEIVE_LIMIT))
    end = { ...end, codes: new Set([...end.codes, grpc.status.RESOURCE_EXHAUSTED]) };
  return { spec: s, metadata: md, frames, end, countedIfRead: reasons.length, reasons };
}

/** A stream and how it ended. */
export interface StreamResult {
  readonly plan: PlannedStream;
  readonly outcome: CaseOutcome;
}

/** Refusals the sidecar must have counted for `r`: every refused frame when it read the whole stream, at least one when it refused the stream for bad input. */
export function countedLowerBound(r: StreamResult): number {
  if (r.outcome === 'open') return 0;
  if (r.outcome.code === grpc.status.OK) return r.plan.countedIfRead;
  return COUNTED_REFUSALS.has(r.outcome.code) && r.plan.countedIfRead > 0 ? 1 : 0;
}

/** Opens every planned stream at once on `client`, writes its frames, half-closes, and waits for each end. */
export async function runStreams(client: RawClient, plans: readonly PlannedStream[]): Promise<StreamResult[]> {
  return Promise.all(
    plans.map(async (plan) => {
      const stream = client.bidi(LINK_METHOD, plan.metadata, PEER_STREAM_DEADLINE_MS);
      for (const f of plan.frames) if (!stream.write(f)) break;
      stream.end();
      return { plan, outcome: await stream.done };
    }),
  );
}
