/**
 * Fuzz cases of the Control API (authenticated with the fleet token, or not): GetState,
 * GetMetrics, Prepare, Route, Commit, Abort, SetMembers and Probe with arbitrary epochs (0,
 * 2^53 - 1, 2^64 - 1 = -1 as int64, huge jumps, and epochs near the target's own so the switch
 * state machine is exercised), topologies out of the enum, member and contact lists with bad
 * addresses, duplicates and tens of thousands of bytes, overlay parameters out of the CRD's
 * ranges, probe counts and timeouts, and undecodable bytes.
 *
 * Epochs "near the target's own" are resolved when the case runs, from what the target last
 * reported ({@link ControlTracker}), so a generated case stays meaningful whatever earlier cases
 * did. The oracle reads each request as the sidecar's own decoder does (proto-loader), so what it
 * expects is about what the sidecar sees (a uint32 above 2^32 decodes to its low bits, say).
 */
import { MAX_CONTACTS, MAX_MEMBERS } from '../../../src/sidecar/control-requests.js';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { loadProto } from '../../../src/rpc/proto.js';
import { CLUSTER_TOPOLOGY_SCHEMA } from '../../../src/api/crd-schema.js';
import type { SchemaProps } from '../../../src/api/schema-types.js';
import { MAX_REQUEST_BYTES } from '../../../src/sidecar/grpc-servers.js';
import { DEFAULT_PROBE_TIMEOUT_MS, MAX_PROBE_TIMEOUT_MS } from '../../../src/sidecar/control-service.js';
import { addressArb, classifyAddress, type AddressContext } from './fuzz-addresses.js';
import { bytes, encodeFields, undecodable, varint, type UndecodableKind, type WireField } from './proto-wire.js';
import { ANY, OK, anyRefusal, refuse, type CaseOutcome, type Expectation } from './fuzz-expectations.js';
import { BAD_AUTH_MODES, authMetadata, type AuthMode, type RawClient } from './raw-grpc.js';

/** Deadline of each Control call (ms). */
export const CONTROL_CALL_DEADLINE_MS = 10_000;
/**
 * Deadline of each Probe call (ms): a probe over a live epoch waits its timeout (up to 60 s) for
 * acknowledgements that members made of garbage never send, so the suite cuts it short and
 * accepts DEADLINE_EXCEEDED when the probe's own timeout is longer than this allows.
 */
export const PROBE_CALL_DEADLINE_MS = 2_500;
/** Probe timeouts (ms) up to which the probe must end before {@link PROBE_CALL_DEADLINE_MS}. */
const PROBE_TIMEOUT_WITHIN_DEADLINE_MS = 1_000;
/**
 * An epoch jump this large is refused by any bound a sidecar could document (issue #13: a
 * sidecar refuses an epoch jump beyond a documented bound; the operator steps epochs by 1).
 */
export const UNREASONABLE_EPOCH_JUMP = 2n ** 32n;

/**
 * Member lists up to this long must be taken: far above the fleet here, and a bound a sidecar
 * might document below it would cut real clusters. Longer lists may be refused as too long.
 */
export const LIST_ALWAYS_ACCEPTED = 1000;

const SERVICE = '/topology.v1.Control/';
const UINT64_MAX = 2n ** 64n - 1n;

/** An epoch: absolute, or relative to what the target last reported. */
export type EpochSpec = { readonly abs: bigint } | { readonly rel: 'highest' | 'active' | 'staged'; readonly delta: bigint };

/** A list of strings: `items`, then `repeat` copies of `of`. */
export interface ListSpec {
  readonly items: readonly string[];
  readonly repeat?: number;
  readonly of?: string;
}

/** Optional uint32 fields of a parameter block, by proto field number. */
export type ParamBlock = Readonly<Record<number, bigint>>;

