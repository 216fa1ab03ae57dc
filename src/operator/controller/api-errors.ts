/**
 * Reading HTTP status codes out of client-node errors: the generated API clients throw
 * `ApiException` (`code`), the watch throws errors with `statusCode`. Callers branch on
 * "not found" / "conflict" rather than on error classes.
 */
import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, when the error carries one. */
export function apiStatusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; statusCode?: unknown };
    if (typeof e.statusCode === 'number') return e.statusCode;
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

/** 404: the object does not exist (any more). */
export function isNotFound(err: unknown): boolean {
  return apiStatusCode(err) === 404;
}

/** 409: a resourceVersion precondition failed, or the object already exists. */
export function isConflict(err: unknown): boolean {
  return apiStatusCode(err) === 409;
}
