/**
 * Verification of a staged epoch, run when the rollout engine asks with a `verify` action: the
 * DESIGN.md checks, "its graph is connected over all ready members, views are within bounds, probe
 * broadcasts reach every member", plus "no member was lost during the switch" (members-tracker.ts).
 *
 * 1. Connectivity: every member's Control.State for the epoch; the union of active views must
 *    connect all of them, and for a FullMesh link every pair (the loopback fleet's
 *    `overlayFormed`). A freshly prepared gossip
 *    overlay needs a moment to converge, so this is polled for up to {@link convergeBudgetMs}
 *    before it counts as a failure; one slow join must not roll a switch back.
 * 2. View bounds: HyParView-based overlays keep at most `activeViewSize` active links.
 * 3. Probes: a few members (spread over the name order) broadcast probes over the epoch and wait
 *    for every other member's acknowledgement.
 *
 * Latency is not compared here: probe round trips on a loaded node are not comparable with the
 * application delivery latency sampled before the switch, so the probes' worst latency is reported
 * in `detail` only and `latencyP99Ms` is left unset.
 */
import type { OverlayKind, ResolvedSpec } from '../../api/types.js';
import { connected, incompleteMeshMembers } from '../../overlays/components.js';
import type { VerificationResult } from '../rollout/types.js';
import type { SidecarPool } from './pool.js';
import type { CallResult, SidecarState } from '../../rpc/control-client.js';
import { kindOfTopology } from '../../rpc/overlay-params.js';

/** Probe broadcasts per probing member. */
export const PROBES_PER_SENDER = 2;
/** Members that send probes (spread over the name order). */
export const PROBE_SENDERS = 3;
/**
 * How long a probe waits for acknowledgements (ms). Acknowledgements travel on links opened on
 * demand to the prober; on a loaded node the first ones take seconds to set up, hence more than
 * the Control service's 2 s default.
 */
export const PROBE_TIMEOUT_MS = 5_000;
/**
 * Probe rounds before a miss counts: a round that misses members is repeated once, since the
 * first round also pays for setting up the acknowledgement links (measured: 25 fresh HyParView
 * members on a loaded 2-core node missed most first-round acknowledgements, none in the second).
 */
export const PROBE_ROUNDS = 2;
/** Pause between connectivity polls (ms). */
export const CONVERGE_POLL_MS = 100;

/**
 * How long connectivity may take to converge before it counts as a failure: 10 s (HyParView joins
 * of 100 members settle in a few seconds on loopback; measured by bench/operator.ts), at most half
 * the progress deadline so a stuck overlay still fails the stage in time.
 */
export function convergeBudgetMs(spec: ResolvedSpec): number {
  return Math.min(10_000, (spec.rollout.progressDeadlineSeconds * 1000) / 2);
}

/** Members spread over `list` (every k-th), at most `n`. */
export function spread<T>(list: readonly T[], n: number): T[] {
  if (list.length <= n) return [...list];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(list[Math.floor((i * list.length) / n)] as T);
  return out;
}

interface ConnectivityCheck {
  connected: boolean;
  problems: string[];
}

/** Each member's Control.State reply, as {@link SidecarPool.each} returns them. */
type StateReplies = ReadonlyArray<{ address: string; result: CallResult<SidecarState> }>;