/** OverlayParams as generated: each block optional. */
export interface ParamsSpec {
  readonly hyparview?: ParamBlock;
  readonly pubsub?: ParamBlock;
  readonly clientServer?: { readonly serverIds: ListSpec; readonly servers?: bigint };
}

/** The body of one Control case. */
export type ControlBody =
  | { readonly call: 'GetState'; readonly viewsOnly: boolean }
  | { readonly call: 'GetMetrics' }
  | {
      readonly call: 'Prepare';
      readonly epoch: EpochSpec;
      readonly topology: bigint;
      readonly params?: ParamsSpec;
      readonly members: ListSpec;
      readonly contacts: ListSpec;
      readonly seed: bigint;
    }
  | { readonly call: 'Route' | 'Commit' | 'Abort'; readonly epoch: EpochSpec }
  | { readonly call: 'SetMembers'; readonly members: ListSpec }
  | { readonly call: 'Probe'; readonly epoch: EpochSpec; readonly count: bigint; readonly timeoutMs: bigint; readonly expect: ListSpec }
  | { readonly call: 'Raw'; readonly method: RawControlMethod; readonly raw: RawControlBytes };

/** Methods whose requests carry no address: random bytes may go to them (what they decode to is never dialed). */
export type RawControlMethod = 'GetState' | 'GetMetrics' | 'Route' | 'Commit' | 'Abort' | 'Prepare' | 'SetMembers' | 'Probe';
/** Raw request bytes: random (only for methods without addresses), or undecodable. */
export type RawControlBytes = { readonly kind: 'random'; readonly bytes: Uint8Array } | { readonly kind: 'undecodable'; readonly how: UndecodableKind };

/** One Control case: how it authenticates and what it asks. */
export interface ControlCase {
  readonly auth: AuthMode;
  readonly body: ControlBody;
}

/** Range of one CRD integer field. */
interface Range {
  readonly min: number;
  readonly max: number;
}

function crdRange(path: readonly string[], scale = 1): Range {
  let s: SchemaProps | undefined = CLUSTER_TOPOLOGY_SCHEMA;
  for (const p of ['spec', 'overlays', ...path]) s = s?.properties?.[p];
  if (s?.minimum === undefined || s.maximum === undefined) throw new Error(`no CRD range at spec.overlays.${path.join('.')}`);
  return { min: s.minimum * scale, max: s.maximum * scale };
}

/**
 * The CRD's range of every overlay parameter, by proto message and field number (proto/topology/v1/control.proto):
 * the documented range, which the operator never leaves, so a sidecar has no use for values outside it.
 */
export const PARAM_RANGES: { readonly hyparview: Readonly<Record<number, Range>>; readonly pubsub: Readonly<Record<number, Range>>; readonly servers: Range } =
  {
    hyparview: {
      1: crdRange(['hyParView', 'activeViewSize']),
      2: crdRange(['hyParView', 'passiveViewSize']),
      3: crdRange(['hyParView', 'activeRandomWalkLength']),
      4: crdRange(['hyParView', 'passiveRandomWalkLength']),
      5: crdRange(['hyParView', 'shuffleIntervalSeconds'], 1000),
      6: crdRange(['hyParView', 'shuffleActive']),
      7: crdRange(['hyParView', 'shufflePassive']),
    },
    pubsub: {
      1: crdRange(['pubSub', 'lazyPushDelayMs']),
      2: crdRange(['pubSub', 'graftTimeoutMs']),
      3: crdRange(['pubSub', 'optimizationThreshold']),
    },
    servers: crdRange(['clientServer', 'servers']),
  };

const HYPARVIEW_FIELD_NAMES: Readonly<Record<number, string>> = {
  1: 'activeViewSize',
  2: 'passiveViewSize',
  3: 'activeRandomWalkLength',
  4: 'passiveRandomWalkLength',
  5: 'shuffleIntervalMs',
  6: 'shuffleActive',
  7: 'shufflePassive',
};
const PUBSUB_FIELD_NAMES: Readonly<Record<number, string>> = { 1: 'lazyPushDelayMs', 2: 'graftTimeoutMs', 3: 'optimizationThreshold' };

