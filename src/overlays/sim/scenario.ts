/**
 * One benchmark scenario: build an overlay of N members in the simulator the way the papers do,
 * measure it in a stable state, then crash a share of the members at once and watch it heal.
 *
 * Setup (HyParView and Plumtree papers): members join one at a time through ONE contact (the first
 * member), the overlay stabilises for several shuffle periods, then broadcasts start from random live
 * members, one after another. Each broadcast gets a window to complete; metrics are read once all
 * are done, so late redundant copies still count towards RMR.
 */
import type { NodeId, Overlay, WireMessage } from '../types.js';
import { SeededRandom, pickOne } from '../random.js';
import { FullMesh } from '../full-mesh.js';
import { ClientServer } from '../client-server.js';
import { HyParView } from '../hyparview.js';
import { topology } from './topology.js';
import { PubSub } from '../pubsub.js';
import type { OverlayKind } from '../types.js';
import { Simulator } from './simulator.js';
import { broadcastStats, mean, percentile, type BroadcastStats } from './metrics.js';
import { crashFraction, firstMemberContact, joinAll, nodeIds } from './workload.js';
import type { LatencyModel } from './latency.js';

/** Parameters of one scenario run. */
export interface ScenarioOptions {
  readonly kind: OverlayKind;
  readonly nodes: number;
  readonly seed: number;
  /** Broadcasts measured in the stable phase. */
  readonly broadcasts: number;
  /** Share of members (0..1) crashed at once after the stable phase; undefined for none. */
  readonly failure?: number;
  /** Broadcasts sent after the crash. */
  readonly broadcastsAfterFailure: number;
  /** Virtual ms between joins. */
  readonly joinGapMs: number;
  /** Virtual ms of stabilisation after the last join. */
  readonly stabiliseMs: number;
  /** Longest a broadcast may take; the next one starts when it completes or the window ends. */
  readonly windowMs: number;
  /** Quiet time after each broadcast completes (lets prunes and IHAVEs settle, as in the papers' sequential runs). */
  readonly settleMs: number;
  /** Designated servers of ClientServer. */
  readonly servers: number;
  readonly latency: LatencyModel;
  /**
   * HyParView and PubSub resend recent broadcasts over newly made links (their catch-up). With
   * false it is switched off, so a broadcast right after a crash is carried by the flood or tree
   * alone, as in the papers' PeerSim runs.
   */
  readonly catchUp: boolean;
  readonly progress: (line: string) => void;
}

/** What happened after the crash. */
export interface FailureResult {
  readonly crashedPercent: number;
  readonly firstReliability: number;
  /** 1-based index of the first broadcast after the crash that reached every live member; null if none did. */
  readonly broadcastsToFullReliability: number | null;
  /** Reliability of each broadcast after the crash. */
  readonly reliabilitySeries: number[];
  /** RMR of each broadcast after the crash. */
  readonly rmrSeries: number[];
  /** Live members in one connected component of the active views, right after the crash and at the end. */
  readonly largestComponentAfterCrash: number;
  readonly largestComponentAtEnd: number;
  readonly liveNodes: number;
  /** ClientServer: designated servers still alive after the crash (none alive: nobody can relay). */
  readonly serversAlive?: number;
}

/** The measurements of one scenario. */
export interface ScenarioResult {
  readonly overlay: OverlayKind;
  readonly nodes: number;
  /** Whether HyParView/PubSub catch-up was on (see {@link ScenarioOptions.catchUp}). */
  readonly catchUp: boolean;
  readonly connectionsMean: number;
  readonly connectionsMax: number;
  /** Connections per client, for ClientServer. */
  readonly connectionsPerClient?: number;
  /** Share of members whose active view is full (HyParView, PubSub). */
  readonly fullActiveViewShare?: number;
  /** Connected components of the active-view graph. */
  readonly components: number;
  readonly reliability: number;
  /** Mean RMR over the stable phase (broadcasts from the 6th on; all for overlays without a tree). */
  readonly rmr: number;
  /** RMR of broadcasts 1..6 (the tree forming, for PubSub). */
  readonly rmrSeries: number[];
  readonly ldh: number;
  /** LDH of broadcasts 1..6. */
  readonly ldhSeries: number[];
  readonly maxLdh: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly duplicateDeliveries: number;
  readonly failures: FailureResult[];
  readonly events: number;
  readonly virtualSeconds: number;
  readonly joinWallSeconds: number;
  readonly wallSeconds: number;
  /** CPU seconds (user + system) of the run: what the wall time would be on an idle core. */
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
}