async function connectivity(pool: SidecarPool, spec: ResolvedSpec, epoch: number, addresses: readonly string[], seed?: StateReplies): Promise<ConnectivityCheck> {
  const replies = seed ?? (await pool.each('GetState', addresses, (c) => c.getState()));
  const problems: string[] = [];
  const views = new Map<string, string[]>();
  let kind: OverlayKind | undefined;
  for (const { address, result } of replies) {
    if (!result.ok) {
      problems.push(`${address} did not answer: ${result.message}`);
      continue;
    }
    const o = result.value.overlays.find((x) => x.epoch === epoch);
    if (o === undefined) {
      problems.push(`${address} does not run epoch ${epoch}`);
      continue;
    }
    kind ??= kindOfTopology(o.topology);
    views.set(address, o.activeView);
    const bound = spec.overlays.hyParView.activeViewSize;
    if ((kind === 'HyParView' || kind === 'PubSub') && o.activeView.length > bound) problems.push(`${address} has ${o.activeView.length} active links > activeViewSize ${bound}`);
  }
  if (problems.length === 0 && !connected(addresses, views)) problems.push(`the active views of epoch ${epoch} do not connect all ${addresses.length} members`);
  if (problems.length === 0 && kind === 'FullMesh') {
    const incomplete = incompleteMeshMembers(addresses, views);
    if (incomplete.length > 0) problems.push(`the FullMesh of epoch ${epoch} is still forming: ${incomplete.length} of ${addresses.length} members are not yet linked to every other (${incomplete.slice(0, 3).join(', ')})`);
  }
  return { connected: problems.length === 0, problems };
}

/**
 * Verifies `epoch` over `addresses` (the ready members the engine named). `lost` are members lost
 * during the switch (they fail the verification outright). `observed`: the members' states this
 * reconcile already read (address → state); the first connectivity check uses them instead of
 * asking every sidecar again (later polls ask). Never throws.
 */
export async function verifyEpoch(pool: SidecarPool, spec: ResolvedSpec, epoch: number, addresses: readonly string[], lost: readonly string[], now: () => Date, observed?: ReadonlyMap<string, SidecarState>): Promise<VerificationResult> {
  // Millisecond precision, like the rollout's verificationStartedAt it is compared with.
  const checkedAt = (): string => now().toISOString();
  if (lost.length > 0) {
    return { epoch, checkedAt: checkedAt(), connected: false, probesSent: 0, probesDelivered: 0, detail: `members lost during the switch: ${lost.join(', ')}`, membersLost: [...lost] };
  }
  const deadline = now().getTime() + convergeBudgetMs(spec);
  const seed = observed !== undefined && addresses.every((a) => observed.has(a)) ? addresses.map((a) => ({ address: a, result: { ok: true as const, value: observed.get(a)! } })) : undefined;
  let conn = await connectivity(pool, spec, epoch, addresses, seed);
  while (!conn.connected && now().getTime() < deadline) {
    await new Promise((r) => setTimeout(r, CONVERGE_POLL_MS));
    conn = await connectivity(pool, spec, epoch, addresses);
  }
  if (!conn.connected) {
    return { epoch, checkedAt: checkedAt(), connected: false, probesSent: 0, probesDelivered: 0, detail: conn.problems.slice(0, 5).join('; ') };
  }
  if (addresses.length < 2) return { epoch, checkedAt: checkedAt(), connected: true, probesSent: 0, probesDelivered: 0 };
  const senders = spread(addresses, PROBE_SENDERS);
  let sent = 0;
  let delivered = 0;
  let worst = 0;
  const missing = new Set<string>();
  for (let round = 1; round <= PROBE_ROUNDS; round++) {
    sent = 0;
    delivered = 0;
    worst = 0;
    missing.clear();
    const replies = await pool.each('Probe', senders, (c, self) => c.probe(epoch, PROBES_PER_SENDER, PROBE_TIMEOUT_MS, addresses.filter((a) => a !== self)));
    for (const { address, result } of replies) {
      sent += PROBES_PER_SENDER * (addresses.length - 1);
      if (!result.ok) {
        missing.add(`${address} (probe failed: ${result.message})`);
        continue;
      }
      for (const p of result.value.probes) {
        delivered += p.ackedBy.length;
        worst = Math.max(worst, p.maxLatencyMs);
        for (const m of p.missing) missing.add(m);
      }
    }
    if (missing.size === 0) break;
  }
  const result: VerificationResult = { epoch, checkedAt: checkedAt(), connected: true, probesSent: sent, probesDelivered: Math.min(delivered, sent) };
  result.detail = missing.size > 0 ? `probes not acknowledged by ${[...missing].slice(0, 5).join(', ')}` : `probes acknowledged by all ${addresses.length} members, worst ${worst.toFixed(1)} ms`;
  return result;
}
