/**
 * `kubectl topology simulate`: the seed's "simulate impact" (§8) before touching a cluster. Each
 * overlay is built at N members in the deterministic simulator (the same scenario as
 * `npm run bench:overlays`: one-contact joins, stabilisation, sequential broadcasts, then a crash of
 * `--fail` % of the members), and the rule engine says which one it would run at that size.
 *
 * Same seed, same numbers: the simulator uses virtual time and seeded randomness only.
 * FullMesh above {@link FULL_MESH_SIMULATE_MAX} members is not simulated (N² links); its row gives
 * the analytic values (N − 1 links per member, 1 hop, reliability 1 without failures).
 */
import { applyDefaults } from '../api/apply-defaults.js';
import type { OverlayKind, Workload } from '../api/types.js';
import { recommendTopology } from '../operator/rules/recommend-topology.js';
import { runScenario } from '../overlays/sim/scenario.js';
import type { SimulateFlags } from './args.js';

/** Largest FullMesh the command simulates; above it the row is analytic. */
export const FULL_MESH_SIMULATE_MAX = 1000;

/** Predictions for one overlay. */
export interface SimulatedOverlay {
  topology: OverlayKind;
  /** Mean connections (links) per member. */
  connectionsPerMember: number;
  connectionsMax: number;
  /** Mean last-delivery hop count of the stable broadcasts. */
  hops: number;
  /** Share of members a broadcast reached, stable phase (1 = all). */
  reliability: number;
  /** Relative message redundancy (extra copies per delivery). */
  rmr: number;
  latencyP99Ms: number;
  /** Reliability of the first broadcast after crashing `failPercent` % of the members. */
  reliabilityUnderFailure: number;
  /** Broadcasts after the crash until one reached every live member (null: none did). */
  broadcastsToRecover: number | null;
  /** Set when the row was computed, not simulated. */
  note?: string;
}

/** The `simulate` result (also its `-o json|yaml` shape). */
export interface SimulateReport {
  nodes: number;
  failPercent: number;
  seed: number;
  workload: Workload;
  overlays: SimulatedOverlay[];
  recommendation: { topology: OverlayKind; reasons: string[] };
}

/** Runs the simulations and asks the rule engine; `progress` receives one line per stage. */
export function simulate(flags: SimulateFlags, progress: (line: string) => void = () => undefined): SimulateReport {
  const spec = applyDefaults({ selector: {}, mode: 'Auto', workload: flags.workload });
  const overlays: SimulatedOverlay[] = [];
  for (const kind of flags.topologies) {
    if (kind === 'FullMesh' && flags.nodes > FULL_MESH_SIMULATE_MAX) {
      overlays.push({
        topology: kind,
        connectionsPerMember: flags.nodes - 1,
        connectionsMax: flags.nodes - 1,
        hops: 1,
        reliability: 1,
        rmr: 0,
        latencyP99Ms: 0,
        reliabilityUnderFailure: 1,
        broadcastsToRecover: 1,
        note: `not simulated above ${FULL_MESH_SIMULATE_MAX} members: ${flags.nodes - 1} links per member`,
      });
      continue;
    }
    const r = runScenario({
      kind,
      nodes: flags.nodes,
      seed: flags.seed,
      broadcasts: flags.broadcasts,
      ...(flags.failPercent > 0 ? { failure: flags.failPercent / 100 } : {}),
      broadcastsAfterFailure: 10,
      joinGapMs: 10,
      stabiliseMs: 30_000,
      windowMs: 3_000,
      settleMs: 200,
      servers: spec.overlays.clientServer.servers,
      latency: { kind: 'uniform', minMs: 1, maxMs: 10, perLink: true },
      // As the sidecars run them: HyParView/PubSub resend recent broadcasts over new links.
      catchUp: true,
      progress,
    });
    const f = r.failures[0];
    overlays.push({
      topology: kind,
      connectionsPerMember: r.connectionsMean,
      connectionsMax: r.connectionsMax,
      hops: r.ldh,
      reliability: r.reliability,
      rmr: r.rmr,
      latencyP99Ms: r.latencyP99Ms,
      reliabilityUnderFailure: f?.firstReliability ?? r.reliability,
      broadcastsToRecover: f === undefined ? 1 : f.broadcastsToFullReliability,
    });
  }
  const rec = recommendTopology(spec, undefined, { nodeCount: flags.nodes });
  return {
    nodes: flags.nodes,
    failPercent: flags.failPercent,
    seed: flags.seed,
    workload: flags.workload,
    overlays,
    recommendation: { topology: rec.topology, reasons: rec.reasons },
  };
}