/**
 * Message ids each member remembers. A run sends at most ~120 broadcasts, so 1,024 never forgets
 * one, while the overlays' defaults (4,096 to 65,536 ids, preallocated) would cost 10,000 simulated
 * members up to 5 GiB for nothing.
 */
const DEDUP = 1024;

/** Creates the simulator with the right overlay factory. */
function makeSimulator(o: ScenarioOptions, ids: readonly NodeId[]): Simulator<WireMessage, unknown> {
  const servers = ids.slice(0, Math.min(o.servers, ids.length));
  const noHyParViewCatchUp = o.catchUp ? {} : { catchUpCapacity: 0 };
  const noPlumtreeCatchUp = o.catchUp ? {} : { catchUpWindowMs: 0 };
  const factory = (id: NodeId, random: SeededRandom): Overlay<WireMessage, unknown> => {
    switch (o.kind) {
      case 'FullMesh':
        return new FullMesh(id, { dedupCapacity: DEDUP }) as Overlay<WireMessage, unknown>;
      case 'ClientServer':
        return new ClientServer(id, { servers, dedupCapacity: DEDUP }) as Overlay<WireMessage, unknown>;
      case 'HyParView':
        return new HyParView(id, random, { dedupCapacity: DEDUP, ...noHyParViewCatchUp }) as unknown as Overlay<WireMessage, unknown>;
      case 'PubSub':
        return new PubSub(id, random, { dedupCapacity: DEDUP, ...noHyParViewCatchUp }, { dedupCapacity: DEDUP, ...noPlumtreeCatchUp }) as unknown as Overlay<
          WireMessage,
          unknown
        >;
    }
  };
  return new Simulator<WireMessage, unknown>({ seed: o.seed, latency: o.latency }, factory);
}

/** Broadcasts from a random live member and runs until every live member has it or the window ends. */
function broadcastOnce(sim: Simulator<WireMessage, unknown>, random: SeededRandom, o: ScenarioOptions): string {
  const origin = pickOne(random, sim.aliveNodes()) as NodeId;
  const id = sim.broadcast(origin);
  const record = sim.deliveries(id);
  const target = sim.aliveCountNow - 1;
  sim.runUntil(() => (record?.count ?? 0) >= target, o.windowMs);
  sim.runFor(o.settleMs);
  return id;
}

function statsOf(sim: Simulator<WireMessage, unknown>, id: string): BroadcastStats {
  const record = sim.deliveries(id);
  if (record === undefined) throw new Error(`no record for ${id}`);
  return broadcastStats(record, sim.aliveCountNow, (n) => sim.isAlive(n));
}

