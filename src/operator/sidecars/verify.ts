/**
 * Verification of a staged epoch, run when the rollout engine asks with a `verify` action: the
 * DESIGN.md checks, "its graph is connected over all ready members, views are within bounds, probe
 * broadcasts reach every member", plus "no member was lost during the switch" (members-tracker.ts).
 *
 * It never waits inside a reconcile pass. A verification is a small job per resource that the
 * passes move on, each with what it observed:
 *
 * 1. Connectivity, from the member states the pass already read (no extra round): the union of
 *    active views must connect all members, and for a FullMesh link every pair. A freshly
 *    prepared gossip overlay needs a moment to converge, so "not connected" is "not yet" for up to
 *    {@link convergeBudgetMs} (counted on the injected clock from the job's start) before it is a
 *    failure; one slow join must not roll a switch back.
 * 2. View bounds: HyParView-based overlays keep at most `activeViewSize` active links.
 * 3. Probes: a few members (spread over the name order) broadcast probes over the epoch; each
 *    Probe call returns when every other member acknowledged or its timeout passed. The calls are
 *    started by one pass and collected by a later one (the pass's requeue while a verification is
 *    pending is short), so no worker is held while acknowledgements travel. A round that misses
 *    members is repeated once ({@link PROBE_ROUNDS}): late is not lost, but a second miss is.
 *
 * A result's `checkedAt` is when its last probe round was sent (the planner counts a verification
 * for a health window only if it probed after the window began, or ended).
 *
 * Latency is not compared here: probe round trips on a loaded node are not comparable with the
 * application delivery latency sampled before the switch, so the probes' worst latency is reported
 * in `detail` only and `latencyP99Ms` is left unset.
 */
import type { OverlayKind, ResolvedSpec } from '../../api/types.js';
import { connected, incompleteMeshMembers } from '../../overlays/components.js';
import type { ProbeReply, SidecarState } from '../../rpc/control-client.js';
import { kindOfTopology } from '../../rpc/overlay-params.js';
import type { VerificationResult } from '../rollout/types.js';
import type { SidecarPool } from './pool.js';

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

/** What the connectivity check found in the members' states. */
export interface ConnectivityCheck {
  connected: boolean;
  problems: string[];
}

/**
 * Checks `epoch`'s overlay over `addresses` from their states (address → state; a member missing
 * from the map did not answer). Pure.
 */
export function checkConnectivity(
  spec: ResolvedSpec,
  epoch: number,
  addresses: readonly string[],
  states: ReadonlyMap<string, SidecarState>,
): ConnectivityCheck {
  const problems: string[] = [];
  const views = new Map<string, string[]>();
  let kind: OverlayKind | undefined;
  for (const address of addresses) {
    const state = states.get(address);
    if (state === undefined) {
      problems.push(`${address} did not answer`);
      continue;
    }
    const o = state.overlays.find((x) => x.epoch === epoch);
    if (o === undefined) {
      problems.push(`${address} does not run epoch ${epoch}`);
      continue;
    }
    kind ??= kindOfTopology(o.topology);
    views.set(address, o.activeView);
    const bound = spec.overlays.hyParView.activeViewSize;
    if ((kind === 'HyParView' || kind === 'PubSub') && o.activeView.length > bound)
      problems.push(`${address} has ${o.activeView.length} active links > activeViewSize ${bound}`);
  }
  if (problems.length === 0 && !connected(addresses, views)) problems.push(`the active views of epoch ${epoch} do not connect all ${addresses.length} members`);
  if (problems.length === 0 && kind === 'FullMesh') {
    const incomplete = incompleteMeshMembers(addresses, views);
    if (incomplete.length > 0)
      problems.push(
        `the FullMesh of epoch ${epoch} is still forming: ${incomplete.length} of ${addresses.length} members are not yet linked to every other (${incomplete.slice(0, 3).join(', ')})`,
      );
  }
  return { connected: problems.length === 0, problems };
}

/** The outcome of one probe round, as the Probe replies state it. */
interface ProbeRound {
  sent: number;
  delivered: number;
  worstMs: number;
  missing: string[];
}

function tallyProbes(
  replies: ReadonlyArray<{ address: string; result: { ok: true; value: ProbeReply } | { ok: false; message: string } }>,
  members: number,
): ProbeRound {
  const round: ProbeRound = { sent: 0, delivered: 0, worstMs: 0, missing: [] };
  const missing = new Set<string>();
  for (const { address, result } of replies) {
    round.sent += PROBES_PER_SENDER * (members - 1);
    if (!result.ok) {
      missing.add(`${address} (probe failed: ${result.message})`);
      continue;
    }
    for (const p of result.value.probes) {
      round.delivered += p.ackedBy.length;
      round.worstMs = Math.max(round.worstMs, p.maxLatencyMs);
      for (const m of p.missing) missing.add(m);
    }
  }
  round.delivered = Math.min(round.delivered, round.sent);
  round.missing = [...missing];
  return round;
}

/** One resource's verification in progress. */
interface Job {
  epoch: number;
  /** The members verified, joined: a change of the member set starts a new job. */
  key: string;
  addresses: string[];
  /** When the job began (injected clock, ms): the convergence budget counts from here. */
  startedMs: number;
  /** Probe rounds started so far. */
  round: number;
  /** When the current round was sent (ISO, ms precision). */
  sentAt?: string;
  /** The current round's outcome once its calls returned. */
  settled?: ProbeRound;
  /** True while the current round's calls are in flight. */
  probing: boolean;
}

