/**
 * The cluster token on Peer and Control calls: `authorization: Bearer <token>` metadata, compared
 * in constant time. The Overlay API (loopback only) and Health (Kubernetes probes) carry none.
 */
import * as grpc from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';

/** Metadata key of the token. */
export const AUTHORIZATION_KEY = 'authorization';

/** Outcome of checking a call's metadata. */
export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks that `metadata` carries `token`; with no token configured every call passes. */
export function checkToken(metadata: grpc.Metadata, token: string | undefined): AuthResult {
  if (token === undefined) return { ok: true };
  const values = metadata.get(AUTHORIZATION_KEY);
  const value = values[0];
  if (typeof value !== 'string') return { ok: false, reason: 'missing authorization metadata (expected "Bearer <cluster token>")' };
  const presented = Buffer.from(value.startsWith('Bearer ') ? value.slice('Bearer '.length) : '', 'utf8');
  const expected = Buffer.from(token, 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'invalid cluster token' };
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
