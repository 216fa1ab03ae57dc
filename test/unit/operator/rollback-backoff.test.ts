import { expect } from 'chai';
import fc from 'fast-check';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import type { ClusterTopologyStatus, HistoryEntry } from '../../../src/api/types.js';
import { decideSwitch } from '../../../src/operator/rules/decide-switch.js';
import {
  consecutiveAutoRollbacks,
  ROLLBACK_BACKOFF_BASE_SECONDS,
  ROLLBACK_BACKOFF_MAX_SECONDS,
  rollbackBackoffSeconds,
} from '../../../src/operator/rules/rollback-backoff.js';
import { pods, World } from './fake-fleet.js';

const SEED = Number(process.env['SEED'] ?? 20261202);
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const iso = (s: number): string => at(s).toISOString().replace('.000Z', 'Z');

function entry(trigger: HistoryEntry['trigger'], result: HistoryEntry['result'], t = 0): HistoryEntry {
  return { time: iso(t), from: 'FullMesh', to: 'HyParView', trigger, result, reason: 'r', durationSeconds: 1, epoch: 1 };
}

describe('rollback back-off', () => {
  it('is min(3600, 30 × 2^(n−1)) seconds after n automatic rollbacks in a row, 0 after none', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 9, 1000].map(rollbackBackoffSeconds)).to.deep.equal([0, 30, 60, 120, 240, 1920, 3600, 3600, 3600]);
    expect(ROLLBACK_BACKOFF_BASE_SECONDS).to.equal(30);
    expect(ROLLBACK_BACKOFF_MAX_SECONDS).to.equal(3600);
  });

  it('counts only the trailing run of rolled-back automatic switches', () => {
    expect(consecutiveAutoRollbacks([])).to.equal(0);
    expect(consecutiveAutoRollbacks([entry('Auto', 'RolledBack'), entry('Auto', 'RolledBack')])).to.equal(2);
    expect(consecutiveAutoRollbacks([entry('Auto', 'RolledBack'), entry('Auto', 'Succeeded'), entry('Auto', 'RolledBack')])).to.equal(1);
    expect(consecutiveAutoRollbacks([entry('Auto', 'RolledBack'), entry('Manual', 'RolledBack')])).to.equal(0);
    expect(consecutiveAutoRollbacks([entry('Auto', 'RolledBack'), entry('Workload', 'Superseded'), entry('Auto', 'RolledBack')])).to.equal(1);
  });

  it('holds an automatic switch after a rollback even with cooldownSeconds 0, and lets it through when the back-off ends', () => {
    const spec = applyDefaults({ selector: { matchLabels: { app: 'x' } }, mode: 'Auto', autoSwitch: { cooldownSeconds: 0 } });
    const status: ClusterTopologyStatus = { currentTopology: 'FullMesh', epoch: 3, lastSwitchTime: iso(100), history: [entry('Auto', 'RolledBack', 100)] };
    const rec = { topology: 'HyParView' as const, trigger: 'Auto' as const, reasons: ['40 members > largeClusterMinNodes 20'] };
    expect(decideSwitch(spec, status, rec, at(100))).to.deep.include({
      kind: 'hold',
      cause: 'RollbackBackoff',
      until: iso(130),
      remainingSeconds: 30,
      rolledBack: 1,
    });
    expect(decideSwitch(spec, status, rec, at(129.5))).to.deep.include({ kind: 'hold', remainingSeconds: 1 });
    expect(decideSwitch(spec, status, rec, at(130))).to.deep.include({ kind: 'switch', to: 'HyParView' });
    // A longer cooldown wins, and names itself.
    const patient = applyDefaults({ selector: { matchLabels: { app: 'x' } }, mode: 'Auto', autoSwitch: { cooldownSeconds: 300 } });
    expect(decideSwitch(patient, status, rec, at(200))).to.deep.include({ kind: 'hold', cause: 'Cooldown', until: iso(400) });
    // Manual and Workload switches are not held by it.
    expect(decideSwitch(spec, status, { ...rec, trigger: 'Workload' }, at(101))).to.deep.include({ kind: 'switch' });
  });

  it('never lets an automatic switch start before max(cooldown, back-off) after the last switch (property)', () => {
    const rec = { topology: 'HyParView' as const, trigger: 'Auto' as const, reasons: ['r'] };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 8000 }), (cooldown, n, elapsed) => {
        const spec = applyDefaults({ selector: { matchLabels: { app: 'x' } }, mode: 'Auto', autoSwitch: { cooldownSeconds: cooldown } });
        const history = Array.from({ length: n }, () => entry('Auto', 'RolledBack'));
        const d = decideSwitch(spec, { currentTopology: 'FullMesh', epoch: 3, lastSwitchTime: iso(0), history }, rec, at(elapsed));
        const wait = Math.max(cooldown, n === 0 ? 0 : Math.min(3600, 30 * 2 ** (n - 1)));
        expect(d.kind, `cooldown ${cooldown}, ${n} rollbacks, ${elapsed}s`).to.equal(elapsed < wait ? 'hold' : 'switch');
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('turns a switch/rollback loop with cooldownSeconds 0 into attempts spaced 30 s, 60 s, 120 s, … (planner on a virtual clock)', () => {
    // 30 members in Auto mode: the size rules recommend HyParView over the initial FullMesh, and
    // every HyParView step fails its verification, so every attempt is rolled back.
    const w = new World(
      { selector: { matchLabels: { app: 'chat' } }, mode: 'Auto', topology: 'FullMesh', autoSwitch: { cooldownSeconds: 0 }, historyLimit: 100 },
      pods(30),
      at(0),
    );
    w.runUntil((x) => x.status.currentTopology === 'FullMesh' && x.status.phase === 'Ready', 50);
    w.probe = () => ({ connected: w.status.rollout?.stage !== 'Routing', probesSent: 30, probesDelivered: 30, latencyP99Ms: 5 });
    const end = T0 + 2 * 3600 * 1000;
    w.runUntil((x) => x.now.getTime() >= end, 20_000);
    const history = w.status.history!.filter((h) => h.trigger === 'Auto');
    const starts = w.plans.flatMap((p) =>
      p.events.filter((e) => e.reason === 'SwitchStarted' && e.message.includes('→ HyParView')).map(() => p.status.rollout!.startedAt),
    );
    // Without the back-off, one attempt every few seconds: hundreds in two hours.
    expect(starts.length, `${starts.length} attempts: ${starts.slice(0, 12).join(' ')}`).to.be.within(6, 10);
    expect(history.every((h) => h.result === 'RolledBack')).to.equal(true);
    // Each attempt starts no earlier than the back-off after the previous one ended, and the gaps grow.
    const ends = history.map((h) => Date.parse(h.time));
    for (let i = 1; i < starts.length; i++) {
      const gap = (Date.parse(starts[i]!) - ends[i - 1]!) / 1000;
      expect(gap, `gap before attempt ${i + 1}`).to.be.at.least(rollbackBackoffSeconds(i));
      expect(gap, `gap before attempt ${i + 1}`).to.be.below(rollbackBackoffSeconds(i) + 5);
    }
    expect(w.plans.some((p) => p.events.some((e) => e.reason === 'RollbackBackoff'))).to.equal(true);
  });
});
