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
  { name: 'empty selector', spec: { selector: {}, topology: 'FullMesh' }, path: 'spec.selector', says: 'selector must require a label the pods carry' },
  {
    name: 'DoesNotExist-only selector',
    spec: { selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, topology: 'FullMesh' },
    path: 'spec.selector',
    says: 'a matchExpressions requirement with operator In or Exists',
  },
  {
    name: 'NotIn and DoesNotExist selector',
    spec: {
      selector: {
        matchExpressions: [
          { key: 'app', operator: 'NotIn', values: ['db'] },
          { key: 'tier', operator: 'DoesNotExist' },
        ],
      },
      topology: 'FullMesh',
    },
    path: 'spec.selector',
    says: 'only NotIn and DoesNotExist requirements, matches nearly every pod',
  },
  {
    name: 'matchLabels key with a space',
    spec: { selector: { matchLabels: { 'my app': 'chat' } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels',
    says: 'every matchLabels key must be a valid label key: an optional prefix',
  },
  {
    name: 'matchLabels key with two slashes',
    spec: { selector: { matchLabels: { 'a/b/c': 'chat' } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels',
    says: 'every matchLabels key must be a valid label key',
  },
  {
    name: 'matchLabels key with an uppercase prefix',
    spec: { selector: { matchLabels: { 'Example.com/app': 'chat' } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels',
    says: 'every matchLabels key must be a valid label key',
  },
  {
    name: 'matchLabels key name of 64 characters',
    spec: { selector: { matchLabels: { ['a'.repeat(64)]: 'chat' } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels',
    says: 'a name of 1 to 63 letters',
  },
  {
    name: 'matchLabels key prefix of 254 characters',
    spec: { selector: { matchLabels: { [`${'a'.repeat(254)}/app`]: 'chat' } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels',
    says: 'at most 253 characters',
  },
  {
    name: 'matchLabels value with a space',
    spec: { selector: { matchLabels: { app: 'my chat' } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels[app]',
    says: 'must be a valid label value: empty, or 1 to 63 letters',
  },
  {
    name: 'matchLabels value ending in a dash',
    spec: { selector: { matchLabels: { app: 'chat-' } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels[app]',
    says: 'must be a valid label value',
  },
  {
    name: 'matchLabels value of 64 characters',
    spec: { selector: { matchLabels: { app: 'a'.repeat(64) } }, topology: 'FullMesh' },
    path: 'spec.selector.matchLabels[app]',
    says: 'may not be more than 63 bytes',
  },
  {
    name: 'matchExpressions key starting with a dot',
    spec: { selector: { matchExpressions: [{ key: '.app', operator: 'Exists' }] }, topology: 'FullMesh' },
    path: 'spec.selector.matchExpressions[0].key',
    says: 'must be a valid label key: an optional prefix',
  },
  {
    name: 'matchExpressions value with a slash',
    spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['chat', 'a/b'] }] }, topology: 'FullMesh' },
    path: 'spec.selector.matchExpressions[0].values[1]',
    says: 'must be a valid label value',
  },
  {
    name: 'server selector key with a colon',
    spec: { selector: sel, topology: 'ClientServer', overlays: { clientServer: { serverSelector: { matchLabels: { 'role:x': 'server' } } } } },
    path: 'spec.overlays.clientServer.serverSelector.matchLabels',
    says: 'every matchLabels key must be a valid label key',
  },
  {
    name: 'DoesNotExist-only server selector',
    spec: {
      selector: sel,
      topology: 'ClientServer',
      overlays: { clientServer: { serverSelector: { matchExpressions: [{ key: 'role', operator: 'DoesNotExist' }] } } },
    },
    path: 'spec.overlays.clientServer.serverSelector',
    says: 'selector must require a label the pods carry',
  },
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
    says: 'selector must require a label the pods carry',
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

  it('accepts valid label syntax at the limits, and selectors with one In or Exists among exclusions', () => {
    const keys = ['app', 'a', 'app.kubernetes.io/name', 'example.com/a_b.c-D', 'A9', 'a'.repeat(63), `${'a'.repeat(253)}/${'b'.repeat(63)}`, 'x-y.z/Q'];
    for (const k of keys) expect(formatFieldErrors(validateSpec({ selector: { matchLabels: { [k]: 'v' } }, topology: 'FullMesh' })), k).to.equal('');
    for (const v of ['', 'chat', 'v1.2', 'A_b-C', 'z'.repeat(63)])
      expect(formatFieldErrors(validateSpec({ selector: { matchLabels: { app: v } }, topology: 'FullMesh' })), JSON.stringify(v)).to.equal('');
    const mixed = {
      matchExpressions: [
        { key: 'tier', operator: 'DoesNotExist' as const },
        { key: 'env', operator: 'NotIn' as const, values: ['prod', ''] },
        { key: 'example.com/app', operator: 'Exists' as const },
      ],
    };
    expect(formatFieldErrors(validateSpec({ selector: mixed, topology: 'FullMesh' }))).to.equal('');
  });

  it('judges label keys and values exactly as apimachinery IsQualifiedName / IsValidLabelValue do (2,000 seeded strings)', () => {
    // A direct port of k8s.io/apimachinery/pkg/util/validation, written apart from label-syntax.ts.
    const name = (s: string): boolean => s.length >= 1 && s.length <= 63 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(s);
    const subdomain = (s: string): boolean => s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);
    const qualified = (s: string): boolean => {
      const parts = s.split('/');
      if (parts.length === 1) return name(parts[0]!);
      if (parts.length !== 2) return false;
      return parts[0]!.length > 0 && subdomain(parts[0]!) && name(parts[1]!);
    };
    const labelValue = (s: string): boolean => s === '' || name(s);
    const chars = fc.constantFrom('a', 'b', 'Z', '0', '9', '-', '_', '.', '/', ' ', 'é', ':');
    const str = fc.oneof(fc.string({ unit: chars, maxLength: 12 }), fc.string({ unit: chars, minLength: 60, maxLength: 70 }));
    fc.assert(
      fc.property(str, (s) => {
        const keyOk = validateSpec({ selector: { matchLabels: { [s]: 'v' } }, topology: 'FullMesh' }).length === 0;
        expect(keyOk, `key ${JSON.stringify(s)}`).to.equal(qualified(s));
        const valueOk = validateSpec({ selector: { matchLabels: { app: s } }, topology: 'FullMesh' }).length === 0;
        expect(valueOk, `value ${JSON.stringify(s)}`).to.equal(labelValue(s));
      }),
      { seed: 20261202, numRuns: 2000 },
    );
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
  it('follows metav1.LabelSelector semantics and matches nothing when it requires no label (empty, or only NotIn/DoesNotExist)', () => {
    const labels = { app: 'chat', tier: 'web' };
    expect(selectorMatches({ matchLabels: { app: 'chat' } }, labels)).to.equal(true);
    expect(selectorMatches({ matchLabels: { app: 'other' } }, labels)).to.equal(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] }, labels)).to.equal(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels)).to.equal(false);
    const and = (r: { key: string; operator: 'NotIn' | 'DoesNotExist'; values?: string[] }) => ({
      matchExpressions: [{ key: 'app', operator: 'Exists' as const }, r],
    });
    expect(selectorMatches(and({ key: 'zone', operator: 'DoesNotExist' }), labels)).to.equal(true);
    expect(selectorMatches(and({ key: 'tier', operator: 'DoesNotExist' }), labels)).to.equal(false);
    expect(selectorMatches(and({ key: 'tier', operator: 'NotIn', values: ['web'] }), labels)).to.equal(false);
    expect(selectorMatches(and({ key: 'tier', operator: 'NotIn', values: ['db'] }), labels)).to.equal(true);
    // The dangerous readings of objects that predate the CRD rule select nothing.
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels)).to.equal(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, labels)).to.equal(false);
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
