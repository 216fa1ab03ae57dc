import { expect } from 'chai';
import type { ClusterTopology } from '../../../src/api/types.js';
import { renderAnalyze, renderHistory, renderStatus } from '../../../src/cli/commands-read.js';
import { targetVerdict } from '../../../src/cli/command-watch.js';
import { LiveView } from '../../../src/cli/live-view.js';
import { formatAge, renderTable } from '../../../src/cli/format.js';
import { isSettled, stepLabel, topologyLabel } from '../../../src/cli/view.js';

const NOW = new Date('2026-01-01T00:10:00Z');

function resource(status: ClusterTopology['status'], spec: Partial<ClusterTopology['spec']> = {}): ClusterTopology {
  return {
    apiVersion: 'topology.foundation.dev/v1alpha1',
    kind: 'ClusterTopology',
    metadata: { name: 'chat', namespace: 'apps', generation: 2 },
    spec: { selector: { matchLabels: { app: 'chat' } }, mode: 'Manual', topology: 'HyParView', ...spec },
    status,
  };
}

const routing = resource({
  observedGeneration: 2,
  phase: 'Progressing',
  currentTopology: 'FullMesh',
  targetTopology: 'HyParView',
  epoch: 1,
  members: { total: 30, ready: 30, onTarget: 15 },
  rollout: {
    stage: 'Routing',
    from: 'FullMesh',
    to: 'HyParView',
    epoch: 2,
    trigger: 'Manual',
    stepIndex: 2,
    stepPercent: 50,
    startedAt: '2026-01-01T00:09:00Z',
    stepStartedAt: '2026-01-01T00:09:30Z',
    message: 'routing 50%',
  },
});

const ready = resource({
  observedGeneration: 2,
  phase: 'Ready',
  currentTopology: 'HyParView',
  epoch: 2,
  members: { total: 30, ready: 30, onTarget: 30 },
  rollout: {
    stage: 'Succeeded',
    from: 'FullMesh',
    to: 'HyParView',
    epoch: 2,
    trigger: 'Manual',
    stepIndex: 3,
    stepPercent: 100,
    startedAt: '2026-01-01T00:09:00Z',
    stepStartedAt: '2026-01-01T00:09:50Z',
  },
  history: [
    { time: '2026-01-01T00:01:00Z', to: 'FullMesh', trigger: 'Manual', result: 'Succeeded', reason: 'first overlay', durationSeconds: 2, epoch: 1 },
    {
      time: '2026-01-01T00:09:55Z',
      from: 'FullMesh',
      to: 'HyParView',
      trigger: 'Manual',
      result: 'Succeeded',
      reason: 'spec.topology',
      durationSeconds: 55,
      epoch: 2,
    },
  ],
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Established',
      message: 'HyParView on 30 members',
      lastTransitionTime: '2026-01-01T00:09:55Z',
      observedGeneration: 2,
    },
  ],
  recommendation: { topology: 'HyParView', trigger: 'Auto', reasons: ['nodeCount 30 > largeClusterMinNodes 20'] },
  metrics: { nodeCount: 30, latencyP99Ms: 4.5, connectivityScore: 1, sampledAt: '2026-01-01T00:09:58Z' },
});

describe('kubectl-topology views', () => {
  it('labels a rollout in flight and a settled resource', () => {
    expect(topologyLabel(routing)).to.equal('FullMesh → HyParView');
    expect(stepLabel(routing)).to.equal('Routing 2/3 (50%)');
    expect(isSettled(routing)).to.equal(false);
    expect(topologyLabel(ready)).to.equal('HyParView');
    expect(isSettled(ready)).to.equal(true);
    expect(isSettled(resource({ ...ready.status, observedGeneration: 1 }))).to.equal(false);
  });

  it('renders status, history (newest first) and analyze as text and JSON', () => {
    const s = renderStatus(ready, 'table', NOW);
    expect(s).to.match(/Phase:\s+Ready/);
    expect(s).to.match(/Members:\s+30\/30 ready, 30 on target/);
    expect(s).to.match(/Ready\s+True\s+Established/);
    expect(JSON.parse(renderStatus(routing, 'json', NOW))).to.deep.include({ name: 'chat', phase: 'Progressing', inFlight: true });
    const h = renderHistory(ready, 'table', NOW).split('\n');
    expect(h[0]).to.match(/^AGE\s+EPOCH\s+FROM\s+TO\s+TRIGGER\s+RESULT/);
    expect(h[1]).to.match(/5s\s+2\s+FullMesh\s+HyParView\s+Manual\s+Succeeded\s+55s/);
    expect(renderHistory(resource({}), 'table', NOW)).to.match(/No switches recorded/);
    const a = renderAnalyze(ready, 'table', NOW);
    expect(a).to.match(/Recommendation:\s+keep HyParView/);
    expect(a).to.match(/nodeCount\s+30/);
    expect(renderAnalyze(resource({}), 'table', NOW)).to.match(/Recommendation: none yet/);
  });

  it('judges switch --wait outcomes', () => {
    expect(targetVerdict(routing, 'HyParView')).to.equal(undefined);
    expect(targetVerdict(ready, 'HyParView')).to.equal('succeeded');
    const rolledBack = resource({ ...ready.status, currentTopology: 'FullMesh', rollout: { ...ready.status!.rollout!, stage: 'RolledBack' } });
    expect(targetVerdict(rolledBack, 'HyParView')).to.equal('failed');
  });

  it('prints one line per change when not a TTY, and redraws in place on a TTY', () => {
    const lines: string[] = [];
    const v = new LiveView({ write: (t: string) => lines.push(t) }, 'x', 0);
    v.update(routing, 1000);
    v.update(routing, 2000);
    v.update(ready, 3000);
    expect(lines).to.have.length(2);
    expect(lines[0]).to.include('phase="Progressing"');
    const tty: string[] = [];
    const t = new LiveView({ write: (s: string) => tty.push(s), isTTY: true }, 'x', 0);
    t.update(routing, 1000);
    t.update(ready, 2000);
    expect(tty[1]?.startsWith('\u001b[3F')).to.equal(true);
  });

  it('formats tables and ages like kubectl', () => {
    expect(renderTable(['A', 'BB'], [['xxx', 'y']])).to.equal('A     BB\nxxx   y');
    expect(formatAge(45)).to.equal('45s');
    expect(formatAge(192)).to.equal('3m12s');
    expect(formatAge(7500)).to.equal('2h5m');
  });
});
