/**
 * The reconciler contract (controller-runtime's `pkg/reconcile`).
 *
 * A request names an object and nothing else: the reconciler is level-based and re-reads the world
 * on every call. It returns `{}` when done, `{ requeueAfter }` to be called again later (polling,
 * the next rollout step), or throws: an ordinary error is retried with per-key exponential
 * backoff; a {@link TerminalError} is not retried (logged and counted) — use it for inputs that
 * cannot succeed until someone changes them.
 */

/** The object to reconcile: only its namespace and name. */
export interface Request {
  readonly namespace: string;
  readonly name: string;
}

/** What a successful reconcile asks of the queue. */
export interface Result {
  /** Reconcile this object again after this many milliseconds (not rate limited). */
  requeueAfter?: number;
}

/** Brings one object's world to its desired state; throws to ask for a retry with backoff. */
export type Reconciler = (request: Request) => Promise<Result | void>;

/** An error that retrying cannot fix: the controller logs and counts it and does not requeue. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** True for a {@link TerminalError} or an error whose `cause` chain contains one. */
export function isTerminalError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}

/** The work queue key of a request: "namespace/name" (just "name" for cluster-scoped objects). */
export function requestKey(request: Request): string {
  return request.namespace === '' ? request.name : `${request.namespace}/${request.name}`;
}

/** Inverse of {@link requestKey}. */
export function parseRequestKey(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