/** A uint32 parameter: mostly within `r`, often just outside it or at the type's corners (2^32 decodes to 0). */
function paramArb(r: Range): fc.Arbitrary<bigint> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: r.min, max: r.max }).map(BigInt) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(BigInt(r.min - 1), BigInt(r.max + 1), 0n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, UINT64_MAX).filter((v) => v >= 0n),
    },
  );
}

function blockArb(ranges: Readonly<Record<number, Range>>): fc.Arbitrary<ParamBlock> {
  const fields: Record<string, fc.Arbitrary<bigint>> = {};
  for (const [no, r] of Object.entries(ranges)) fields[no] = paramArb(r);
  return fc.record(fields, { requiredKeys: [] }) as unknown as fc.Arbitrary<ParamBlock>;
}

/** Epochs: near the target's own (most), the corners of uint64, any uint64, and huge jumps. */
export const epochArb: fc.Arbitrary<EpochSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ rel: fc.constantFrom('highest' as const, 'active' as const, 'staged' as const), delta: fc.bigInt(-2n, 3n) }) },
  { weight: 2, arbitrary: fc.record({ abs: fc.constantFrom(0n, 1n, 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, UINT64_MAX) }) },
  { weight: 1, arbitrary: fc.record({ abs: fc.bigInt(0n, UINT64_MAX) }) },
  {
    weight: 1,
    arbitrary: fc.record({ rel: fc.constant('highest' as const), delta: fc.constantFrom(1000n, 10n ** 6n, 2n ** 31n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 40n) }),
  },
);

/**
 * Lists: a few entries (most), tens of entries, or thousands of copies of one short entry
 * (`repeated`: duplicates, and lists longer than any view, yet requests under the size limit).
 */
export function listArb(item: fc.Arbitrary<string>, repeated: fc.Arbitrary<string>): fc.Arbitrary<ListSpec> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ items: fc.array(item, { maxLength: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ items: fc.array(item, { minLength: 20, maxLength: 60 }) }) },
    { weight: 1, arbitrary: fc.record({ items: fc.array(item, { maxLength: 3 }), repeat: fc.integer({ min: 2, max: 5000 }), of: repeated }) },
  );
}

/** Expands a list. */
export function expandList(l: ListSpec): string[] {
  const out = [...l.items];
  if (l.repeat !== undefined && l.of !== undefined) for (let i = 0; i < l.repeat; i++) out.push(l.of);
  return out;
}

