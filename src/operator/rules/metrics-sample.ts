/**
 * Which members the reconciler probes for metrics (seed §6: collecting from thousands of nodes
 * must be sampled). Up to `spec.autoSwitch.sampleSize` members, evenly spread over the name order
 * and rotated by the evaluation round, so every member is sampled within a few rounds and the same
 * round always samples the same members (deterministic, no randomness).
 */

/** Picks at most `sampleSize` of `names` (already sorted): every k-th name, offset by `round`. */
export function metricsSample(names: readonly string[], sampleSize: number, round: number): string[] {
  const n = names.length;
  if (n <= sampleSize) return [...names];
  const stride = n / sampleSize;
  const offset = ((round % Math.ceil(stride)) + Math.ceil(stride)) % Math.ceil(stride);
  const out: string[] = [];
  for (let i = 0; i < sampleSize; i++) {
    const idx = Math.floor(i * stride) + offset;
    out.push(names[Math.min(n - 1, idx)]!);
  }
  return [...new Set(out)];
}
