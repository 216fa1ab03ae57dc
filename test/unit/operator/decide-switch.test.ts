import { expect } from 'chai';
import fc from 'fast-check';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import type { ClusterTopologySpec, ClusterTopologyStatus, ResolvedSpec } from '../../../src/api/types.js';
import { decideSwitch } from '../../../src/operator/rules/decide-switch.js';
import type { Recommendation } from '../../../src/operator/rules/recommendation.js';

const SEED = Number(process.env['SEED'] ?? 20261123);
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const iso = (s: number): string => at(s).toISOString().replace('.000Z', 'Z');

function spec(extra: Partial<ClusterTopologySpec> = {}): ResolvedSpec {
  return applyDefaults({ selector: { matchLabels: { app: 'x' } }, mode: 'Auto', ...extra });
}
const steady: ClusterTopologyStatus = { currentTopology: 'FullMesh', epoch: 3, lastSwitchTime: iso(0) };
const auto = (topology: Recommendation['topology']): Recommendation => ({ topology, trigger: 'Auto', reasons: ['r'] });

describe('decideSwitch', () => {
  it('holds an automatic switch until the cooldown ends, saying when', () => {
    const d = decideSwitch(spec(), steady, auto('HyParView'), at(100));
    expect(d).to.deep.equal({
      kind: 'hold',
      cause: 'Cooldown',
      to: 'HyParView',
      trigger: 'Auto',
      reasons: ['r'],
      until: iso(300),
      remainingSeconds: 200,
      rolledBack: 0,
    });
    expect(decideSwitch(spec(), steady, auto('HyParView'), at(300))).to.deep.include({ kind: 'switch', to: 'HyParView' });
  });

  it('lets Workload and Manual triggers through the cooldown', () => {
    expect(decideSwitch(spec(), steady, { topology: 'PubSub', trigger: 'Workload', reasons: [] }, at(1))).to.deep.include({
      kind: 'switch',
      to: 'PubSub',
      trigger: 'Workload',
    });
    expect(decideSwitch(spec({ mode: 'Manual', topology: 'HyParView' }), steady, undefined, at(1))).to.deep.include({
      kind: 'switch',
      to: 'HyParView',
      trigger: 'Manual',
    });
  });

  it('does nothing when paused, already current, or without a recommendation', () => {
    expect(decideSwitch(spec({ paused: true }), steady, auto('HyParView'), at(1000))).to.deep.include({ kind: 'none', reason: 'Paused' });
    expect(decideSwitch(spec(), steady, auto('FullMesh'), at(1000))).to.deep.include({ kind: 'none', reason: 'AlreadyCurrent' });
    expect(decideSwitch(spec(), steady, undefined, at(1000))).to.deep.include({ kind: 'none', reason: 'NoRecommendation' });
  });

  it('does not start another switch while one is in flight, but a new Manual target supersedes it', () => {
    const flying: ClusterTopologyStatus = {
      ...steady,
      rollout: {
        stage: 'Routing',
        from: 'FullMesh',
        to: 'HyParView',
        epoch: 4,
        trigger: 'Manual',
        stepIndex: 1,
        stepPercent: 10,
        startedAt: iso(0),
        stepStartedAt: iso(0),
      },
    };
    expect(decideSwitch(spec(), flying, auto('ClientServer'), at(1000))).to.deep.include({ kind: 'none', reason: 'RolloutInProgress' });
    expect(decideSwitch(spec({ mode: 'Manual', topology: 'HyParView' }), flying, undefined, at(1))).to.deep.include({
      kind: 'none',
      reason: 'RolloutInProgress',
    });
    expect(decideSwitch(spec({ mode: 'Manual', topology: 'PubSub' }), flying, undefined, at(1))).to.deep.include({
      kind: 'switch',
      to: 'PubSub',
      supersedes: 'HyParView',
    });
    const committing: ClusterTopologyStatus = { ...flying, rollout: { ...flying.rollout!, stage: 'Committing' } };
    expect(decideSwitch(spec({ mode: 'Manual', topology: 'PubSub' }), committing, undefined, at(1))).to.deep.include({
      kind: 'none',
      reason: 'RolloutInProgress',
    });
  });

  it('waits for a spec change after a rolled-back Manual switch', () => {
    const rolledBack: ClusterTopologyStatus = {
      ...steady,
      rollout: {
        stage: 'RolledBack',
        from: 'FullMesh',
        to: 'HyParView',
        epoch: 4,
        trigger: 'Manual',
        generation: 2,
        stepIndex: 2,
        stepPercent: 50,
        startedAt: iso(0),
        stepStartedAt: iso(0),
        reason: 'probes lost',
      },
    };
    const s = spec({ mode: 'Manual', topology: 'HyParView' });
    expect(decideSwitch(s, rolledBack, undefined, at(1), 2)).to.deep.include({ kind: 'none', reason: 'AwaitingSpecChange' });
    expect(decideSwitch(s, rolledBack, undefined, at(1), 3)).to.deep.include({ kind: 'switch', to: 'HyParView' });
  });

  it('never lets an automatic switch start within cooldownSeconds of the last switch (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 0, max: 7200 }), (cooldown, elapsed) => {
        const d = decideSwitch(spec({ autoSwitch: { cooldownSeconds: cooldown } }), steady, auto('HyParView'), at(elapsed));
        expect(d.kind).to.equal(elapsed < cooldown ? 'hold' : 'switch');
        if (d.kind === 'hold') expect(Date.parse(d.until)).to.equal(T0 + cooldown * 1000);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
