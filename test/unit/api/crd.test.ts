import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../../../src/paths.js';
import { CRD_FILE, renderCrdYaml, type CustomResourceDefinition } from '../../../src/api/crd.js';
import { CRD_DOC_FILE, renderCrdDoc } from '../../../src/codegen/crd-docs.js';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import {
  AUTO_SWITCH_DEFAULTS,
  MEMBER_READINESS_DEFAULTS,
  OVERLAY_DEFAULTS,
  ROLLOUT_DEFAULTS,
  SIDECAR_DEFAULTS,
  SPEC_DEFAULTS,
} from '../../../src/api/defaults.js';
import type { SchemaProps } from '../../../src/api/schema-types.js';
import type { ResolvedSpec } from '../../../src/api/types.js';
import { mirrorOf, RULES } from '../../../src/api/validation-rules.js';
import { API_VERSION, CRD_NAME, FINALIZER, KIND, PLURAL } from '../../../src/api/constants.js';

const root = packageRoot();
const crdText = readFileSync(join(root, CRD_FILE), 'utf8');
const crd = parse(crdText) as CustomResourceDefinition;
const version = crd.spec.versions[0]!;
const schema = version.schema.openAPIV3Schema;

/** Visits every schema node with its path. */
function walk(s: SchemaProps, path: string, visit: (s: SchemaProps, path: string) => void): void {
  visit(s, path);
  for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${k}`, visit);
  if (s.items !== undefined) walk(s.items, `${path}[]`, visit);
  if (s.additionalProperties !== undefined) walk(s.additionalProperties, `${path}{}`, visit);
}

describe('ClusterTopology CRD', () => {
  it('is the committed output of the generator (npm run gen:crd)', () => {
    expect(crdText).to.equal(renderCrdYaml());
  });

  it('has the names, scope, subresource and printer columns of DESIGN.md', () => {
    expect(crd.metadata.name).to.equal(CRD_NAME);
    expect(`${crd.spec.group}/${version.name}`).to.equal(API_VERSION);
    expect(crd.spec.names.kind).to.equal(KIND);
    expect(crd.spec.names.plural).to.equal(PLURAL);
    expect(crd.spec.names.shortNames).to.deep.equal(['ctopo']);
    expect(crd.spec.names.categories).to.deep.equal(['topology']);
    expect(crd.spec.scope).to.equal('Namespaced');
    expect(version.subresources.status).to.deep.equal({});
    const always = version.additionalPrinterColumns.filter((c) => c.priority === undefined).map((c) => c.name);
    expect(always).to.deep.equal(['Topology', 'Phase', 'Members', 'Ready', 'Age']);
    const wide = version.additionalPrinterColumns.filter((c) => c.priority === 1).map((c) => c.name);
    expect(wide).to.include.members(['Target', 'Epoch']);
    expect(FINALIZER).to.equal('topology.foundation.dev/finalizer');
  });

  it('is structural: every node has a type (or is an int-or-string) and a description; objects declare their fields; lists are bounded', () => {
    const problems: string[] = [];
    let nodes = 0;
    walk(schema, '', (s, path) => {
      nodes++;
      // An int-or-string has no type of its own, as the API server requires (anyOf names both).
      if (s.type === undefined && s['x-kubernetes-int-or-string'] !== true) problems.push(`${path}: no type`);
      if (path === '.metadata') return; // the API server forbids anything but `type` there
      if (s.description === undefined || s.description.trim().length < 8) problems.push(`${path}: no useful description`);
      if (s.type === 'object' && s.properties === undefined && s.additionalProperties === undefined) problems.push(`${path}: object without fields`);
      if (s.type === 'array' && s.maxItems === undefined) problems.push(`${path}: list without maxItems`);
      if (s.type === 'object' && s.additionalProperties !== undefined && s.maxProperties === undefined) problems.push(`${path}: map without maxProperties`);
      if (s.type === 'integer' && s.format === undefined) problems.push(`${path}: integer without format`);
    });
    expect(problems).to.deep.equal([]);
    expect(nodes).to.be.greaterThan(100);
  });

  it('bounds the history by spec.historyLimit (default 20, max 100) and keys conditions by type', () => {
    const spec = schema.properties!['spec']!;
    const status = schema.properties!['status']!;
    expect(spec.properties!['historyLimit']).to.include({ default: 20, maximum: 100, minimum: 1 });
    expect(status.properties!['history']!.maxItems).to.equal(100);
    const cond = status.properties!['conditions']!;
    expect(cond['x-kubernetes-list-type']).to.equal('map');
    expect(cond['x-kubernetes-list-map-keys']).to.deep.equal(['type']);
    expect(cond.items!.required).to.include.members(['type', 'status', 'lastTransitionTime', 'reason', 'message']);
    expect(cond.items!.properties!['observedGeneration']!.type).to.equal('integer');
  });

  it('has a TypeScript mirror for every CEL rule, and uses every mirrored rule', () => {
    const used = new Set<string>();
    walk(schema, '', (s, path) => {
      for (const r of s['x-kubernetes-validations'] ?? []) {
        expect(mirrorOf(r), `${path}: ${r.rule}`).to.not.equal(undefined);
        expect(r.message.length, `${path}: message`).to.be.greaterThan(20);
        used.add(r.rule);
      }
    });
    expect([...used].sort()).to.deep.equal(
      Object.values(RULES)
        .map((r) => r.rule)
        .sort(),
    );
  });

  it('applies exactly the defaults the CRD declares (one truth)', () => {
    // Every `default:` in the YAML must be what applyDefaults puts at that path.
    const resolved = applyDefaults({ selector: { matchLabels: { app: 'x' } } }) as unknown as Record<string, unknown>;
    let checked = 0;
    const visit = (s: SchemaProps, value: unknown, path: string): void => {
      for (const [k, prop] of Object.entries(s.properties ?? {})) {
        const v = (value as Record<string, unknown> | undefined)?.[k];
        if (prop.default !== undefined && !(prop.type === 'object' && Object.keys(prop.default as object).length === 0)) {
          expect(v, `spec${path}.${k}`).to.deep.equal(prop.default);
          checked++;
        }
        if (prop.type === 'object' && v !== undefined) visit(prop, v, `${path}.${k}`);
      }
    };
    visit(schema.properties!['spec']!, resolved, '');
    expect(checked).to.be.greaterThan(30);
  });

  it('resolves a minimal spec to the documented defaults of defaults.ts', () => {
    const expected: ResolvedSpec = {
      selector: { matchLabels: { app: 'x' } },
      mode: SPEC_DEFAULTS.mode,
      workload: SPEC_DEFAULTS.workload,
      paused: SPEC_DEFAULTS.paused,
      historyLimit: SPEC_DEFAULTS.historyLimit,
      memberTags: [...SPEC_DEFAULTS.memberTags],
      overlays: { hyParView: OVERLAY_DEFAULTS.hyParView, clientServer: OVERLAY_DEFAULTS.clientServer, pubSub: OVERLAY_DEFAULTS.pubSub },
      autoSwitch: AUTO_SWITCH_DEFAULTS,
      rollout: ROLLOUT_DEFAULTS,
      sidecar: { port: SIDECAR_DEFAULTS.port },
      memberReadiness: MEMBER_READINESS_DEFAULTS,
    };
    expect(applyDefaults({ selector: { matchLabels: { app: 'x' } } })).to.deep.equal(expected);
    expect(expected.autoSwitch.cooldownSeconds).to.equal(300);
    expect(expected.rollout.steps).to.deep.equal([10, 50, 100]);
    expect(expected.sidecar.port).to.equal(7070);
  });

  it('keeps user values and does not modify its input', () => {
    const input = { selector: { matchLabels: { app: 'x' } }, rollout: { steps: [25, 100] }, sidecar: { tokenSecretRef: { name: 's' } } };
    const copy = JSON.parse(JSON.stringify(input)) as typeof input;
    const out = applyDefaults(input);
    expect(input).to.deep.equal(copy);
    expect(out.rollout.steps).to.deep.equal([25, 100]);
    expect(out.rollout.stepVerificationSeconds).to.equal(10);
    expect(out.sidecar.tokenSecretRef).to.deep.equal({ name: 's', key: 'token' });
  });

  it('docs/crd-reference.md is the committed output of npm run docs:crd', () => {
    const doc = readFileSync(join(root, CRD_DOC_FILE), 'utf8');
    expect(doc).to.equal(renderCrdDoc(crd));
    expect(doc).to.include('`spec.rollout.steps`');
    expect(doc).to.include('steps must end at 100');
  });
});
