/**
 * Validation of Control requests (operator → sidecar), before anything reaches the node: every
 * address by the peer-address grammar, lists bounded, enums and numbers range-checked. Pure: a
 * request in, the validated values or a refusal out, whose message names the field and the limit
 * (`Prepare.members[3] "a b": not a host:port address (...)`, `Probe.count 500 is out of range
 * 0-100`). The Control service (control-service.ts) answers a refusal with its status code and
 * counts it (`bad-request`).
 */
import type { PrepareSpec } from './node-api.js';
import * as grpc from '@grpc/grpc-js';
import { checkPeerAddressList } from '../rpc/peer-address.js';
import { kindOfTopology, overlayParamOptions } from '../rpc/overlay-params.js';
import type { PrepareRequest__Output } from '../rpc/generated/topology/v1/PrepareRequest.js';
import type { ProbeRequest__Output } from '../rpc/generated/topology/v1/ProbeRequest.js';
import type { OverlayParams__Output } from '../rpc/generated/topology/v1/OverlayParams.js';
import type { NodeId } from '../overlays/types.js';
import { MAX_EPOCH } from '../member/switch-engine.js';
import type { MemberInfo__Output } from '../rpc/generated/topology/v1/MemberInfo.js';
import { tagsRefusal, type MemberDetails } from '../rpc/member-tags.js';
import { quoteValue } from '../rpc/peer-address.js';

/** Longest a Probe call may wait (ms): keeps a handler from being held open indefinitely. */
export const MAX_PROBE_TIMEOUT_MS = 60_000;
/** Default Probe wait (ms), when the request leaves it 0. */
export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
/** Most probes per call. */
export const MAX_PROBES = 100;
/**
 * Most members in one SetMembers/Prepare call (and in a Probe's `expect`): ten times the CRD's
 * largest ClientServer threshold would be needed to hit it, and 100,000 addresses (~2.5 MB) fit
 * the 4 MiB request limit.
 */
export const MAX_MEMBERS = 100_000;
/** Most bootstrap contacts in one Prepare: a handful is all a join needs. Wild guess: 1,024. */
export const MAX_CONTACTS = 1024;

/** An inclusive range of an integer parameter. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Ranges of the overlay parameters Prepare accepts: at least as wide as the CRD's bounds
 * (src/api/crd-schema.ts) so whatever the operator sends from a valid resource passes, and
 * narrow enough that no value makes an overlay spin (a 0 ms shuffle timer), overflow a timer
 * (Node.js caps delays at 2^31 - 1 ms) or allocate without bound.
 */
export const PARAM_RANGES = {
  'hyparview.active_view_size': { min: 1, max: 64 },
  'hyparview.passive_view_size': { min: 1, max: 1024 },
  'hyparview.active_random_walk_length': { min: 1, max: 32 },
  'hyparview.passive_random_walk_length': { min: 0, max: 32 },
  'hyparview.shuffle_interval_ms': { min: 100, max: 3_600_000 },
  'hyparview.shuffle_active': { min: 0, max: 64 },
  'hyparview.shuffle_passive': { min: 0, max: 1024 },
  'pubsub.lazy_push_delay_ms': { min: 0, max: 10_000 },
  'pubsub.graft_timeout_ms': { min: 1, max: 60_000 },
  'pubsub.optimization_threshold': { min: 1, max: 100 },
  'client_server.servers': { min: 0, max: 1000 },
} as const satisfies Record<string, IntegerRange>;

/** A refused request: its gRPC status and a message naming the field and the limit. */
export interface RequestRefusal {
  readonly ok: false;
  readonly code: grpc.status;
  readonly reason: string;
}

/** A validated request, or its refusal. */
export type Validated<T> = { readonly ok: true; readonly value: T } | RequestRefusal;

function invalid(reason: string): RequestRefusal {
  return { ok: false, code: grpc.status.INVALID_ARGUMENT, reason };
}

function addresses(field: string, list: readonly string[], max: number): RequestRefusal | undefined {
  const r = checkPeerAddressList(field, list, max);
  if (r.ok) return undefined;
  return { ok: false, code: r.tooMany ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INVALID_ARGUMENT, reason: r.reason };
}

function inRange(field: string, v: number | undefined, range: IntegerRange): RequestRefusal | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < range.min || v > range.max) return invalid(`${field} ${v} is out of range ${range.min}-${range.max}`);
  return undefined;
}

/** An epoch field of a request: 1 to {@link MAX_EPOCH} (uint64 values above 2^53 arrive inexact, and are refused too). */
export function checkEpoch(field: string, epoch: number): RequestRefusal | undefined {
  if (!Number.isSafeInteger(epoch) || epoch < 1 || epoch > MAX_EPOCH) return invalid(`${field} ${epoch} is out of range 1-${MAX_EPOCH}`);
  return undefined;
}

