import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../../../src/paths.js';
import { formatFieldErrors, validateSpec } from '../../../src/api/validate-spec.js';
import { API_VERSION, KIND } from '../../../src/api/constants.js';
import { selectorMatches } from '../../../src/api/label-selector.js';
import { sidecarAddress, sidecarPort } from '../../../src/api/sidecar-port.js';
import { applyDefaults } from '../../../src/api/apply-defaults.js';

const sel = { matchLabels: { app: 'chat' } };

/** Invalid specs, the field the error must name, and words of the message that say what to fix. */
const INVALID: { name: string; spec: unknown; path: string; says: string }[] = [
  { name: 'Manual without topology', spec: { selector: sel }, path: 'spec.topology', says: 'spec.topology is required when spec.mode is Manual' },
  { name: 'empty selector', spec: { selector: {}, topology: 'FullMesh' }, path: 'spec.selector', says: 'selector must not be empty' },
  {
    name: 'selector In without values',
    spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In' }] }, topology: 'FullMesh' },
    path: 'spec.selector.matchExpressions[0].values',
    says: 'values must be non-empty for operators In and NotIn',
  },
  {
    name: 'steps not increasing',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [50, 10, 100] } },
    path: 'spec.rollout.steps',
    says: 'strictly increasing',
  },
  {
    name: 'steps repeat',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [50, 50, 100] } },
    path: 'spec.rollout.steps',
    says: 'strictly increasing',
  },
  {
    name: 'steps not ending at 100',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [10, 50] } },
    path: 'spec.rollout.steps',
    says: 'must end at 100',
  },
  {
    name: 'step above 100',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [10, 150] } },
    path: 'spec.rollout.steps[1]',
    says: 'less than or equal to 100',
  },
  {
    name: 'step 0',
    spec: { selector: sel, topology: 'FullMesh', rollout: { steps: [0, 100] } },
    path: 'spec.rollout.steps[0]',
    says: 'greater than or equal to 1',
  },
  {
    name: 'small >= large',
    spec: { selector: sel, mode: 'Auto', autoSwitch: { thresholds: { smallClusterMaxNodes: 30 } } },
    path: 'spec.autoSwitch.thresholds.smallClusterMaxNodes',
    says: 'must be less than largeClusterMinNodes',
  },
  {
    name: 'large > clientServer',
    spec: { selector: sel, mode: 'Auto', autoSwitch: { thresholds: { largeClusterMinNodes: 2000 } } },
    path: 'spec.autoSwitch.thresholds.clientServerMinNodes',
    says: 'must not exceed clientServerMinNodes',
  },
  {
    name: 'passive < active',
    spec: { selector: sel, topology: 'HyParView', overlays: { hyParView: { activeViewSize: 8, passiveViewSize: 4 } } },
    path: 'spec.overlays.hyParView.passiveViewSize',
    says: 'at least activeViewSize',
  },
  {
    name: 'PRWL > ARWL',
    spec: { selector: sel, topology: 'HyParView', overlays: { hyParView: { passiveRandomWalkLength: 9 } } },
    path: 'spec.overlays.hyParView.passiveRandomWalkLength',
    says: 'must not exceed activeRandomWalkLength',
  },
  {
    name: 'ClientServer with no servers',
    spec: { selector: sel, topology: 'ClientServer', overlays: { clientServer: { servers: 0 } } },
    path: 'spec.overlays.clientServer',
    says: 'needs servers',
  },
  {
    name: 'empty server selector',
    spec: { selector: sel, topology: 'ClientServer', overlays: { clientServer: { serverSelector: {} } } },
    path: 'spec.overlays.clientServer.serverSelector',
    says: 'selector must not be empty',
  },
  {
    name: 'graft before lazy push',
    spec: { selector: sel, topology: 'PubSub', overlays: { pubSub: { lazyPushDelayMs: 100, graftTimeoutMs: 50 } } },
    path: 'spec.overlays.pubSub.graftTimeoutMs',
    says: 'greater than lazyPushDelayMs',
  },
  {
    name: 'deadline within window',
    spec: { selector: sel, topology: 'FullMesh', rollout: { stepVerificationSeconds: 60, progressDeadlineSeconds: 30 } },
    path: 'spec.rollout.progressDeadlineSeconds',
    says: 'greater than stepVerificationSeconds',
  },
  {
    name: 'unknown topology',
    spec: { selector: sel, topology: 'Star' },
    path: 'spec.topology',
    says: 'supported values: "FullMesh", "HyParView", "ClientServer", "PubSub"',
  },
  { name: 'unknown mode', spec: { selector: sel, mode: 'Sometimes', topology: 'FullMesh' }, path: 'spec.mode', says: 'supported values' },
  { name: 'history over 100', spec: { selector: sel, topology: 'FullMesh', historyLimit: 500 }, path: 'spec.historyLimit', says: 'less than or equal to 100' },
  {
    name: 'port out of range',
    spec: { selector: sel, topology: 'FullMesh', sidecar: { port: 70000 } },
    path: 'spec.sidecar.port',
    says: 'less than or equal to 65535',
  },
  {
    name: 'fractional integer',
    spec: { selector: sel, topology: 'FullMesh', autoSwitch: { cooldownSeconds: 1.5 } },
    path: 'spec.autoSwitch.cooldownSeconds',
    says: 'must be of type integer',
  },
  {
    name: 'unknown field',
    spec: { selector: sel, topology: 'FullMesh', rollout: { stepz: [1] } },
    path: 'spec.rollout.stepz',
    says: 'field not declared in schema',
  },
  { name: 'missing selector', spec: { topology: 'FullMesh' }, path: 'spec.selector', says: 'Required value' },
  {
    name: 'token secret without name',
    spec: { selector: sel, topology: 'FullMesh', sidecar: { tokenSecretRef: {} } },
    path: 'spec.sidecar.tokenSecretRef.name',
    says: 'Required value',
  },
];

