import { expect } from 'chai';
import fc from 'fast-check';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import type { ClusterTopologySpec, OverlayKind, ResolvedSpec, TopologyMetrics, Workload } from '../../../src/api/types.js';
import { WORKLOADS } from '../../../src/api/types.js';
import { OVERLAY_KINDS } from '../../../src/overlays/types.js';
import { recommendTopology } from '../../../src/operator/rules/recommend-topology.js';
import { readSignals } from '../../../src/operator/rules/signals.js';
import { metricsSample } from '../../../src/operator/rules/metrics-sample.js';

const SEED = Number(process.env['SEED'] ?? 20261123);

function spec(extra: Partial<ClusterTopologySpec> = {}): ResolvedSpec {
  return applyDefaults({ selector: { matchLabels: { app: 'x' } }, mode: 'Auto', ...extra });
}

const quiet = (n: number): TopologyMetrics => ({
  nodeCount: n,
  latencyP50Ms: 2,
  latencyP99Ms: 4,
  connectivityScore: 1,
  partitionCount: 0,
  connectionsPerNode: 4,
  bytesPerSecond: 1000,
  maxQueueLength: 0,
  hops: 3,
});

describe('rule engine (seed §4)', () => {
  const table: { name: string; workload?: Workload; current: OverlayKind | undefined; metrics: TopologyMetrics; want: OverlayKind; cites: string }[] = [
    { name: 'initial, 5 nodes → FullMesh', current: undefined, metrics: quiet(5), want: 'FullMesh', cites: 'nodeCount 5 < smallClusterMaxNodes 10' },
    { name: 'initial, 10 nodes → HyParView', current: undefined, metrics: quiet(10), want: 'HyParView', cites: 'nodeCount 10 ≥ smallClusterMaxNodes 10' },
    { name: 'initial, 1500 nodes → ClientServer', current: undefined, metrics: quiet(1500), want: 'ClientServer', cites: 'clientServerMinNodes 1000' },
    {
      name: 'HyParView, 6 nodes, latency high → FullMesh',
      current: 'HyParView',
      metrics: { ...quiet(6), latencyP99Ms: 80 },
      want: 'FullMesh',
      cites: 'latencyP99Ms 80 > maxLatencyMs 50',
    },
    {
      name: 'HyParView, 6 nodes, heavy tail → FullMesh',
      current: 'HyParView',
      metrics: { ...quiet(6), latencyP50Ms: 10, latencyP99Ms: 30 },
      want: 'FullMesh',
      cites: 'latencyDegradationFactor 2',
    },
    {
      name: 'HyParView, 6 nodes, connectivity low → FullMesh',
      current: 'HyParView',
      metrics: { ...quiet(6), connectivityScore: 0.5 },
      want: 'FullMesh',
      cites: 'connectivityScore 0.50 < minConnectivity 0.95',
    },
    { name: 'HyParView, 6 nodes, healthy → stay', current: 'HyParView', metrics: quiet(6), want: 'HyParView', cites: 'keep HyParView' },
    {
      name: 'HyParView, 15 nodes, latency high → stay (not small)',
      current: 'HyParView',
      metrics: { ...quiet(15), latencyP99Ms: 80 },
      want: 'HyParView',
      cites: 'keep HyParView',
    },
    { name: 'FullMesh, 21 nodes → HyParView', current: 'FullMesh', metrics: quiet(21), want: 'HyParView', cites: 'nodeCount 21 > largeClusterMinNodes 20' },
    { name: 'FullMesh, 20 nodes → stay', current: 'FullMesh', metrics: quiet(20), want: 'FullMesh', cites: 'keep FullMesh' },
    {
      name: 'FullMesh, 15 nodes, partitions → HyParView',
      current: 'FullMesh',
      metrics: { ...quiet(15), partitionCount: 5 },
      want: 'HyParView',
      cites: 'partitionCount 5/h > maxPartitionsPerHour 2',
    },
    {
      name: 'FullMesh, 15 nodes, connection load → HyParView',
      current: 'FullMesh',
      metrics: { ...quiet(15), connectionsPerNode: 30 },
      want: 'HyParView',
      cites: 'connectionsPerNode 30 > maxConnectionsPerNode 16',
    },
    {
      name: 'FullMesh, 8 nodes, partitions → stay (small)',
      current: 'FullMesh',
      metrics: { ...quiet(8), partitionCount: 5 },
      want: 'FullMesh',
      cites: 'keep FullMesh',
    },
    {
      name: 'HyParView, 1500 nodes, hops high → ClientServer',
      current: 'HyParView',
      metrics: { ...quiet(1500), hops: 12 },
      want: 'ClientServer',
      cites: 'hops 12 > maxHops 8',
    },
    {
      name: 'HyParView, 1500 nodes, bandwidth high → ClientServer',
      current: 'HyParView',
      metrics: { ...quiet(1500), bytesPerSecond: 2e7 },
      want: 'ClientServer',
      cites: 'maxBytesPerSecondPerNode 10485760',
    },
    { name: 'HyParView, 1500 nodes, healthy → stay', current: 'HyParView', metrics: quiet(1500), want: 'HyParView', cites: 'keep HyParView' },
    { name: 'ClientServer, 950 nodes → stay (hysteresis)', current: 'ClientServer', metrics: quiet(950), want: 'ClientServer', cites: 'keep ClientServer' },
    {
      name: 'ClientServer, 800 nodes → HyParView',
      current: 'ClientServer',
      metrics: quiet(800),
      want: 'HyParView',
      cites: 'clientServerMinNodes 1000 − 10% (900)',
    },
    {
      name: 'PubSub without EventDriven → by size',
      current: 'PubSub',
      metrics: quiet(50),
      want: 'HyParView',
      cites: 'PubSub is chosen only for the EventDriven workload',
    },
    { name: 'EventDriven → PubSub', workload: 'EventDriven', current: 'FullMesh', metrics: quiet(5), want: 'PubSub', cites: 'workload EventDriven' },
    {
      name: 'LowLatency, 15 nodes on HyParView → FullMesh',
      workload: 'LowLatency',
      current: 'HyParView',
      metrics: quiet(15),
      want: 'FullMesh',
      cites: 'a full mesh delivers in one hop',
    },
    {
      name: 'LowLatency, 19 nodes on HyParView → stay (hysteresis 18)',
      workload: 'LowLatency',
      current: 'HyParView',
      metrics: quiet(19),
      want: 'HyParView',
      cites: 'too large for a full mesh',
    },
    {
      name: 'LowLatency, 20 nodes on FullMesh → stay',
      workload: 'LowLatency',
      current: 'FullMesh',
      metrics: quiet(20),
      want: 'FullMesh',
      cites: 'nodeCount 20 ≤ 20',
    },
    {
      name: 'LowLatency, 40 nodes on FullMesh → HyParView',
      workload: 'LowLatency',
      current: 'FullMesh',
      metrics: quiet(40),
      want: 'HyParView',
      cites: 'nodeCount 40 > largeClusterMinNodes 20',
    },
    {
      name: 'HighThroughput, 5 nodes → FullMesh',
      workload: 'HighThroughput',
      current: undefined,
      metrics: quiet(5),
      want: 'FullMesh',
      cites: 'workload HighThroughput',
    },
    {
      name: 'HighThroughput, 15 nodes on FullMesh → HyParView',
      workload: 'HighThroughput',
      current: 'FullMesh',
      metrics: quiet(15),
      want: 'HyParView',
      cites: 'smallClusterMaxNodes 10',
    },
    {
      name: 'HighThroughput, 30 nodes on HyParView → ClientServer',
      workload: 'HighThroughput',
      current: 'HyParView',
      metrics: quiet(30),
      want: 'ClientServer',
      cites: 'largeClusterMinNodes 20',
    },
    {
      name: 'HighThroughput, 19 nodes on ClientServer → stay (hysteresis)',
      workload: 'HighThroughput',
      current: 'ClientServer',
      metrics: quiet(19),
      want: 'ClientServer',
      cites: 'keep ClientServer',
    },
    { name: 'Batch, 500 nodes → HyParView', workload: 'Batch', current: 'FullMesh', metrics: quiet(500), want: 'HyParView', cites: 'workload Batch' },
    {
      name: 'Batch, 1000 nodes → ClientServer',
      workload: 'Batch',
      current: 'HyParView',
      metrics: quiet(1000),
      want: 'ClientServer',
      cites: 'clientServerMinNodes 1000',
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const rec = recommendTopology(spec(c.workload ? { workload: c.workload } : {}), c.current, c.metrics);
      expect(rec.topology, rec.reasons.join('; ')).to.equal(c.want);
      expect(rec.reasons.join('; ')).to.include(c.cites);
      expect(rec.trigger).to.equal('Auto');
    });
  }

  it('does not choose ClientServer when no servers can be designated', () => {
    const s = spec({ overlays: { clientServer: { servers: 0 } } });
    expect(recommendTopology(s, undefined, quiet(5000)).topology).to.equal('HyParView');
    expect(recommendTopology(s, 'HyParView', { ...quiet(5000), hops: 20 }).topology).to.equal('HyParView');
    const back = recommendTopology(s, 'ClientServer', quiet(5000));
    expect(back.topology).to.equal('HyParView');
    expect(back.reasons[0]).to.include('servers cannot be designated');
    const withSelector = spec({ overlays: { clientServer: { servers: 0, serverSelector: { matchLabels: { role: 'server' } } } } });
    expect(recommendTopology(withSelector, undefined, quiet(5000)).topology).to.equal('ClientServer');
  });

  it('tags a change of spec.workload as a Workload trigger, and later evaluations as Auto', () => {
    const s = spec({ workload: 'EventDriven' });
    const first = recommendTopology(s, 'HyParView', quiet(30), 'Balanced');
    expect(first).to.deep.include({ topology: 'PubSub', trigger: 'Workload' });
    expect(first.reasons[0]).to.equal('spec.workload changed from Balanced to EventDriven');
    expect(recommendTopology(s, 'HyParView', quiet(30), 'EventDriven').trigger).to.equal('Auto');
  });

  it('raises no signal for metrics that were not sampled', () => {
    expect(readSignals({ nodeCount: 50 }, spec().autoSwitch)).to.deep.equal({});
  });

  const arbThresholds = fc
    .record({
      small: fc.integer({ min: 2, max: 40 }),
      gap: fc.integer({ min: 1, max: 60 }),
      csGap: fc.integer({ min: 0, max: 2000 }),
      h: fc.integer({ min: 0, max: 50 }),
    })
    .map(({ small, gap, csGap, h }) => ({
      smallClusterMaxNodes: small,
      largeClusterMinNodes: small + gap,
      clientServerMinNodes: small + gap + csGap,
      hysteresisPercent: h,
    }));
  const arbMetrics = fc.record({
    latencyP50Ms: fc.integer({ min: 1, max: 50 }),
    latencyP99Ms: fc.integer({ min: 1, max: 200 }),
    connectivityScore: fc.double({ min: 0, max: 1, noNaN: true }),
    partitionCount: fc.integer({ min: 0, max: 5 }),
    connectionsPerNode: fc.integer({ min: 0, max: 40 }),
    bytesPerSecond: fc.integer({ min: 0, max: 3e7 }),
    maxQueueLength: fc.integer({ min: 0, max: 3000 }),
    hops: fc.integer({ min: 1, max: 15 }),
  });

  it('never oscillates while the node count moves inside a hysteresis band (fixed metrics)', () => {
    fc.assert(
      fc.property(
        arbThresholds,
        arbMetrics,
        fc.constantFrom(...WORKLOADS),
        fc.constantFrom<OverlayKind | undefined>(undefined, ...OVERLAY_KINDS),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 40 }),
        (thresholds, m, workload, start, bandPick, walk) => {
          const s = spec({ workload, mode: 'Auto', autoSwitch: { thresholds }, overlays: { clientServer: { servers: 1 } } });
          const t = s.autoSwitch.thresholds;
          const f = 1 - t.hysteresisPercent / 100;
          // Bands: [small, large] (Balanced FullMesh/HyParView), and [T(1−h), T] around each ladder threshold.
          const bands: [number, number][] = [
            [t.smallClusterMaxNodes, t.largeClusterMinNodes],
            [Math.ceil(t.largeClusterMinNodes * f), t.largeClusterMinNodes],
            [Math.ceil(t.clientServerMinNodes * f), t.clientServerMinNodes],
            [Math.ceil(t.smallClusterMaxNodes * f), t.smallClusterMaxNodes],
          ];
          const [lo, hi] = bands[bandPick]!;
          let current = start;
          const visited: (OverlayKind | undefined)[] = [current];
          for (const x of walk) {
            const n = Math.max(2, Math.round(lo + x * (hi - lo)));
            const rec = recommendTopology(s, current, { ...m, nodeCount: n });
            if (rec.topology !== current) {
              expect(visited, `revisits ${rec.topology} at n=${n}: ${visited.join(' → ')}`).to.not.include(rec.topology);
              current = rec.topology;
              visited.push(current);
            }
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('is deterministic: the same inputs give the same recommendation', () => {
    fc.assert(
      fc.property(
        arbThresholds,
        arbMetrics,
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(...WORKLOADS),
        fc.constantFrom<OverlayKind | undefined>(undefined, ...OVERLAY_KINDS),
        (thresholds, m, n, workload, current) => {
          const s = spec({ workload, autoSwitch: { thresholds } });
          expect(recommendTopology(s, current, { ...m, nodeCount: n })).to.deep.equal(recommendTopology(s, current, { ...m, nodeCount: n }));
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('metricsSample', () => {
  it('samples at most sampleSize members, deterministically, and covers everyone over a few rounds', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `m-${String(i).padStart(4, '0')}`);
    expect(metricsSample(names.slice(0, 50), 100, 3)).to.deep.equal(names.slice(0, 50));
    const r0 = metricsSample(names, 100, 0);
    expect(r0).to.have.length(100);
    expect(metricsSample(names, 100, 0)).to.deep.equal(r0);
    const seen = new Set<string>();
    for (let round = 0; round < 10; round++) for (const n of metricsSample(names, 100, round)) seen.add(n);
    expect(seen.size).to.equal(1000);
  });
});