/** Control cases; `ctx` says which addresses lists may name. */
export function controlCaseArb(ctx: AddressContext, raw: boolean): fc.Arbitrary<ControlCase> {
  const address = addressArb(ctx);
  const list = listArb(address, addressArb(ctx, { short: true }));
  const topology = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(1n, 2n, 3n, 4n) },
    { weight: 1, arbitrary: fc.constantFrom(0n, 5n, 1000n, -1n, 2n ** 31n, 2n ** 32n + 1n) },
  );
  const params: fc.Arbitrary<ParamsSpec> = fc.record(
    {
      hyparview: blockArb(PARAM_RANGES.hyparview),
      pubsub: blockArb(PARAM_RANGES.pubsub),
      clientServer: fc.record({ serverIds: list, servers: paramArb(PARAM_RANGES.servers) }, { requiredKeys: ['serverIds'] }),
    },
    { requiredKeys: [] },
  );
  const undecodableKind = fc.constantFrom<UndecodableKind>('truncated-length', 'bad-wire-type', 'truncated-varint');
  const rawBody: fc.Arbitrary<ControlBody> = fc.oneof(
    fc.record({
      call: fc.constant('Raw' as const),
      method: fc.constantFrom<RawControlMethod>('GetState', 'GetMetrics', 'Route', 'Commit', 'Abort'),
      raw: fc.oneof(
        fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 24 }) }),
        fc.record({ kind: fc.constant('undecodable' as const), how: undecodableKind }),
      ),
    }),
    fc.record({
      call: fc.constant('Raw' as const),
      method: fc.constantFrom<RawControlMethod>('Prepare', 'SetMembers', 'Probe'),
      raw: fc.record({ kind: fc.constant('undecodable' as const), how: undecodableKind }),
    }),
    // Thousands of list entries: requests above the size limit.
    fc.record({
      call: fc.constant('SetMembers' as const),
      members: fc.record({ items: fc.constant([]), repeat: fc.integer({ min: 4000, max: 6000 }), of: fc.constant('1'.repeat(1000)) }),
    }),
  );
  const body: fc.Arbitrary<ControlBody> = fc.oneof(
    { weight: 1, arbitrary: fc.record({ call: fc.constant('GetState' as const), viewsOnly: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ call: 'GetMetrics' as const }) },
    {
      weight: 8,
      arbitrary: fc.record(
        {
          call: fc.constant('Prepare' as const),
          epoch: epochArb,
          topology,
          params,
          members: list,
          contacts: list,
          seed: fc.oneof(fc.bigInt(0n, 2n ** 32n - 1n), fc.constant(UINT64_MAX)),
        },
        { requiredKeys: ['call', 'epoch', 'topology', 'members', 'contacts', 'seed'] },
      ),
    },
    { weight: 6, arbitrary: fc.record({ call: fc.constantFrom('Route' as const, 'Commit' as const, 'Abort' as const), epoch: epochArb }) },
    { weight: 3, arbitrary: fc.record({ call: fc.constant('SetMembers' as const), members: list }) },
    {
      weight: 2,
      arbitrary: fc.record({
        call: fc.constant('Probe' as const),
        epoch: epochArb,
        count: fc.oneof(fc.bigInt(0n, 3n), fc.constantFrom(100n, 101n, 2n ** 32n - 1n)),
        // Mostly short: a probe over a live epoch waits its whole timeout for garbage members.
        timeoutMs: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(1n, 50n, 200n) },
          { weight: 1, arbitrary: fc.constantFrom(0n, 60_000n, 60_001n, 2n ** 32n - 1n) },
        ),
        expect: list,
      }),
    },
  );
  const auth = fc.oneof({ weight: 8, arbitrary: fc.constant<AuthMode>('token') }, { weight: 1, arbitrary: fc.constantFrom(...BAD_AUTH_MODES) });
  return fc.record({ auth, body: raw ? rawBody : body });
}

/** What the target last reported, for relative epochs and the jump rule. */
export class ControlTracker {
  active = 0n;
  staged = 0n;
  /** Highest epoch the target accepted a Prepare of, as far as the suite saw. */
  highest = 0n;

  /** The absolute epoch of `e` now. */
  resolve(e: EpochSpec): bigint {
    if ('abs' in e) return e.abs;
    const base = e.rel === 'highest' ? this.highest : e.rel === 'active' ? this.active : this.staged;
    const v = base + e.delta;
    return v < 0n ? 0n : v > UINT64_MAX ? UINT64_MAX : v;
  }

  /** Takes in a SwitchReply (active, staged) or a SidecarState. */
  observe(active: number, staged: number): void {
    this.active = BigInt(active);
    this.staged = BigInt(staged);
    if (this.active > this.highest) this.highest = this.active;
    if (this.staged > this.highest) this.highest = this.staged;
  }

  reset(): void {
    this.active = this.staged = this.highest = 0n;
  }
}

function listFields(no: number, l: ListSpec): WireField[] {
  return expandList(l).map((s) => bytes(no, s));
}

function blockFields(b: ParamBlock | undefined): WireField[] {
  return Object.entries(b ?? {}).map(([no, v]) => varint(Number(no), v));
}