/** Inputs of {@link EpochVerifier.advance}: what the pass knows now. */
export interface VerifyStep {
  spec: ResolvedSpec;
  epoch: number;
  /** Peer addresses of the members the engine named. */
  addresses: readonly string[];
  /** Members lost during the switch: a failure no waiting can mend. */
  lost: readonly string[];
  /** The states this pass read (address → state). */
  states: ReadonlyMap<string, SidecarState>;
  now: Date;
  pool: SidecarPool;
}

/**
 * The verification jobs of every resource (keyed by uid), moved on by the reconcile passes. The
 * only memory is the job and the latest finished result; losing it (a restart, a new leader)
 * costs one verification.
 */
export class EpochVerifier {
  private readonly jobs = new Map<string, Job>();
  private readonly results = new Map<string, VerificationResult>();

  /**
   * `onRoundReturned(uid)`: a probe round of `uid` returned, so a pass now would move its
   * verification on. The reconciler enqueues the resource (as controller-runtime's channel source
   * wakes a controller), so a switch need not wait out the requeue; the requeue stays the backstop.
   */
  constructor(private readonly onRoundReturned: (uid: string) => void = () => undefined) {}

  /** The latest finished verification of `uid`, for the planner. */
  result(uid: string): VerificationResult | undefined {
    return this.results.get(uid);
  }

  /** True while `uid` has a verification that has not finished (converging or probing). */
  pending(uid: string): boolean {
    return this.jobs.has(uid);
  }

  /**
   * Moves `uid`'s verification of `step.epoch` on by what is known now, without waiting: finishes
   * it (a result for the next plan), starts or repeats a probe round (collected by a later pass),
   * or leaves it converging. A job of another epoch or member set is dropped first.
   */
  advance(uid: string, step: VerifyStep): void {
    const { spec, epoch, addresses, now } = step;
    const key = addresses.join(',');
    let job = this.jobs.get(uid);
    if (job !== undefined && (job.epoch !== epoch || job.key !== key)) job = undefined;
    if (step.lost.length > 0) {
      this.finish(uid, {
        epoch,
        checkedAt: now.toISOString(),
        connected: false,
        probesSent: 0,
        probesDelivered: 0,
        detail: `members lost during the switch: ${step.lost.join(', ')}`,
        membersLost: [...step.lost],
      });
      return;
    }
    if (job === undefined) {
      job = { epoch, key, addresses: [...addresses], startedMs: now.getTime(), round: 0, probing: false };
      this.jobs.set(uid, job);
    }
    if (job.probing) return;
    if (job.settled !== undefined) {
      const round = job.settled;
      if (round.missing.length > 0 && job.round < PROBE_ROUNDS) {
        this.probe(uid, job, step);
        return;
      }
      const detail =
        round.missing.length > 0
          ? `probes not acknowledged by ${round.missing.slice(0, 5).join(', ')}`
          : `probes acknowledged by all ${addresses.length} members, worst ${round.worstMs.toFixed(1)} ms`;
      this.finish(uid, {
        epoch,
        checkedAt: job.sentAt ?? now.toISOString(),
        connected: true,
        probesSent: round.sent,
        probesDelivered: round.delivered,
        detail,
      });
      return;
    }
    // Not probing yet: the overlay must be formed first.
    const conn = checkConnectivity(spec, epoch, addresses, step.states);
    if (!conn.connected) {
      if (now.getTime() - job.startedMs < convergeBudgetMs(spec)) return;
      this.finish(uid, {
        epoch,
        checkedAt: now.toISOString(),
        connected: false,
        probesSent: 0,
        probesDelivered: 0,
        detail: conn.problems.slice(0, 5).join('; '),
      });
      return;
    }
    if (addresses.length < 2) {
      this.finish(uid, { epoch, checkedAt: now.toISOString(), connected: true, probesSent: 0, probesDelivered: 0 });
      return;
    }
    this.probe(uid, job, step);
  }

  /**
   * Moves on the job `uid` already has, with its own epoch and members (the pass calls this
   * before planning, so a round that returned since the last pass is a result this plan sees).
   */
  resume(uid: string, context: Omit<VerifyStep, 'epoch' | 'addresses'>): void {
    const job = this.jobs.get(uid);
    if (job !== undefined) this.advance(uid, { ...context, epoch: job.epoch, addresses: job.addresses });
  }

  /** Drops `uid`'s job (the engine no longer asks for a verification); keeps its last result. */
  cancel(uid: string): void {
    this.jobs.delete(uid);
  }

  /** Drops everything of `uid` (a deleted resource, or a switch that ended). */
  forget(uid: string): void {
    this.jobs.delete(uid);
    this.results.delete(uid);
  }

  private finish(uid: string, result: VerificationResult): void {
    this.jobs.delete(uid);
    this.results.set(uid, result);
  }

  private probe(uid: string, job: Job, step: VerifyStep): void {
    const senders = spread(job.addresses, PROBE_SENDERS);
    const addresses = job.addresses;
    job.round++;
    job.sentAt = step.now.toISOString();
    job.probing = true;
    delete job.settled;
    void step.pool
      .each('Probe', senders, (c, self) =>
        c.probe(
          job.epoch,
          PROBES_PER_SENDER,
          PROBE_TIMEOUT_MS,
          addresses.filter((a) => a !== self),
        ),
      )
      .then((replies) => {
        job.settled = tallyProbes(replies, addresses.length);
      })
      .catch((err: unknown) => {
        job.settled = {
          sent: senders.length * PROBES_PER_SENDER * (addresses.length - 1),
          delivered: 0,
          worstMs: 0,
          missing: [`probe round failed: ${err instanceof Error ? err.message : String(err)}`],
        };
      })
      .finally(() => {
        job.probing = false;
        if (this.jobs.get(uid) === job) this.onRoundReturned(uid);
      });
  }
}
