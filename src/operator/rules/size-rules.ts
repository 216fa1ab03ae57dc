/**
 * The seed's §4 rules for the Balanced workload: size and metrics decide, with hysteresis.
 *
 * The table is SIZE_RULES_TABLE below (also rendered into docs/crd-reference.md).
 *
 * Hysteresis: FullMesh leaves above largeClusterMinNodes (or, on load signals, from
 * smallClusterMaxNodes up) and comes back only below smallClusterMaxNodes minus hysteresisPercent,
 * so node counts inside the band never flip it back and forth; ClientServer is entered above
 * clientServerMinNodes and left only hysteresisPercent below it.
 */
import type { OverlayKind, ResolvedSpec } from '../../api/types.js';
import type { Choice } from './recommendation.js';
import type { Signals } from './signals.js';

/**
 * True when ClientServer can run on `n` members: a server selector is set (the rollout engine
 * designates the matching members), or `servers` members can serve and at least one is a client.
 */
export function canDesignateServers(spec: ResolvedSpec, n: number): boolean {
  const cs = spec.overlays.clientServer;
  return cs.serverSelector !== undefined || (cs.servers >= 1 && cs.servers < n);
}

/** The lower edge of a hysteresis band: `threshold` reduced by `hysteresisPercent`. */
export function lowered(threshold: number, spec: ResolvedSpec): number {
  return threshold * (1 - spec.autoSwitch.thresholds.hysteresisPercent / 100);
}

/** The initial topology for `n` members (the seed's determine_initial_topology, extended). */
export function initialBySize(spec: ResolvedSpec, n: number): Choice {
  const t = spec.autoSwitch.thresholds;
  if (n < t.smallClusterMaxNodes)
    return {
      topology: 'FullMesh',
      reasons: [`nodeCount ${n} < smallClusterMaxNodes ${t.smallClusterMaxNodes}: a full mesh is affordable and has the fewest hops`],
    };
  if (n >= t.clientServerMinNodes && canDesignateServers(spec, n)) {
    return { topology: 'ClientServer', reasons: [`nodeCount ${n} ≥ clientServerMinNodes ${t.clientServerMinNodes} and servers can be designated`] };
  }
  return {
    topology: 'HyParView',
    reasons: [`nodeCount ${n} ≥ smallClusterMaxNodes ${t.smallClusterMaxNodes}: HyParView keeps ${spec.overlays.hyParView.activeViewSize} links per member`],
  };
}

/** The seed's §4 rules from `current` (undefined: nothing runs yet). */
export function balancedChoice(spec: ResolvedSpec, current: OverlayKind | undefined, n: number, s: Signals): Choice {
  const t = spec.autoSwitch.thresholds;
  if (current === undefined || current === 'PubSub') {
    const c = initialBySize(spec, n);
    return current === 'PubSub' ? { topology: c.topology, reasons: ['PubSub is chosen only for the EventDriven workload', ...c.reasons] } : c;
  }
  const servers = canDesignateServers(spec, n);
  const csTrigger = s.bandwidthHigh ?? s.hopsHigh;
  if (current !== 'ClientServer' && n > t.clientServerMinNodes && csTrigger !== undefined && servers) {
    return { topology: 'ClientServer', reasons: [`nodeCount ${n} > clientServerMinNodes ${t.clientServerMinNodes}`, csTrigger] };
  }
  switch (current) {
    case 'ClientServer': {
      if (!servers)
        return {
          topology: 'HyParView',
          reasons: [`servers cannot be designated among ${n} members (servers ${spec.overlays.clientServer.servers}, no serverSelector)`],
        };
      const low = lowered(t.clientServerMinNodes, spec);
      if (n < low)
        return { topology: 'HyParView', reasons: [`nodeCount ${n} < clientServerMinNodes ${t.clientServerMinNodes} − ${t.hysteresisPercent}% (${low})`] };
      return { topology: 'ClientServer', reasons: [`keep ClientServer: nodeCount ${n} ≥ ${low}`] };
    }
    case 'FullMesh': {
      if (n > t.largeClusterMinNodes)
        return {
          topology: 'HyParView',
          reasons: [`nodeCount ${n} > largeClusterMinNodes ${t.largeClusterMinNodes}: a full mesh needs ${n - 1} links per member`],
        };
      const load = s.partitionsHigh ?? s.connectionLoadHigh ?? s.congested;
      if (n >= t.smallClusterMaxNodes && load !== undefined) {
        return { topology: 'HyParView', reasons: [`nodeCount ${n} ≥ smallClusterMaxNodes ${t.smallClusterMaxNodes}`, load] };
      }
      return { topology: 'FullMesh', reasons: [`keep FullMesh: nodeCount ${n} ≤ largeClusterMinNodes ${t.largeClusterMinNodes}`] };
    }
    case 'HyParView': {
      const poor = s.latencyHigh ?? s.connectivityLow;
      const low = lowered(t.smallClusterMaxNodes, spec);
      if (n < low && poor !== undefined) {
        return { topology: 'FullMesh', reasons: [`nodeCount ${n} < smallClusterMaxNodes ${t.smallClusterMaxNodes} − ${t.hysteresisPercent}% (${low})`, poor] };
      }
      return {
        topology: 'HyParView',
        reasons: [
          `keep HyParView: nodeCount ${n}${poor === undefined ? ', latency and connectivity within thresholds' : ` ≥ smallClusterMaxNodes ${t.smallClusterMaxNodes}`}`,
        ],
      };
    }
  }
}

/** The seed §4 rules of the Balanced workload, as a table. Markdown, rendered into docs/crd-reference.md by `npm run docs:crd`. */
export const SIZE_RULES_TABLE = `
| current      | switch to    | when (thresholds from spec.autoSwitch.thresholds)                                   |
|--------------|--------------|-------------------------------------------------------------------------------------|
| (none)       | FullMesh     | n < smallClusterMaxNodes (determine_initial_topology)                                |
| (none)       | ClientServer | n ≥ clientServerMinNodes and servers can be designated                               |
| (none)       | HyParView    | otherwise                                                                            |
| any but CS   | ClientServer | n > clientServerMinNodes and (bandwidth high or hops high) and servers designatable   |
| ClientServer | HyParView    | servers cannot be designated, or n < clientServerMinNodes × (1 − hysteresis)          |
| FullMesh     | HyParView    | n > largeClusterMinNodes, or n ≥ smallClusterMaxNodes and (partitions, connection load or queue congestion high) |
| HyParView    | FullMesh     | n < smallClusterMaxNodes × (1 − hysteresis) and (latency high or connectivity low)    |
| PubSub       | by size      | the workload is no longer EventDriven: the initial rule above                        |
`;
