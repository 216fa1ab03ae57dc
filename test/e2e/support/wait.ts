/**
 * Waiting on conditions in e2e tests: poll with a deadline, never a fixed sleep.
 *
 *   const pods = await waitFor('5 ready pods', async () => { ...; return ok ? value : undefined; });
 *
 * `check` returns a value (done) or undefined/false (not yet); thrown errors count as "not yet"
 * and the last one is reported if the deadline passes.
 */

/** Options for waitFor. */
export interface WaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Pause between checks (default 250 ms). */
  intervalMs?: number;
}

/** Polls `check` until it yields a value other than undefined/false; rejects at the deadline. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const timeout = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeout} ms waiting for ${what}${lastError ? `; last error: ${(lastError as Error).message ?? String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
