/**
 * The fencing token on Control calls: which leader sent a call, and from which Lease generation.
 *
 * A leader-elected operator sends `x-topology-fencing: <generation>/<holder>` metadata on every
 * Control call, where `generation` is the `leaseTransitions` of the coordination.k8s.io Lease it
 * acquired (the elector increments it on every change of holder) and `holder` its
 * `holderIdentity`. A sidecar obeys the newest generation it has seen and refuses state-changing
 * calls from an older one (src/sidecar/fencing.ts), so a deposed leader that wakes up late cannot
 * undo what its successor did. A caller without leader election (a single replica started with
 * `--leader-elect=false`, the loopback fleet's own engine) sends no token: it is "unfenced".
 *
 * Both ends share this file: the grammar, the limits and the metadata helpers.
 */
import type * as grpc from '@grpc/grpc-js';

/** Metadata key of the fencing token. */
export const FENCING_METADATA_KEY = 'x-topology-fencing';

/** Highest generation: `leaseTransitions` is an int32 in coordination.k8s.io/v1. */
export const MAX_FENCING_GENERATION = 2_147_483_647;

/**
 * Longest holder identity: the elector's identity is a pod name or hostname (a DNS subdomain, at
 * most 253 characters), `_` and 8 hex digits (leader-election.ts `defaultIdentity`).
 */
export const MAX_FENCING_HOLDER_LENGTH = 253 + 1 + 8;

/**
 * Control methods that change a sidecar's state. Only these are refused from an older generation,
 * and only these have their deadline capped at the end of the sender's leadership. Reads
 * (GetState, GetMetrics) and Probe (a measurement: it sends probe broadcasts over an epoch but
 * changes neither the switch state nor the member list) carry the token too, so they raise the
 * sidecar's generation, but are always served.
 */
export const FENCED_METHODS: ReadonlySet<string> = new Set(['Prepare', 'Route', 'Commit', 'Abort', 'SetMembers']);

/** How a sidecar's fencing refusal begins its message (after `<method> refused: `). */
export const FENCED_MARK = 'fenced:';

/** A leader's identity and the Lease generation it acts with. */
export interface FencingToken {
  readonly generation: number;
  readonly holder: string;
}

/** A call's fencing: its token, none (an unfenced caller), or why the metadata is unusable. */
export type FencingRead = { readonly ok: true; readonly token: FencingToken | undefined } | { readonly ok: false; readonly reason: string };

const GENERATION = /^(0|[1-9][0-9]{0,9})$/;
const HOLDER = /^[\x21-\x7e]+$/;

/** The metadata value of `token`: `<generation>/<holder>`. */
export function formatFencingToken(token: FencingToken): string {
  return `${token.generation}/${token.holder}`;
}

/** A short, printable rendering of untrusted input for an error message. */
function shown(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}…` : printable);
}

/** Parses a metadata value; the reason names the key, the part and the limit. */
export function parseFencingToken(value: string): FencingRead {
  const slash = value.indexOf('/');
  if (slash < 0) return { ok: false, reason: `${FENCING_METADATA_KEY} must be "<generation>/<holder>", got ${shown(value)}` };
  const generation = value.slice(0, slash);
  const holder = value.slice(slash + 1);
  if (!GENERATION.test(generation) || Number(generation) > MAX_FENCING_GENERATION) {
    return { ok: false, reason: `${FENCING_METADATA_KEY} generation must be a decimal integer 0..${MAX_FENCING_GENERATION}, got ${shown(generation)}` };
  }
  if (holder.length === 0 || holder.length > MAX_FENCING_HOLDER_LENGTH || !HOLDER.test(holder)) {
    return {
      ok: false,
      reason: `${FENCING_METADATA_KEY} holder must be 1..${MAX_FENCING_HOLDER_LENGTH} printable ASCII characters without spaces, got ${holder.length} characters ${shown(holder)}`,
    };
  }
  return { ok: true, token: { generation: Number(generation), holder } };
}

/** The fencing token of a call's metadata: none, one well-formed value, or the reason it is refused. */
export function readFencingToken(metadata: grpc.Metadata): FencingRead {
  const values = metadata.get(FENCING_METADATA_KEY);
  if (values.length === 0) return { ok: true, token: undefined };
  if (values.length > 1) return { ok: false, reason: `${FENCING_METADATA_KEY} must appear at most once, got ${values.length} values` };
  const value = values[0];
  if (typeof value !== 'string') return { ok: false, reason: `${FENCING_METADATA_KEY} must be text, got binary metadata` };
  return parseFencingToken(value);
}

/** Adds `token` to `metadata` (nothing when undefined); returns `metadata`. */
export function withFencingToken(metadata: grpc.Metadata, token: FencingToken | undefined): grpc.Metadata {
  if (token !== undefined) metadata.set(FENCING_METADATA_KEY, formatFencingToken(token));
  return metadata;
}