/** Checks Prepare's overlay parameters against {@link PARAM_RANGES} and their addresses. */
export function checkParams(params: OverlayParams__Output | null | undefined): RequestRefusal | undefined {
  const h = params?.hyparview;
  const p = params?.pubsub;
  const c = params?.clientServer;
  const r = PARAM_RANGES;
  return (
    inRange('Prepare.params.hyparview.active_view_size', h?.activeViewSize, r['hyparview.active_view_size']) ??
    inRange('Prepare.params.hyparview.passive_view_size', h?.passiveViewSize, r['hyparview.passive_view_size']) ??
    inRange('Prepare.params.hyparview.active_random_walk_length', h?.activeRandomWalkLength, r['hyparview.active_random_walk_length']) ??
    inRange('Prepare.params.hyparview.passive_random_walk_length', h?.passiveRandomWalkLength, r['hyparview.passive_random_walk_length']) ??
    inRange('Prepare.params.hyparview.shuffle_interval_ms', h?.shuffleIntervalMs, r['hyparview.shuffle_interval_ms']) ??
    inRange('Prepare.params.hyparview.shuffle_active', h?.shuffleActive, r['hyparview.shuffle_active']) ??
    inRange('Prepare.params.hyparview.shuffle_passive', h?.shufflePassive, r['hyparview.shuffle_passive']) ??
    inRange('Prepare.params.pubsub.lazy_push_delay_ms', p?.lazyPushDelayMs, r['pubsub.lazy_push_delay_ms']) ??
    inRange('Prepare.params.pubsub.graft_timeout_ms', p?.graftTimeoutMs, r['pubsub.graft_timeout_ms']) ??
    inRange('Prepare.params.pubsub.optimization_threshold', p?.optimizationThreshold, r['pubsub.optimization_threshold']) ??
    inRange('Prepare.params.client_server.servers', c?.servers, r['client_server.servers']) ??
    addresses('Prepare.params.client_server.server_ids', c?.serverIds ?? [], MAX_MEMBERS)
  );
}

/** Validates a Prepare request (the epoch's bound against this sidecar's history is the switch engine's). */
export function validatePrepare(r: PrepareRequest__Output): Validated<PrepareSpec> {
  const kind = kindOfTopology(r.topology);
  if (kind === undefined) return invalid(`Prepare.topology must be FULL_MESH, HYPAR_VIEW, CLIENT_SERVER or PUB_SUB, got ${String(r.topology)}`);
  const bad =
    checkEpoch('Prepare.epoch', r.epoch) ??
    addresses('Prepare.members', r.members, MAX_MEMBERS) ??
    addresses('Prepare.contacts', r.contacts, MAX_CONTACTS) ??
    checkParams(r.params);
  if (bad !== undefined) return bad;
  return { ok: true, value: { epoch: r.epoch, kind, params: overlayParamOptions(r.params), members: r.members, contacts: r.contacts, seed: r.seed } };
}

/** Validates SetMembers' list. */
export function validateMembers(members: readonly string[]): Validated<readonly NodeId[]> {
  const bad = addresses('SetMembers.members', members, MAX_MEMBERS);
  return bad ?? { ok: true, value: members };
}

/** Longest pod name in `member_info` (a DNS subdomain, RFC 1123). */
export const MAX_POD_NAME_LENGTH = 253;

/**
 * Validates SetMembers' `member_info` against its (already validated) `members`: each entry names
 * a member of the list, once; pod names are short and printable; tags as `tagRefusal` says.
 * Undefined when the request carries none (an operator that predates it).
 */
export function validateMemberInfo(members: readonly NodeId[], info: readonly MemberInfo__Output[]): Validated<readonly MemberDetails[] | undefined> {
  if (info.length === 0) return { ok: true, value: undefined };
  const listed = new Set(members);
  const seen = new Set<string>();
  const out: MemberDetails[] = [];
  for (const [i, m] of info.entries()) {
    const field = `SetMembers.member_info[${i}]`;
    if (!listed.has(m.address)) return invalid(`${field}.address ${quoteValue(m.address)} is not in SetMembers.members`);
    if (seen.has(m.address)) return invalid(`${field}.address ${quoteValue(m.address)} is listed twice`);
    seen.add(m.address);
    // eslint-disable-next-line no-control-regex
    if (m.pod.length > MAX_POD_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(m.pod))
      return invalid(`${field}.pod ${quoteValue(m.pod)} must be at most ${MAX_POD_NAME_LENGTH} printable characters`);
    const bad = tagsRefusal(`${field}.tags`, m.tags);
    if (bad !== undefined) return invalid(bad);
    out.push({ address: m.address, pod: m.pod, tags: { ...m.tags } });
  }
  return { ok: true, value: out };
}

/** A validated Probe. */
export interface ProbeArgs {
  readonly epoch: number;
  readonly count: number;
  readonly timeoutMs: number;
  readonly expect: readonly NodeId[];
}

/** Validates a Probe request: 0 for `count` or `timeout_ms` means the default (1 probe, {@link DEFAULT_PROBE_TIMEOUT_MS}). */
export function validateProbe(r: ProbeRequest__Output): Validated<ProbeArgs> {
  const bad =
    checkEpoch('Probe.epoch', r.epoch) ??
    inRange('Probe.count', r.count, { min: 0, max: MAX_PROBES }) ??
    inRange('Probe.timeout_ms', r.timeoutMs, { min: 0, max: MAX_PROBE_TIMEOUT_MS }) ??
    addresses('Probe.expect', r.expect, MAX_MEMBERS);
  if (bad !== undefined) return bad;
  return { ok: true, value: { epoch: r.epoch, count: r.count || 1, timeoutMs: r.timeoutMs || DEFAULT_PROBE_TIMEOUT_MS, expect: r.expect } };
}