/** Runs one scenario and returns its measurements. */
export function runScenario(o: ScenarioOptions): ScenarioResult {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const label = `[${o.kind}${o.catchUp ? '' : ' no-catch-up'} ${o.nodes}${o.failure === undefined ? '' : ` fail ${Math.round(o.failure * 100)}%`}]`;
  const ids = nodeIds(o.nodes);
  const sim = makeSimulator(o, ids);
  const random = new SeededRandom(o.seed ^ 0xbe7c);
  const step = Math.max(1, Math.floor(o.nodes / 10));
  joinAll(sim, ids, { waveSize: 1, gapMs: o.joinGapMs, contacts: firstMemberContact }, (joined) => {
    if (joined % step === 0) o.progress(`${label} joined ${joined}/${o.nodes} (${((performance.now() - started) / 1000).toFixed(1)} s wall)`);
  });
  sim.runFor(o.stabiliseMs);
  const joinWallSeconds = (performance.now() - started) / 1000;
  const topo = topology(sim);
  o.progress(`${label} stable: ${topo.components} component(s), ${((performance.now() - started) / 1000).toFixed(1)} s wall`);

  const stable: BroadcastStats[] = [];
  const latencies: number[] = [];
  const ids100: string[] = [];
  for (let b = 0; b < o.broadcasts; b++) {
    ids100.push(broadcastOnce(sim, random, o));
    if ((b + 1) % Math.max(1, Math.floor(o.broadcasts / 4)) === 0) o.progress(`${label} broadcast ${b + 1}/${o.broadcasts}`);
  }
  for (const id of ids100) {
    stable.push(statsOf(sim, id));
    const record = sim.deliveries(id);
    if (record !== undefined) for (const t of record.times) latencies.push(t - record.sentAt);
    sim.forget(id);
  }
  const tail = stable.length > 6 ? stable.slice(5) : stable;

  const failures: FailureResult[] = [];
  if (o.failure !== undefined) failures.push(runFailure(sim, random, o, label, ids));

  const usage = process.resourceUsage();
  return {
    overlay: o.kind,
    nodes: o.nodes,
    catchUp: o.catchUp,
    connectionsMean: mean(topo.degrees),
    connectionsMax: Math.max(0, ...topo.degrees),
    ...(o.kind === 'ClientServer' ? { connectionsPerClient: mean(topo.degrees.slice(o.servers)) } : {}),
    ...(o.kind === 'HyParView' || o.kind === 'PubSub' ? { fullActiveViewShare: topo.full / Math.max(1, topo.degrees.length) } : {}),
    components: topo.components,
    reliability: mean(stable.map((s) => s.reliability)),
    rmr: mean(tail.map((s) => s.rmr)),
    rmrSeries: stable.slice(0, 6).map((s) => s.rmr),
    ldh: mean(tail.map((s) => s.ldh)),
    ldhSeries: stable.slice(0, 6).map((s) => s.ldh),
    maxLdh: Math.max(0, ...stable.map((s) => s.ldh)),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    duplicateDeliveries: stable.reduce((sum, s) => sum + s.duplicates, 0),
    failures,
    events: sim.stats().events,
    virtualSeconds: sim.now / 1000,
    joinWallSeconds,
    wallSeconds: (performance.now() - started) / 1000,
    cpuSeconds: ((cpu) => (cpu.user + cpu.system) / 1e6)(process.cpuUsage(cpuStart)),
    peakRssMiB: usage.maxRSS / 1024,
  };
}

function runFailure(sim: Simulator<WireMessage, unknown>, random: SeededRandom, o: ScenarioOptions, label: string, members: readonly NodeId[]): FailureResult {
  const fraction = o.failure as number;
  crashFraction(sim, fraction, random);
  const serversAlive = members.slice(0, o.servers).filter((id) => sim.isAlive(id)).length;
  const afterCrash = topology(sim);
  const ids: string[] = [];
  for (let b = 0; b < o.broadcastsAfterFailure; b++) ids.push(broadcastOnce(sim, random, o));
  const stats = ids.map((id) => statsOf(sim, id));
  const series = stats.map((s) => s.reliability);
  const full = series.findIndex((r) => r >= 1);
  const atEnd = topology(sim);
  o.progress(`${label} after crash: first ${(series[0] ?? 0).toFixed(4)}, full at ${full < 0 ? 'never' : full + 1}`);
  return {
    crashedPercent: Math.round(fraction * 100),
    firstReliability: series[0] ?? 0,
    broadcastsToFullReliability: full < 0 ? null : full + 1,
    reliabilitySeries: series,
    rmrSeries: stats.map((s) => s.rmr),
    largestComponentAfterCrash: afterCrash.largest,
    largestComponentAtEnd: atEnd.largest,
    liveNodes: sim.aliveCountNow,
    ...(o.kind === 'ClientServer' ? { serversAlive } : {}),
  };
}
