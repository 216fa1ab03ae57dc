/**
 * Workload profiles (the seed's `optimize_for_workload` and §8 "workload-specific profiles"): what
 * each `spec.workload` prefers, on top of the size rules.
 *
 * The table is WORKLOAD_PROFILES_TABLE below (also rendered into docs/crd-reference.md).
 *
 * Why: LowLatency wants the fewest hops, which only a full mesh gives and only while it is small;
 * HighThroughput funnels bulk traffic through provisioned servers as soon as a full mesh is out;
 * Batch tolerates latency and wants the fewest links; EventDriven is the seed's rule
 * ("event_driven → pub_sub"): Plumtree sends one payload per tree link.
 *
 * The ladders use the same hysteresis as the size rules: a rung entered at threshold T is left
 * downwards only below T × (1 − hysteresisPercent/100).
 */
import type { OverlayKind, ResolvedSpec, Workload } from '../../api/types.js';
import type { Choice } from './recommendation.js';
import { balancedChoice, canDesignateServers, lowered } from './size-rules.js';
import type { Signals } from './signals.js';

/** One rung of a ladder: `topology` from `minNodes` members up. */
interface Rung {
  topology: OverlayKind;
  minNodes: number;
  name: string;
}

function ladder(spec: ResolvedSpec, workload: 'HighThroughput' | 'Batch'): Rung[] {
  const t = spec.autoSwitch.thresholds;
  const top: Rung =
    workload === 'HighThroughput'
      ? { topology: 'ClientServer', minNodes: t.largeClusterMinNodes + 1, name: `largeClusterMinNodes ${t.largeClusterMinNodes}` }
      : { topology: 'ClientServer', minNodes: t.clientServerMinNodes, name: `clientServerMinNodes ${t.clientServerMinNodes}` };
  return [
    { topology: 'FullMesh', minNodes: 0, name: 'zero' },
    { topology: 'HyParView', minNodes: t.smallClusterMaxNodes, name: `smallClusterMaxNodes ${t.smallClusterMaxNodes}` },
    top,
  ];
}

/** Climbs or descends `rungs` from `current` with hysteresis; rungs that cannot run are skipped. */
function climb(spec: ResolvedSpec, workload: string, rungs: Rung[], current: OverlayKind | undefined, n: number): Choice {
  const usable = rungs.filter((r) => r.topology !== 'ClientServer' || canDesignateServers(spec, n));
  let i = usable.findIndex((r) => r.topology === current);
  if (i < 0) {
    // Not on this ladder (or its rung is unusable): take the rung for n directly.
    i = 0;
    while (i + 1 < usable.length && n >= usable[i + 1]!.minNodes) i++;
    const r = usable[i]!;
    return { topology: r.topology, reasons: [`workload ${workload}: ${r.topology} for nodeCount ${n}${i > 0 ? ` ≥ ${r.name}` : ''}`] };
  }
  let up = i;
  while (up + 1 < usable.length && n >= usable[up + 1]!.minNodes) up++;
  if (up > i) {
    const r = usable[up]!;
    return { topology: r.topology, reasons: [`workload ${workload}: nodeCount ${n} ≥ ${r.name}: ${r.topology}`] };
  }
  const here = usable[i]!;
  if (i > 0 && n < lowered(here.minNodes, spec)) {
    let j = i - 1;
    while (j > 0 && n < lowered(usable[j]!.minNodes, spec)) j--;
    const r = usable[j]!;
    return {
      topology: r.topology,
      reasons: [
        `workload ${workload}: nodeCount ${n} < ${here.name} − ${spec.autoSwitch.thresholds.hysteresisPercent}% (${lowered(here.minNodes, spec)}): ${r.topology}`,
      ],
    };
  }
  return { topology: here.topology, reasons: [`workload ${workload}: keep ${here.topology} for nodeCount ${n}`] };
}

/** The topology `workload` prefers from `current` with `n` members and the raised `signals`. */
export function workloadChoice(spec: ResolvedSpec, workload: Workload, current: OverlayKind | undefined, n: number, signals: Signals): Choice {
  const t = spec.autoSwitch.thresholds;
  switch (workload) {
    case 'Balanced':
      return balancedChoice(spec, current, n, signals);
    case 'EventDriven':
      return { topology: 'PubSub', reasons: ['workload EventDriven: Plumtree broadcast trees (PubSub) send one payload per tree link'] };
    case 'LowLatency': {
      // FullMesh while small enough: stay up to largeClusterMinNodes, come back below it minus hysteresis.
      const limit = current === 'FullMesh' ? t.largeClusterMinNodes : lowered(t.largeClusterMinNodes, spec);
      if (n <= limit) return { topology: 'FullMesh', reasons: [`workload LowLatency: nodeCount ${n} ≤ ${limit}: a full mesh delivers in one hop`] };
      const c = balancedChoice(spec, current, n, signals);
      return { topology: c.topology, reasons: [`workload LowLatency: nodeCount ${n} > ${limit}, too large for a full mesh`, ...c.reasons] };
    }
    case 'HighThroughput':
    case 'Batch':
      return climb(spec, workload, ladder(spec, workload), current, n);
  }
}

/** What each workload prefers by member count, as a table. Markdown, rendered into docs/crd-reference.md by `npm run docs:crd`. */
export const WORKLOAD_PROFILES_TABLE = `
| workload       | n < small | small ≤ n ≤ large | large < n < clientServerMin | n ≥ clientServerMin |
|----------------|-----------|-------------------|-----------------------------|---------------------|
| Balanced       | FullMesh  | as it is (seed §4: HyParView on load signals, FullMesh back on poor latency) | HyParView | HyParView; ClientServer¹ when bandwidth or hops are high |
| LowLatency     | FullMesh  | FullMesh          | as Balanced                 | as Balanced         |
| HighThroughput | FullMesh  | HyParView         | ClientServer¹               | ClientServer¹       |
| Batch          | FullMesh  | HyParView         | HyParView                   | ClientServer¹       |
| EventDriven    | PubSub    | PubSub            | PubSub                      | PubSub              |

¹ when servers can be designated (serverSelector set, or fewer than n \`servers\`), HyParView otherwise.
`;