/** The method and request bytes of `c`, its epochs resolved against `t`. */
export function encodeControlCase(c: ControlCase, t: ControlTracker): { method: string; request: Buffer; epoch?: bigint } {
  const b = c.body;
  switch (b.call) {
    case 'GetState':
      return { method: SERVICE + 'GetState', request: encodeFields(b.viewsOnly ? [varint(1, 1)] : []) };
    case 'GetMetrics':
      return { method: SERVICE + 'GetMetrics', request: Buffer.alloc(0) };
    case 'Prepare': {
      const epoch = t.resolve(b.epoch);
      const params: WireField[] = [];
      if (b.params?.hyparview !== undefined) params.push(bytes(1, blockFields(b.params.hyparview)));
      if (b.params?.pubsub !== undefined) params.push(bytes(2, blockFields(b.params.pubsub)));
      const cs = b.params?.clientServer;
      if (cs !== undefined) params.push(bytes(3, [...listFields(1, cs.serverIds), ...(cs.servers !== undefined ? [varint(2, cs.servers)] : [])]));
      const fields = [
        varint(1, epoch),
        varint(2, b.topology),
        ...(params.length > 0 ? [bytes(3, params)] : []),
        ...listFields(4, b.members),
        ...listFields(5, b.contacts),
        varint(6, b.seed),
      ];
      return { method: SERVICE + 'Prepare', request: encodeFields(fields), epoch };
    }
    case 'Route':
    case 'Commit':
    case 'Abort': {
      const epoch = t.resolve(b.epoch);
      return { method: SERVICE + b.call, request: encodeFields([varint(1, epoch)]), epoch };
    }
    case 'SetMembers':
      return { method: SERVICE + 'SetMembers', request: encodeFields(listFields(1, b.members)) };
    case 'Probe': {
      const epoch = t.resolve(b.epoch);
      return {
        method: SERVICE + 'Probe',
        request: encodeFields([varint(1, epoch), varint(2, b.count), varint(3, b.timeoutMs), ...listFields(4, b.expect)]),
        epoch,
      };
    }
    case 'Raw':
      return { method: SERVICE + b.method, request: b.raw.kind === 'random' ? Buffer.from(b.raw.bytes) : undecodable(b.raw.how) };
  }
}

/** The request as the sidecar's decoder reads it, loosely typed (only what the oracle looks at). */
interface Decoded {
  epoch?: number;
  topology?: string | number;
  params?: {
    hyparview?: Record<string, number | undefined> | null;
    pubsub?: Record<string, number | undefined> | null;
    clientServer?: { serverIds: string[]; servers?: number } | null;
  } | null;
  members?: string[];
  contacts?: string[];
  timeoutMs?: number;
}

function decode(method: string, request: Buffer): Decoded | undefined {
  const t = loadProto().topology.v1;
  const name = method.slice(SERVICE.length);
  const type = {
    GetState: t.GetStateRequest,
    GetMetrics: t.GetMetricsRequest,
    Prepare: t.PrepareRequest,
    Route: t.EpochRequest,
    Commit: t.EpochRequest,
    Abort: t.EpochRequest,
    SetMembers: t.SetMembersRequest,
    Probe: t.ProbeRequest,
  }[name];
  if (type === undefined) throw new Error(`unknown Control method ${method}`);
  try {
    return type.deserialize(request) as Decoded;
  } catch {
    return undefined;
  }
}

const EPOCH_REFUSALS = [grpc.status.INVALID_ARGUMENT, grpc.status.OUT_OF_RANGE, grpc.status.FAILED_PRECONDITION];

function epochRefusal(epoch: number | undefined): Expectation | undefined {
  const e = epoch ?? 0;
  if (e === 0) return refuse('epoch', 'epoch 0 is none', ...EPOCH_REFUSALS);
  if (!Number.isSafeInteger(e)) return refuse('epoch', `epoch ${e} is beyond 2^53 - 1`, ...EPOCH_REFUSALS);
  return undefined;
}