describe('validateSpec', () => {
  for (const c of INVALID) {
    it(`refuses ${c.name} with a message at ${c.path}`, () => {
      const errors = validateSpec(c.spec);
      expect(
        errors.map((e) => e.path),
        formatFieldErrors(errors),
      ).to.include(c.path);
      const e = errors.find((x) => x.path === c.path)!;
      expect(e.message).to.include(c.says);
    });
  }

  it('accepts minimal Manual and Auto specs and a fully specified one', () => {
    expect(validateSpec({ selector: sel, topology: 'FullMesh' })).to.deep.equal([]);
    expect(validateSpec({ selector: sel, mode: 'Auto' })).to.deep.equal([]);
    expect(
      validateSpec({
        selector: {
          matchExpressions: [
            { key: 'app', operator: 'In', values: ['a'] },
            { key: 'tier', operator: 'Exists' },
          ],
        },
        mode: 'Auto',
        topology: 'ClientServer',
        workload: 'HighThroughput',
        paused: true,
        overlays: { clientServer: { servers: 0, serverSelector: { matchLabels: { role: 'server' } } } },
        autoSwitch: { cooldownSeconds: 0, thresholds: { smallClusterMaxNodes: 5, largeClusterMinNodes: 50, clientServerMinNodes: 50, minConnectivity: 0.5 } },
        rollout: { steps: [100], autoRollback: false, maxLatencyFactor: 3 },
        sidecar: { port: 9000, tokenSecretRef: { name: 'tok', key: 'k' } },
        historyLimit: 100,
      }),
    ).to.deep.equal([]);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const errors = validateSpec(v);
        expect(errors).to.be.an('array');
      }),
      { seed: 20261123, numRuns: 500 },
    );
  });

  it('accepts every valid step list and refuses every list that is not strictly increasing to 100', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 10 }), (steps) => {
        const ok = steps.every((s, i) => i === 0 || s > steps[i - 1]!) && steps[steps.length - 1] === 100;
        expect(validateSpec({ selector: sel, topology: 'FullMesh', rollout: { steps } }).length === 0).to.equal(ok);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('deploy/samples', () => {
  const dir = join(packageRoot(), 'deploy', 'samples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('covers Manual FullMesh, Auto, EventDriven PubSub and ClientServer', () => {
    const specs = files.map((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { spec: Record<string, unknown> }).spec);
    expect(specs.some((s) => s['mode'] === 'Manual' && s['topology'] === 'FullMesh')).to.equal(true);
    expect(specs.some((s) => s['mode'] === 'Auto' && s['workload'] === 'Balanced')).to.equal(true);
    expect(specs.some((s) => s['workload'] === 'EventDriven' && s['topology'] === 'PubSub')).to.equal(true);
    expect(specs.some((s) => s['topology'] === 'ClientServer')).to.equal(true);
  });

  for (const f of files) {
    it(`${f} is a valid ClusterTopology`, () => {
      const doc = parse(readFileSync(join(dir, f), 'utf8')) as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown };
      expect(doc.apiVersion).to.equal(API_VERSION);
      expect(doc.kind).to.equal(KIND);
      expect(doc.metadata.name).to.match(/^[a-z0-9-]+$/);
      expect(formatFieldErrors(validateSpec(doc.spec))).to.equal('');
    });
  }
});

describe('selectorMatches', () => {
  it('follows metav1.LabelSelector semantics and matches nothing when empty', () => {
    const labels = { app: 'chat', tier: 'web' };
    expect(selectorMatches({ matchLabels: { app: 'chat' } }, labels)).to.equal(true);
    expect(selectorMatches({ matchLabels: { app: 'other' } }, labels)).to.equal(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] }, labels)).to.equal(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels)).to.equal(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels)).to.equal(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels)).to.equal(false);
    expect(selectorMatches({}, labels)).to.equal(false);
  });
});

describe('sidecarPort', () => {
  it('takes the pod annotation when it is a valid port, the spec port otherwise', () => {
    const spec = applyDefaults({ selector: sel, topology: 'FullMesh' });
    expect(sidecarPort(spec, undefined)).to.equal(7070);
    expect(sidecarPort(spec, { 'topology.foundation.dev/sidecar-port': '9000' })).to.equal(9000);
    expect(sidecarPort(spec, { 'topology.foundation.dev/sidecar-port': '70000' })).to.equal(7070);
    expect(sidecarPort(spec, { 'topology.foundation.dev/sidecar-port': 'http' })).to.equal(7070);
    expect(sidecarAddress('10.0.0.1', 7070)).to.equal('10.0.0.1:7070');
    expect(sidecarAddress('fd00::1', 7070)).to.equal('[fd00::1]:7070');
  });
});
