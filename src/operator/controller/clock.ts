/**
 * Time as an injected dependency.
 *
 * The work queue's delays, the rate limiter's token bucket, the informer's restart backoff and
 * leader election all ask a `Clock` for "now" and for timers instead of calling `Date.now()` and
 * `setTimeout` themselves, so unit tests drive them with a {@link FakeClock} (see
 * `fake-clock.ts`) and never sleep. Mirrors k8s.io/utils/clock.
 */

/** A scheduled callback that can be cancelled; cancelling twice or after it fired is harmless. */
export interface Timer {
  cancel(): void;
}

/** The source of time for everything in the controller plumbing. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (0 or less: on the next turn). */
  setTimer(ms: number, fn: () => void): Timer;
  /** Resolves after `ms` milliseconds, or at once (without rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Sleep built on `setTimer`, shared by the real and the fake clock. */
export function sleepWith(clock: Pick<Clock, 'setTimer'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wall clock: `Date.now()` and Node's timers (unref'd so they never keep a process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  sleep(ms, signal) {
    return sleepWith(systemClock, ms, signal);
  },
};