/**
 * The refusal a list with an entry that is no host:port must get: INVALID_ARGUMENT — or, when the
 * list is also longer than the sidecar takes (contacts: MAX_CONTACTS), RESOURCE_EXHAUSTED, which
 * the sidecar may check first: either fault names the field and its limit.
 */
function addressRefusal(field: string, list: readonly string[] | undefined): Expectation | undefined {
  const bad = (list ?? []).find((a) => classifyAddress(a) === 'invalid');
  if (bad === undefined) return undefined;
  const limit = field === 'contacts' ? MAX_CONTACTS : MAX_MEMBERS;
  const codes = (list ?? []).length > limit ? [grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED] : [grpc.status.INVALID_ARGUMENT];
  return refuse('address', `${field} has ${JSON.stringify(bad.slice(0, 80))}, no host:port`, ...codes);
}

function rangeRefusal(
  block: string,
  values: Record<string, number | undefined> | null | undefined,
  ranges: Readonly<Record<number, Range>>,
  names: Readonly<Record<number, string>>,
): Expectation | undefined {
  for (const [no, r] of Object.entries(ranges)) {
    const name = names[Number(no)] as string;
    const v = values?.[name];
    if (v !== undefined && v !== null && (v < r.min || v > r.max))
      return refuse('params', `params.${block}.${name} ${v} is outside the CRD's ${r.min}..${r.max}`, grpc.status.INVALID_ARGUMENT);
  }
  return undefined;
}

/**
 * What the target must answer to `c` (request bytes `request` of `method`): a wrong or missing
 * token UNAUTHENTICATED; a request above the limit RESOURCE_EXHAUSTED; undecodable bytes
 * INVALID_ARGUMENT (the last two may come before the token check); a topology outside the enum,
 * an address that is no host:port, or an overlay parameter outside the CRD's range
 * INVALID_ARGUMENT; epoch 0 or beyond 2^53 - 1 refused. Anything else may also be refused for the
 * target's state (FAILED_PRECONDITION), except GetState, GetMetrics and a valid SetMembers of at
 * most {@link LIST_ALWAYS_ACCEPTED} entries, which must succeed. Validation comes before the
 * state: a bad argument is INVALID_ARGUMENT whatever the state (gRPC's status guide).
 */
