/**
 * The ClusterTopology CRD against a real kube-apiserver: it installs, the API server refuses bad
 * manifests with messages that say what to fix (the same messages validateSpec gives offline),
 * applies the schema's defaults (exactly applyDefaults'), explains every field, and prints the
 * columns `kubectl get ctopo` promises.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { applyDefaults } from '../../src/api/apply-defaults.js';
import { API_VERSION, CRD_NAME, KIND } from '../../src/api/constants.js';
import { CRD_FILE } from '../../src/api/crd.js';
import { validateSpec } from '../../src/api/validate-spec.js';
import { packageRoot } from '../../src/paths.js';
import { createTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { pods, World } from '../unit/operator/fake-fleet.js';

const sel = { matchLabels: { app: 'chat' } };

function manifest(name: string, spec: unknown): string {
  return stringify({ apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec });
}

/** Invalid specs and the words the API server's refusal must contain. */
const INVALID: { name: string; spec: Record<string, unknown>; says: string[] }[] = [
  { name: 'manual-without-topology', spec: { selector: sel }, says: ['spec.topology', 'required when spec.mode is Manual', 'set spec.topology to FullMesh'] },
  {
    name: 'empty-selector',
    spec: { selector: {}, topology: 'FullMesh' },
    says: ['spec.selector', 'selector must require a label the pods carry', 'set matchLabels, or a matchExpressions requirement with operator In or Exists'],
  },
  {
    name: 'doesnotexist-only-selector',
    spec: { selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, topology: 'FullMesh' },
    says: ['spec.selector', 'only NotIn and DoesNotExist requirements, matches nearly every pod'],
  },
  {
    name: 'notin-and-doesnotexist-selector',
    spec: {
      selector: {
        matchExpressions: [
          { key: 'app', operator: 'NotIn', values: ['db'] },
          { key: 'tier', operator: 'DoesNotExist' },
        ],
      },
      topology: 'FullMesh',
    },
    says: ['spec.selector', 'selector must require a label the pods carry'],
  },
  {
    name: 'doesnotexist-only-server-selector',
    spec: {
      selector: sel,
      topology: 'ClientServer',
      overlays: { clientServer: { serverSelector: { matchExpressions: [{ key: 'role', operator: 'DoesNotExist' }] } } },
    },
    says: ['spec.overlays.clientServer.serverSelector', 'selector must require a label the pods carry'],
  },
  {
    name: 'bad-label-key',
    spec: { selector: { matchLabels: { 'my app': 'chat' } }, topology: 'FullMesh' },
    says: ['spec.selector.matchLabels', 'every matchLabels key must be a valid label key', 'e.g. app or example.com/tier'],
  },
  {
    name: 'label-key-prefix-too-long',
    spec: { selector: { matchLabels: { [`${'a'.repeat(254)}/app`]: 'chat' } }, topology: 'FullMesh' },
    says: ['spec.selector.matchLabels', 'at most 253 characters'],
  },
  {
    name: 'bad-label-value',
    spec: { selector: { matchLabels: { app: 'chat!' } }, topology: 'FullMesh' },
    says: ['spec.selector.matchLabels[app]', 'must be a valid label value', 'e.g. chat or v1.2'],
  },
  {
    name: 'bad-expression-key',
    spec: { selector: { matchExpressions: [{ key: 'a/b/c', operator: 'Exists' }] }, topology: 'FullMesh' },
    says: ['spec.selector.matchExpressions[0].key', 'must be a valid label key'],
  },
  {
    name: 'bad-expression-value',
    spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['chat', '-x'] }] }, topology: 'FullMesh' },
    says: ['spec.selector.matchExpressions[0].values[1]', 'must be a valid label value'],
  },
  {
    name: 'steps-decreasing',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [50, 10, 100] } },
    says: ['spec.rollout.steps', 'strictly increasing'],
  },
  {
    name: 'steps-not-100',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [10, 50] } },
    says: ['spec.rollout.steps', 'must end at 100', 'append 100'],
  },
  {
    name: 'step-too-big',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [10, 150] } },
    says: ['spec.rollout.steps[1]', 'less than or equal to 100'],
  },
  {
    name: 'step-unknown-word',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [10, 'wait', 100] } },
    says: ['spec.rollout.steps[1]', 'must be a percentage', 'or "pause"'],
  },
  {
    name: 'steps-around-gate-decreasing',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [50, 'pause', 10, 100] } },
    says: ['spec.rollout.steps', 'strictly increasing'],
  },
  {
    name: 'steps-gate-only',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: ['pause'] } },
    says: ['spec.rollout.steps', 'must end at 100'],
  },
  {
    name: 'thresholds-inverted',
    spec: { selector: sel, mode: 'Auto', autoSwitch: { thresholds: { smallClusterMaxNodes: 30 } } },
    says: ['smallClusterMaxNodes', 'must be less than largeClusterMinNodes'],
  },
  {
    name: 'large-above-cs',
    spec: { selector: sel, mode: 'Auto', autoSwitch: { thresholds: { largeClusterMinNodes: 2000 } } },
    says: ['clientServerMinNodes', 'must not exceed clientServerMinNodes'],
  },
  {
    name: 'passive-below-active',
    spec: { selector: sel, topology: 'HyParView', overlays: { hyParView: { activeViewSize: 8, passiveViewSize: 4 } } },
    says: ['passiveViewSize', 'at least activeViewSize'],
  },
  {
    name: 'clientserver-no-servers',
    spec: { selector: sel, topology: 'ClientServer', overlays: { clientServer: { servers: 0 } } },
    says: ['spec.overlays.clientServer', 'needs servers'],
  },
  {
    name: 'in-without-values',
    spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In' }] }, topology: 'FullMesh' },
    says: ['values must be non-empty for operators In and NotIn'],
  },
  {
    name: 'deadline-too-short',
    spec: { selector: sel, topology: 'FullMesh', rollout: { stepVerificationSeconds: 60, progressDeadlineSeconds: 30 } },
    says: ['progressDeadlineSeconds', 'greater than stepVerificationSeconds'],
  },
  { name: 'unknown-topology', spec: { selector: sel, topology: 'Star' }, says: ['spec.topology', 'Unsupported value: "Star"', '"FullMesh"'] },
  {
    name: 'graft-before-lazy',
    spec: { selector: sel, topology: 'PubSub', overlays: { pubSub: { lazyPushDelayMs: 100, graftTimeoutMs: 50 } } },
    says: ['graftTimeoutMs', 'greater than lazyPushDelayMs'],
  },
];

