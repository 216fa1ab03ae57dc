import { expect } from 'chai';
import fc from 'fast-check';
import type { OverlayKind } from '../../../src/api/types.js';
import { OVERLAY_KINDS } from '../../../src/overlays/types.js';
import type { MemberAction, ObservedMember } from '../../../src/operator/rollout/types.js';
import { pods, World } from './fake-fleet.js';

const SEED = Number(process.env['SEED'] ?? 20261123);

type Step =
  | { kind: 'tick'; seconds: number }
  | { kind: 'join' }
  | { kind: 'leave'; index: number }
  | { kind: 'flap'; index: number }
  | { kind: 'topology'; to: OverlayKind }
  | { kind: 'probes'; ok: boolean }
  | { kind: 'pause'; paused: boolean }
  | { kind: 'wedge'; index: number }
  | { kind: 'restart' };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 120 }).map((seconds): Step => ({ kind: 'tick', seconds })) },
  fc.constant<Step>({ kind: 'join' }),
  fc.nat(20).map((index): Step => ({ kind: 'leave', index })),
  fc.nat(20).map((index): Step => ({ kind: 'flap', index })),
  { weight: 2, arbitrary: fc.constantFrom(...OVERLAY_KINDS).map((to): Step => ({ kind: 'topology', to })) },
  fc.boolean().map((ok): Step => ({ kind: 'probes', ok })),
  fc.boolean().map((paused): Step => ({ kind: 'pause', paused })),
  fc.nat(20).map((index): Step => ({ kind: 'wedge', index })),
  fc.constant<Step>({ kind: 'restart' }),
);

/** The sidecar contract, checked on a copy of the members before the actions are applied. */
function contractViolations(before: readonly ObservedMember[], actions: readonly MemberAction[]): string[] {
  const state = new Map(before.map((m) => [m.name, { ...m }]));
  const bad: string[] = [];
  for (const a of actions) {
    if (a.kind === 'verify') continue;
    for (const name of a.members) {
      const m = state.get(name);
      if (m === undefined) {
        bad.push(`${a.kind} for unknown ${name}`);
        continue;
      }
      if (a.kind === 'route' && a.epoch !== m.activeEpoch && a.epoch !== m.stagedEpoch)
        bad.push(`route ${a.epoch} on ${name} holding ${m.activeEpoch}/${m.stagedEpoch}`);
      if (a.kind === 'commit' && m.stagedEpoch !== a.epoch) bad.push(`commit ${a.epoch} on ${name} staging ${m.stagedEpoch}`);
      if (a.kind === 'abort' && (m.stagedEpoch !== a.epoch || (m.routingEpoch ?? m.activeEpoch) === a.epoch)) bad.push(`abort ${a.epoch} on ${name}`);
      if (a.kind === 'prepare' && m.stagedEpoch !== undefined) bad.push(`prepare ${a.epoch} on ${name} already staging ${m.stagedEpoch}`);
      if (a.kind === 'prepare') m.stagedEpoch = a.epoch;
      if (a.kind === 'abort') delete m.stagedEpoch;
      if (a.kind === 'route') m.routingEpoch = a.epoch;
    }
  }
  return bad;
}

describe('rollout engine: properties under random joins, leaves, failures, edits, pauses and restarts', () => {
  it('keeps the sidecar contract, never reuses an epoch, bounds history, and converges once the world calms down', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(arbStep, { minLength: 1, maxLength: 60 }),
        fc.constantFrom(...OVERLAY_KINDS),
        (n, steps, finalTopology) => {
          const w = new World(
            {
              selector: { matchLabels: { app: 'x' } },
              topology: 'FullMesh',
              historyLimit: 5,
              rollout: { steps: [20, 60, 100], stepVerificationSeconds: 5, progressDeadlineSeconds: 60 },
            },
            pods(n),
          );
          let probesOk = true;
          w.probe = () => ({ connected: probesOk, probesSent: 4, probesDelivered: probesOk ? 4 : 3 });
          let joined = 0;
          const epochsSeen: number[] = [];
          let lastAttempt: string | undefined;
          const reconcile = (): void => {
            const before = w.members.map((m) => ({ ...m }));
            const plan = w.reconcile();
            expect(contractViolations(before, plan.actions)).to.deep.equal([]);
            expect((w.status.history ?? []).length).to.be.at.most(5);
            const r = w.status.rollout;
            const key = r === undefined ? undefined : `${r.startedAt}|${r.from}|${r.to}`;
            if (r !== undefined && key !== lastAttempt) {
              if (epochsSeen.length > 0) expect(r.epoch, 'a new switch reuses an epoch').to.be.greaterThan(epochsSeen[epochsSeen.length - 1]!);
              epochsSeen.push(r.epoch);
              lastAttempt = key;
            }
            if (w.status.epoch !== undefined && r !== undefined) expect(r.epoch).to.be.at.least(w.status.epoch);
          };
          for (const s of steps) {
            switch (s.kind) {
              case 'tick':
                w.now = new Date(w.now.getTime() + s.seconds * 1000);
                break;
              case 'join':
                w.members.push({ name: `new-${joined}`, address: `10.1.0.${++joined}:7070`, ready: true });
                break;
              case 'leave':
                if (w.members.length > 0) w.members.splice(s.index % w.members.length, 1);
                break;
              case 'flap': {
                const m = w.members[s.index % Math.max(1, w.members.length)];
                if (m !== undefined) m.ready = !m.ready;
                break;
              }
              case 'topology':
                w.edit((sp) => (sp.topology = s.to));
                break;
              case 'probes':
                probesOk = s.ok;
                break;
              case 'pause':
                if (w.spec.paused !== s.paused) w.edit((sp) => (sp.paused = s.paused));
                break;
              case 'wedge': {
                const m = w.members[s.index % Math.max(1, w.members.length)];
                if (m !== undefined) w.refuse.add(m.name);
                break;
              }
              case 'restart':
                w.status = JSON.parse(JSON.stringify(w.status));
                break;
            }
            reconcile();
          }
          // Calm: everyone ready and answering, probes fine, unpaused, a final target (a spec edit).
          probesOk = true;
          w.refuse.clear();
          for (const m of w.members) m.ready = true;
          w.edit((sp) => {
            sp.paused = false;
            sp.topology = finalTopology;
          });
          for (let i = 0; i < 400 && !(w.status.phase === 'Ready' && w.status.currentTopology === finalTopology); i++) {
            reconcile();
            w.tick(w.plans[w.plans.length - 1]!, 1);
          }
          if (w.members.length === 0) {
            // Nothing selected: nothing to configure, so Ready with reason NoMembers.
            expect(w.status.phase).to.equal('Ready');
            expect(w.status.conditions?.find((c) => c.type === 'Ready')).to.deep.include({ status: 'True', reason: 'NoMembers' });
            return;
          }
          expect(w.status.phase, JSON.stringify(w.status.rollout)).to.equal('Ready');
          expect(w.status.currentTopology).to.equal(finalTopology);
          const E = w.status.epoch!;
          for (const m of w.members) expect([m.activeEpoch, m.stagedEpoch, m.routingEpoch], m.name).to.deep.equal([E, undefined, E]);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });
});