export function expectControl(c: ControlCase, method: string, request: Buffer): Expectation {
  const badAuth = c.auth !== 'token';
  const unauth = refuse('auth', `authorization ${c.auth}`, grpc.status.UNAUTHENTICATED);
  if (request.length > MAX_REQUEST_BYTES) {
    const size = refuse('size', `request of ${request.length} bytes exceeds ${MAX_REQUEST_BYTES}`, grpc.status.RESOURCE_EXHAUSTED);
    return badAuth ? (anyRefusal([size, unauth]) as Expectation) : size;
  }
  const d = decode(method, request);
  if (d === undefined) {
    const bad = refuse('undecodable', 'the request does not decode', grpc.status.INVALID_ARGUMENT);
    return badAuth ? (anyRefusal([bad, unauth]) as Expectation) : bad;
  }
  if (badAuth) return unauth;
  const name = method.slice(SERVICE.length);
  switch (name) {
    case 'GetState':
    case 'GetMetrics':
      return OK;
    case 'SetMembers':
      return addressRefusal('members', d.members) ?? ((d.members ?? []).length <= LIST_ALWAYS_ACCEPTED ? OK : ANY);
    case 'Route':
    case 'Commit':
    case 'Abort':
      return epochRefusal(d.epoch) ?? ANY;
    case 'Probe': {
      const effective = Math.min(MAX_PROBE_TIMEOUT_MS, d.timeoutMs || DEFAULT_PROBE_TIMEOUT_MS);
      const slow = effective > PROBE_TIMEOUT_WITHIN_DEADLINE_MS ? new Set([grpc.status.DEADLINE_EXCEEDED]) : undefined;
      return epochRefusal(d.epoch) ?? { kind: 'any', ...(slow !== undefined ? { alsoAllowed: slow } : {}) };
    }
    case 'Prepare': {
      const known = ['FULL_MESH', 'HYPAR_VIEW', 'CLIENT_SERVER', 'PUB_SUB'];
      const topology = known.includes(String(d.topology))
        ? undefined
        : refuse('topology', `topology ${String(d.topology)} is outside the enum`, grpc.status.INVALID_ARGUMENT);
      const cs = d.params?.clientServer;
      const servers =
        cs?.servers !== undefined && cs.servers !== null && (cs.servers < PARAM_RANGES.servers.min || cs.servers > PARAM_RANGES.servers.max)
          ? refuse('params', `params.clientServer.servers ${cs.servers} is outside the CRD's range`, grpc.status.INVALID_ARGUMENT)
          : undefined;
      return (
        anyRefusal([
          topology,
          epochRefusal(d.epoch),
          addressRefusal('members', d.members),
          addressRefusal('contacts', d.contacts),
          addressRefusal('params.clientServer.serverIds', cs?.serverIds),
          rangeRefusal('hyparview', d.params?.hyparview, PARAM_RANGES.hyparview, HYPARVIEW_FIELD_NAMES),
          rangeRefusal('pubsub', d.params?.pubsub, PARAM_RANGES.pubsub, PUBSUB_FIELD_NAMES),
          servers,
        ]) ?? ANY
      );
    }
  }
  throw new Error(`no oracle for ${method}`);
}

/** A case and how it ended. */
export interface ControlResult {
  readonly c: ControlCase;
  readonly method: string;
  readonly requestBytes: number;
  readonly expectation: Expectation;
  readonly outcome: CaseOutcome;
  /** For an accepted Prepare: the epoch, and the highest the target had accepted before it. */
  readonly accepted?: { readonly epoch: bigint; readonly highestBefore: bigint };
}

/**
 * Runs `cases` one after another against `client` (Probes in the background, as they wait), each
 * resolved against and then feeding `tracker`.
 */
export async function runControlCases(client: RawClient, token: string, cases: readonly ControlCase[], tracker: ControlTracker): Promise<ControlResult[]> {
  const t = loadProto().topology.v1;
  const results: Promise<ControlResult>[] = [];
  for (const c of cases) {
    const { method, request, epoch } = encodeControlCase(c, tracker);
    const expectation = expectControl(c, method, request);
    const highestBefore = tracker.highest;
    const call = client.unary(method, request, authMetadata(c.auth, token), c.body.call === 'Probe' ? PROBE_CALL_DEADLINE_MS : CONTROL_CALL_DEADLINE_MS);
    const base = { c, method, requestBytes: request.length, expectation };
    if (c.body.call === 'Probe') {
      results.push(call.then((outcome) => ({ ...base, outcome })));
      continue;
    }
    const outcome = await call;
    let accepted: ControlResult['accepted'];
    if (outcome.code === grpc.status.OK && outcome.reply !== undefined) {
      if (method.endsWith('/GetState')) {
        const s = t.SidecarState.deserialize(outcome.reply);
        tracker.observe(s.activeEpoch, s.stagedEpoch);
      } else if (/\/(Prepare|Route|Commit|Abort)$/.test(method)) {
        const r = t.SwitchReply.deserialize(outcome.reply);
        tracker.observe(r.activeEpoch, r.stagedEpoch);
        if (method.endsWith('/Prepare') && epoch !== undefined) {
          accepted = { epoch, highestBefore };
          if (epoch > tracker.highest) tracker.highest = epoch;
        }
      }
    }
    results.push(Promise.resolve({ ...base, outcome, ...(accepted !== undefined ? { accepted } : {}) }));
  }
  return Promise.all(results);
}
