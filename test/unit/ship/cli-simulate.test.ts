import { expect } from 'chai';
import { simulate } from '../../../src/cli/simulate.js';

describe('kubectl-topology simulate', function () {
  this.timeout(120_000);

  it('predicts every overlay at a small size and recommends with the rule engine', () => {
    const r = simulate({
      nodes: 12,
      topologies: ['FullMesh', 'HyParView', 'ClientServer', 'PubSub'],
      failPercent: 25,
      seed: 3,
      broadcasts: 8,
      workload: 'Balanced',
    });
    expect(r.overlays.map((o) => o.topology)).to.deep.equal(['FullMesh', 'HyParView', 'ClientServer', 'PubSub']);
    const byKind = Object.fromEntries(r.overlays.map((o) => [o.topology, o]));
    // A full mesh links each member to the N − 1 others and delivers in one hop.
    expect(byKind.FullMesh!.connectionsPerMember).to.equal(11);
    expect(byKind.FullMesh!.hops).to.equal(1);
    expect(byKind.FullMesh!.reliability).to.equal(1);
    // HyParView keeps its active view (default 5) and still reaches everyone.
    expect(byKind.HyParView!.connectionsMax).to.be.at.most(5);
    expect(byKind.HyParView!.reliability).to.equal(1);
    for (const o of r.overlays) {
      expect(o.hops).to.be.at.least(1);
      expect(o.reliabilityUnderFailure).to.be.within(0, 1);
    }
    // 12 ≥ smallClusterMaxNodes (10): the seed's rule picks HyParView.
    expect(r.recommendation.topology).to.equal('HyParView');
    expect(r.recommendation.reasons.join(' ')).to.match(/smallClusterMaxNodes/);
  });

  it('is deterministic for a seed', () => {
    const flags = { nodes: 15, topologies: ['HyParView' as const, 'PubSub' as const], failPercent: 40, seed: 11, broadcasts: 6, workload: 'Balanced' as const };
    expect(simulate(flags)).to.deep.equal(simulate(flags));
  });

  it('follows the workload: EventDriven recommends PubSub; small clusters a full mesh', () => {
    expect(simulate({ nodes: 6, topologies: ['FullMesh'], failPercent: 0, seed: 1, broadcasts: 3, workload: 'EventDriven' }).recommendation.topology).to.equal(
      'PubSub',
    );
    expect(simulate({ nodes: 6, topologies: ['FullMesh'], failPercent: 0, seed: 1, broadcasts: 3, workload: 'Balanced' }).recommendation.topology).to.equal(
      'FullMesh',
    );
  });
});