describe('e2e: ClusterTopology CRD validation on a real API server', function () {
  let cluster: TestCluster;
  let ns: string;

  let installedHere = false;

  before(async function () {
    cluster = await getCluster();
    // Leave the cluster as found: a CRD installed here is removed again (a Helm release may own it later).
    installedHere = (await cluster.kubectl(['get', 'crd', CRD_NAME], { allowFail: true })).code !== 0;
    await cluster.kubectl(['apply', '-f', join(packageRoot(), CRD_FILE)]);
    await cluster.kubectl(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    ns = await createTestNamespace('crd-validation');
  });

  after(async function () {
    if (cluster === undefined) return;
    await cluster.kubectl(['delete', 'ctopo', '--all', '-n', ns, '--ignore-not-found', '--wait=false'], { allowFail: true });
    if (installedHere) await cluster.kubectl(['delete', 'crd', CRD_NAME, '--ignore-not-found'], { allowFail: true });
  });

  for (const c of INVALID) {
    it(`refuses ${c.name} with a message that says what to fix`, async () => {
      const r = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest(c.name, c.spec), allowFail: true });
      expect(r.code, r.stdout).to.not.equal(0);
      for (const words of c.says) expect(r.stderr).to.include(words);
      // The offline validator gives the same message for the same mistake.
      const offline = validateSpec(c.spec);
      expect(offline.length, `validateSpec accepts ${c.name}`).to.be.greaterThan(0);
      expect(
        offline.some((e) => r.stderr.includes(e.message)),
        `${JSON.stringify(offline)} vs ${r.stderr}`,
      ).to.equal(true);
    });
  }

  it('accepts a minimal spec and stores it with exactly the defaults applyDefaults applies', async () => {
    const spec = { selector: sel, topology: 'FullMesh' as const };
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest('chat', spec) });
    const r = await cluster.kubectl(['get', 'ctopo', 'chat', '-n', ns, '-o', 'json']);
    const stored = JSON.parse(r.stdout) as { spec: unknown };
    expect(stored.spec).to.deep.equal(applyDefaults(spec));
    expect(stored.spec).to.deep.include({ mode: 'Manual', workload: 'Balanced', paused: false, historyLimit: 20 });
  });

  it('accepts label syntax at its limits and a selector with one Exists among exclusions', async () => {
    const selector = {
      matchLabels: { [`${'a'.repeat(253)}/${'b'.repeat(63)}`]: 'z'.repeat(63), 'app.kubernetes.io/name': '', A9: 'v1.2_x-Y' },
      matchExpressions: [
        { key: 'tier', operator: 'DoesNotExist' },
        { key: 'env', operator: 'NotIn', values: ['prod', ''] },
        { key: 'example.com/app', operator: 'Exists' },
      ],
    };
    const spec = { selector, topology: 'FullMesh' };
    expect(validateSpec(spec)).to.deep.equal([]);
    const r = await cluster.kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], { input: manifest('limits', spec), allowFail: true });
    expect(r.code, r.stderr).to.equal(0);
  });

  it('accepts gates ("pause") anywhere in spec.rollout.steps and stores them as written', async () => {
    const spec = { selector: sel, topology: 'FullMesh', rollout: { steps: ['pause', 10, 'pause', 50, 100, 'pause'] } };
    expect(validateSpec(spec)).to.deep.equal([]);
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest('gates', spec) });
    const stored = JSON.parse((await cluster.kubectl(['get', 'ctopo', 'gates', '-n', ns, '-o', 'json'])).stdout) as { spec: { rollout: { steps: unknown[] } } };
    expect(stored.spec.rollout.steps).to.deep.equal(['pause', 10, 'pause', 50, 100, 'pause']);
    const obj = await cluster.kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], {
      input: manifest('gate-object', { ...spec, rollout: { steps: [10, { pause: {} }, 100] } }),
      allowFail: true,
    });
    expect(obj.code).to.not.equal(0);
    expect(obj.stderr).to.include('spec.rollout.steps[1]');
  });

  it('accepts every sample in deploy/samples', async () => {
    const dir = join(packageRoot(), 'deploy', 'samples');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const r = await cluster.kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], { input: readFileSync(join(dir, f), 'utf8'), allowFail: true });
      expect(r.code, `${f}: ${r.stderr}`).to.equal(0);
    }
  });

  it('explains spec.rollout field by field', async () => {
    const r = await cluster.kubectl(['explain', 'clustertopology.spec.rollout']);
    expect(r.stdout).to.include('The phased switch');
    for (const field of ['steps', 'stepVerificationSeconds', 'progressDeadlineSeconds', 'autoRollback', 'maxLatencyFactor']) expect(r.stdout).to.include(field);
    expect(r.stdout).to.include('strictly increasing');
    const deep = await cluster.kubectl(['explain', 'ctopo.spec.autoSwitch.thresholds.hysteresisPercent']);
    expect(deep.stdout).to.include('does not flap');
  });

  it('shows the printer columns in kubectl get ctopo (and Target/Epoch with -o wide)', async () => {
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest('printed', { selector: sel, topology: 'FullMesh' }) });
    const status = { currentTopology: 'FullMesh', targetTopology: 'HyParView', phase: 'Progressing', epoch: 3, members: { total: 5, ready: 4, onTarget: 1 } };
    await cluster.kubectl(['patch', 'ctopo', 'printed', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    const r = await cluster.kubectl(['get', 'ctopo', 'printed', '-n', ns]);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).to.deep.equal(['NAME', 'TOPOLOGY', 'PHASE', 'MEMBERS', 'READY', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 5)).to.deep.equal(['printed', 'FullMesh', 'Progressing', '5', '4']);
    const wide = await cluster.kubectl(['get', 'ctopo', 'printed', '-n', ns, '-o', 'wide']);
    const [wh, wr] = wide.stdout.trim().split('\n');
    expect(wh!.split(/\s+/)).to.include.members(['TARGET', 'EPOCH', 'MODE']);
    expect(wr!.split(/\s+/)).to.include.members(['HyParView', '3', 'Manual']);
    const cat = await cluster.kubectl(['get', 'topology', '-n', ns]);
    expect(cat.stdout).to.include('printed');
  });

  it('refuses a status that breaks the schema (phase enum, bounded history)', async () => {
    const bad = await cluster.kubectl(
      ['patch', 'ctopo', 'chat', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Exploded' } })],
      { allowFail: true },
    );
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.include('Unsupported value: "Exploded"');
    const entry = { time: '2026-01-01T00:00:00Z', to: 'FullMesh', trigger: 'Manual', result: 'Succeeded' };
    const long = await cluster.kubectl(
      [
        'patch',
        'ctopo',
        'chat',
        '-n',
        ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { history: Array.from({ length: 101 }, () => entry) } }),
      ],
      { allowFail: true },
    );
    expect(long.code).to.not.equal(0);
    expect(long.stderr).to.include('must have at most 100 items');
  });
});

