/**
 * The cluster token on Peer and Control calls: `authorization: Bearer <token>` metadata, compared
 * in constant time. The Overlay API (loopback only) and Health (Kubernetes probes) carry none.
 * Peer calls present the members' Peer token; Control calls carry the operator's per-resource
 * signature, which sidecars verify with its public key (control-credential.ts); a bearer token on
 * Control is shared-token mode.
 */
import * as grpc from '@grpc/grpc-js';

/** Metadata key of the token. */
export const AUTHORIZATION_KEY = 'authorization';

/** Outcome of checking a call's metadata. */
export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What checks a presented bearer token: the Peer {@link ClusterToken}, or the Control verifier (control-credential.ts). */
export interface TokenAcceptor {
  /** Whether `presented` is an accepted token. */
  accepts(presented: string): boolean;
}

/** Checks that `metadata` carries one of the accepted tokens; with no token configured every call passes. */
export function checkToken(metadata: grpc.Metadata, token: TokenAcceptor | undefined): AuthResult {
  if (token === undefined) return { ok: true };
  const values = metadata.get(AUTHORIZATION_KEY);
  const value = values[0];
  if (typeof value !== 'string') return { ok: false, reason: 'missing authorization metadata (expected "Bearer <cluster token>")' };
  if (!value.startsWith('Bearer ') || !token.accepts(value.slice('Bearer '.length))) return { ok: false, reason: 'invalid cluster token' };
  return { ok: true };
}

/** Metadata carrying `token` (empty metadata when there is none). */
export function tokenMetadata(token: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set(AUTHORIZATION_KEY, `Bearer ${token}`);
  return md;
}

/** The error a refused call ends with. */
export function unauthenticatedError(reason: string): grpc.ServiceError {
  return Object.assign(new Error(reason), { code: grpc.status.UNAUTHENTICATED, details: reason, metadata: new grpc.Metadata() });
}

/** A gRPC error with `code` and `details`, for handlers to return. */
export function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}
