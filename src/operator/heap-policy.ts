/**
 * The V8 heap policy of the operator process, applied by heap-policy-init.ts, which main.ts imports
 * first, before client-node and the rest are loaded.
 *
 * Why: with 1,000 ClusterTopologies (bench/operator-resources.ts) the live heap after a full GC
 * is about 55 MiB — two thirds of it the source and bytecode of client-node's generated API,
 * which every KubeConfig user loads — yet the heap grew to about 180 MiB and the RSS to 275 MiB.
 * On a machine with gigabytes of memory V8 picks a large heap limit and lets the old generation
 * grow up to 4× the live size before the next mark-compact, so the garbage of each reconcile (API
 * responses, watch events) piles up. `--optimize-for-size` makes V8 grow the heap by at most 1.3×
 * the live size and flush unused bytecode sooner; it is read at every GC, so setting it at run
 * time works, unlike `--max-old-space-size` (fixed when the isolate is created; set that through
 * NODE_OPTIONS if a hard cap is wanted).
 *
 * `TOPOLOGY_OPERATOR_V8_FLAGS` replaces the flags (empty: V8's defaults), e.g. to trade memory
 * back for throughput on a large cluster.
 */
import { setFlagsFromString } from 'node:v8';

/** The V8 flags set at start-up unless `TOPOLOGY_OPERATOR_V8_FLAGS` says otherwise. */
export const DEFAULT_V8_FLAGS = '--optimize-for-size';

/** The flags to set for `env`: `TOPOLOGY_OPERATOR_V8_FLAGS` when set (possibly empty), else the default. */
export function heapFlags(env: NodeJS.ProcessEnv): string[] {
  const raw = env.TOPOLOGY_OPERATOR_V8_FLAGS ?? DEFAULT_V8_FLAGS;
  return raw.split(/\s+/).filter((f) => f !== '');
}

/** Sets the heap flags for `env` in this process's V8; returns them. */
export function applyHeapPolicy(env: NodeJS.ProcessEnv): string[] {
  const flags = heapFlags(env);
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}
