/**
 * Retry delays of the app client (connect, resubscribe): exponential backoff with jitter, as
 * gRPC's connection backoff (https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md:
 * initial 1 s, multiplier 1.6, jitter 0.2, max 120 s), scaled down for a sidecar on loopback that
 * is usually back within seconds. Pure: the random source is an argument.
 */

/** How a retry loop waits between attempts. */
export interface BackoffPolicy {
  /** Delay before the second attempt (ms). */
  readonly initialMs: number;
  /** Each delay is the previous one times this. */
  readonly multiplier: number;
  /** Largest delay (ms). */
  readonly maxMs: number;
  /** Each delay is spread uniformly by ± this fraction, so clients started together do not retry together. */
  readonly jitter: number;
}

/** The default: 100 ms, ×1.6, at most 5 s, ±20 %. Multiplier and jitter from gRPC's connection backoff; the bounds a wild guess for loopback. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, multiplier: 1.6, maxMs: 5_000, jitter: 0.2 };

/** The delay (ms) before attempt `attempt` + 1, where attempt 1 was the first; `random` returns [0, 1). */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random() - 1))));
}
