/**
 * Running one fuzz property against real sidecars: seeded (FUZZ_SEED, printed with every failure
 * so the run can be replayed), a fixed number of runs, and a bound on shrinking.
 *
 * Shrinking a case against real processes costs real time (a case that kills a sidecar costs a
 * restart per attempt), so once a property has failed it may spend {@link SHRINK_BUDGET_MS}
 * looking for a smaller counterexample; after that every further candidate is skipped as passing,
 * which ends the search with the smallest counterexample found so far. fast-check shrinks a batch
 * by dropping its first cases, so a batch whose failing case comes first would stay whole: after
 * fast-check, each smaller batch that `smaller` proposes (say, each case alone) is tried too, and
 * the first that still fails is reported.
 */
import fc from 'fast-check';

/** Seed of every property when FUZZ_SEED is not set: a fixed number, so a plain run is reproducible. */
export const DEFAULT_FUZZ_SEED = 1313;
/** Time a failed property may spend shrinking its counterexample (ms). Wild guess: enough for ~20 sidecar restarts. */
export const SHRINK_BUDGET_MS = 45_000;

/** The seed of this run: FUZZ_SEED, or {@link DEFAULT_FUZZ_SEED}. */
export function fuzzSeed(): number {
  const text = process.env.FUZZ_SEED;
  if (text === undefined || text === '') return DEFAULT_FUZZ_SEED;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(text)}`);
  return n;
}

/** A generated value as JSON (bigints as `12n`, bytes as arrays), for failure messages. */
export function stringifyCase(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? { bytes: [...x] } : x)) ?? String(v);
}

/** Runs, cases and time (ms) per property, shrinking not included, for the suite's report. */
export const caseCounts = new Map<string, { runs: number; cases: number; ms: number }>();

/** How a property is run. */
export interface FuzzOptions<T> {
  readonly numRuns: number;
  /** Cases in a value (a batch), for the case count. */
  readonly size: (v: T) => number;
  /** Strictly smaller values to try once fast-check is done (each case of a batch alone, say). */
  readonly smaller?: (v: T) => T[];
}

/**
 * Asserts that `check` passes for `options.numRuns` values of `arb`. Throws with the seed, the
 * (shrunk) counterexample and what it broke.
 */
export async function assertFuzz<T>(name: string, arb: fc.Arbitrary<T>, options: FuzzOptions<T>, check: (v: T) => Promise<void>): Promise<void> {
  const seed = fuzzSeed();
  let failedAt: number | undefined;
  const counts = { runs: 0, cases: 0, ms: 0 };
  caseCounts.set(name, counts);
  const property = fc.asyncProperty(arb, async (v) => {
    if (failedAt !== undefined && Date.now() - failedAt > SHRINK_BUDGET_MS) return;
    const t0 = Date.now();
    const counted = failedAt === undefined;
    if (counted) {
      counts.runs++;
      counts.cases += options.size(v);
    }
    try {
      await check(v);
    } catch (err) {
      failedAt ??= Date.now();
      throw err;
    } finally {
      if (counted) counts.ms += Date.now() - t0;
    }
  });
  const details = await fc.check(property, { seed, numRuns: options.numRuns, endOnFailure: false });
  if (!details.failed) return;
  const replay = `FUZZ_SEED=${seed}, fast-check path "${details.counterexamplePath ?? ''}"`;
  if (details.counterexample === null) throw new Error(`[FUZZ_SEED=${seed}] property "${name}" failed (${replay}): ${String(details.errorInstance)}`);
  let value = details.counterexample[0];
  let error: unknown = details.errorInstance;
  let smaller = true;
  while (smaller && options.smaller !== undefined && Date.now() - (failedAt ?? 0) < 2 * SHRINK_BUDGET_MS) {
    smaller = false;
    for (const candidate of options.smaller(value)) {
      try {
        await check(candidate);
      } catch (err) {
        value = candidate;
        error = err;
        smaller = true;
        break;
      }
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  throw new Error(
    `[FUZZ_SEED=${seed}] property "${name}" failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s) (replay: ${replay})\n` +
      `Counterexample: ${stringifyCase(value)}\nGot error: ${message}`,
  );
}