describe('e2e: the API server and validateSpec agree, and accept every status the rollout engine writes', function () {
  let cluster: TestCluster;
  let ns: string;
  let installedHere = false;

  before(async function () {
    cluster = await getCluster();
    installedHere = (await cluster.kubectl(['get', 'crd', CRD_NAME], { allowFail: true })).code !== 0;
    await cluster.kubectl(['apply', '-f', join(packageRoot(), CRD_FILE)]);
    await cluster.kubectl(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    ns = await createTestNamespace('crd-parity');
  });

  after(async function () {
    if (cluster === undefined) return;
    await cluster.kubectl(['delete', 'ctopo', '--all', '-n', ns, '--ignore-not-found', '--wait=false'], { allowFail: true });
    if (installedHere) await cluster.kubectl(['delete', 'crd', CRD_NAME, '--ignore-not-found'], { allowFail: true });
  });

  it('accepts exactly the specs validateSpec accepts (40 seeded random specs near the rule boundaries)', async function () {
    this.timeout(180_000);
    const arb = fc.record(
      {
        mode: fc.constantFrom('Manual', 'Auto'),
        topology: fc.constantFrom('FullMesh', 'HyParView', 'ClientServer', 'PubSub'),
        rollout: fc.record(
          {
            steps: fc.array(fc.oneof(fc.integer({ min: 0, max: 101 }), fc.constantFrom('pause', 'wait')), { minLength: 1, maxLength: 4 }),
            stepVerificationSeconds: fc.integer({ min: 1, max: 40 }),
            progressDeadlineSeconds: fc.integer({ min: 2, max: 60 }),
          },
          { requiredKeys: [] },
        ),
        autoSwitch: fc.record({
          thresholds: fc.record(
            {
              smallClusterMaxNodes: fc.integer({ min: 1, max: 40 }),
              largeClusterMinNodes: fc.integer({ min: 2, max: 40 }),
              clientServerMinNodes: fc.integer({ min: 2, max: 60 }),
            },
            { requiredKeys: [] },
          ),
        }),
        overlays: fc.record(
          {
            hyParView: fc.record(
              {
                activeViewSize: fc.integer({ min: 1, max: 10 }),
                passiveViewSize: fc.integer({ min: 1, max: 10 }),
                passiveRandomWalkLength: fc.integer({ min: 0, max: 8 }),
              },
              { requiredKeys: [] },
            ),
            clientServer: fc.record({ servers: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['mode'] },
    );
    const specs = fc.sample(arb, { seed: 4242, numRuns: 40 });
    let accepted = 0;
    for (const [i, extra] of specs.entries()) {
      const spec = { selector: sel, ...extra };
      const r = await cluster.kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], { input: manifest(`fuzz-${i}`, spec), allowFail: true });
      const offline = validateSpec(spec);
      expect(r.code === 0, `${JSON.stringify(spec)}\nserver: ${r.stderr}\noffline: ${JSON.stringify(offline)}`).to.equal(offline.length === 0);
      if (r.code === 0) accepted++;
    }
    expect(accepted, 'the sample should contain valid and invalid specs').to.be.within(1, 39);
  });

  it('accepts exactly the selectors validateSpec accepts (60 seeded random selectors: label syntax, operators, emptiness)', async function () {
    this.timeout(180_000);
    const chars = fc.constantFrom('a', 'z', 'Q', '0', '-', '_', '.', '/', ' ');
    const token = fc.oneof(
      fc.constantFrom('app', 'example.com/tier', 'a'.repeat(63), 'b'.repeat(64), `${'c'.repeat(253)}/d`, ''),
      fc.string({ unit: chars, maxLength: 10 }),
    );
    const requirement = fc.record({
      key: token.filter((k) => k.length > 0),
      operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'),
      values: fc.array(token, { maxLength: 2 }),
    });
    const arb = fc.record(
      { matchLabels: fc.dictionary(token, token, { maxKeys: 2 }), matchExpressions: fc.array(requirement, { maxLength: 2 }) },
      { requiredKeys: [] },
    );
    const selectors = fc.sample(arb, { seed: 1202, numRuns: 60 });
    let accepted = 0;
    for (const [i, selector] of selectors.entries()) {
      const spec = { selector, topology: 'FullMesh' };
      const r = await cluster.kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], { input: manifest(`sel-${i}`, spec), allowFail: true });
      const offline = validateSpec(spec);
      expect(r.code === 0, `${JSON.stringify(selector)}\nserver: ${r.stderr}\noffline: ${JSON.stringify(offline)}`).to.equal(offline.length === 0);
      if (r.code === 0) accepted++;
    }
    expect(accepted, 'the sample should contain valid and invalid selectors').to.be.within(1, 59);
  });

  it('accepts every status the rollout engine writes during a switch with a rollback and a supersede', async function () {
    this.timeout(180_000);
    const spec = { selector: sel, topology: 'FullMesh' as const, rollout: { steps: [50, 100], stepVerificationSeconds: 2, progressDeadlineSeconds: 30 } };
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest('engine', spec) });
    const w = new World(spec, pods(4));
    const statuses: unknown[] = [];
    const step = (done: (x: World) => boolean): void => {
      for (let i = 0; i < 100 && !done(w); i++) {
        const plan = w.reconcile();
        statuses.push(plan.status);
        w.tick(plan);
      }
    };
    step((x) => x.status.phase === 'Ready');
    w.edit((s) => (s.topology = 'HyParView'));
    w.probe = () => ({ connected: w.status.rollout?.stepPercent !== 50, probesSent: 4, probesDelivered: 4, detail: 'x'.repeat(3000) });
    step((x) => x.status.rollout?.stage === 'RolledBack');
    w.probe = () => ({ connected: true, probesSent: 4, probesDelivered: 4 });
    w.edit((s) => (s.topology = 'PubSub'));
    step((x) => x.status.rollout?.to === 'PubSub' && x.status.rollout.stage === 'Routing');
    w.edit((s) => (s.topology = 'ClientServer'));
    step((x) => x.status.currentTopology === 'ClientServer' && x.status.phase === 'Ready');
    expect(w.status.history!.map((h) => h.result)).to.include.members(['Succeeded', 'RolledBack', 'Superseded']);
    const distinct = [...new Set(statuses.map((s) => JSON.stringify(s)))];
    for (const s of distinct) {
      const r = await cluster.kubectl(
        ['patch', 'ctopo', 'engine', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: JSON.parse(s) })],
        { allowFail: true },
      );
      expect(r.code, `${r.stderr}\n${s}`).to.equal(0);
    }
    const got = JSON.parse((await cluster.kubectl(['get', 'ctopo', 'engine', '-n', ns, '-o', 'json'])).stdout) as {
      status: { phase: string; currentTopology: string };
    };
    expect(got.status).to.deep.include({ phase: 'Ready', currentTopology: 'ClientServer' });
  });
  it('accepts every status the rollout engine writes through a gate, an abort, a retry and a promote', async function () {
    this.timeout(180_000);
    const spec = {
      selector: sel,
      topology: 'FullMesh' as const,
      rollout: { steps: [50, 'pause' as const, 100], stepVerificationSeconds: 2, progressDeadlineSeconds: 30 },
    };
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: manifest('control', spec) });
    const w = new World(spec, pods(4));
    const statuses: unknown[] = [];
    const step = (done: (x: World) => boolean): void => {
      for (let i = 0; i < 100 && !done(w); i++) {
        const plan = w.reconcile();
        statuses.push(plan.status);
        w.tick(plan);
      }
      expect(done(w), JSON.stringify(w.status.rollout)).to.equal(true);
    };
    step((x) => x.status.phase === 'Ready');
    w.edit((s) => (s.topology = 'HyParView'));
    step((x) => x.status.rollout?.gateStep !== undefined);
    w.control = `action=abort,target-epoch=${w.status.rollout!.epoch},id=1`;
    step((x) => x.status.rollout?.stage === 'RolledBack' && x.status.abortedTarget !== undefined);
    w.control = `action=retry,target-epoch=${w.status.rollout!.epoch},id=2`;
    step((x) => x.status.rollout?.gateStep !== undefined);
    w.control = 'action=promote,id=3';
    step((x) => x.status.currentTopology === 'HyParView' && x.status.phase === 'Ready');
    w.control = 'action=explode';
    step((x) => x.status.lastControlRequest?.result === 'Ignored');
    const distinct = [...new Set(statuses.map((s) => JSON.stringify(s)))];
    for (const s of distinct) {
      const r = await cluster.kubectl(
        ['patch', 'ctopo', 'control', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: JSON.parse(s) })],
        { allowFail: true },
      );
      expect(r.code, `${r.stderr}\n${s}`).to.equal(0);
    }
  });
});
