/**
 * The chart's image references and user-facing RBAC, rendered offline (`helm template`): every image
 * (operator, helm test pod, the sidecar the webhook injects, the sidecar of the named template) is
 * built by one helper from `global.imageRegistry` and per-image registry/repository/tag/digest; the
 * aggregated `<fullname>-view` / `-edit` ClusterRoles give view/edit/admin users ClusterTopologies.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { operatorChartDir } from '../../../src/demo/app-chart.js';
import { expectSchemaRejects, find, render, useBuiltHelm, type K8sObject } from './helm-render.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const APP_VERSION = (parse(readFileSync(join(operatorChartDir(), 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;

/** The four image references the chart renders, by who uses them. */
interface ChartImages {
  operator: string;
  helmTest: string;
  injected: string;
  namedTemplate: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are walked as plain JSON */
const operatorContainer = (objs: K8sObject[]): any => (find(objs, 'Deployment')[0] as any).spec.template.spec.containers[0];

/** The image of `--sidecar-defaults`, which the webhook injects. */
function injectedImage(objs: K8sObject[]): string {
  const flag = (operatorContainer(objs).args as string[]).find((a) => a.startsWith('--sidecar-defaults='));
  if (flag === undefined) throw new Error('no --sidecar-defaults flag');
  return (JSON.parse(flag.slice('--sidecar-defaults='.length)) as { image: string }).image;
}

/**
 * The named template's image in a chart that depends on the operator chart and passes `root`, so
 * the parent's `global` and `sidecar.image` values apply (as Helm shares `global` with subcharts).
 */
function namedTemplateImage(set: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ship-images-'));
  try {
    mkdirSync(join(dir, 'templates'));
    mkdirSync(join(dir, 'charts'));
    symlinkSync(operatorChartDir(), join(dir, 'charts', 'topology-operator'));
    writeFileSync(
      join(dir, 'Chart.yaml'),
      'apiVersion: v2\nname: probe\nversion: 0.0.1\nappVersion: "0.1.0"\ndependencies:\n  - name: topology-operator\n    version: "*"\n',
    );
    writeFileSync(join(dir, 'values.yaml'), 'sidecar: {}\ntopology-operator:\n  webhook:\n    enabled: false\n');
    writeFileSync(
      join(dir, 'templates', 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    {{- include "topology-operator.sidecar" (dict "topology" "chat" "root" $) | nindent 4 }}\n',
    );
    const [pod] = find(render(set, dir), 'Pod', 'p') as any[];
    return pod.spec.containers[0].image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function images(set: string[] = []): ChartImages {
  const objs = render(set);
  const [test] = find(objs, 'Pod') as any[];
  return {
    operator: operatorContainer(objs).image,
    helmTest: test.spec.containers[0].image,
    injected: injectedImage(objs),
    namedTemplate: namedTemplateImage(set),
  };
}

describe('helm chart topology-operator: image references and aggregated roles', function () {
  this.timeout(30 * 60_000);
  before(useBuiltHelm);

  it(`by default: no registry, the tag is the chart's appVersion (${APP_VERSION})`, () => {
    expect(images()).to.deep.equal({
      operator: `topology-operator:${APP_VERSION}`,
      helmTest: `topology-operator:${APP_VERSION}`,
      injected: `topology-sidecar:${APP_VERSION}`,
      namedTemplate: `topology-sidecar:${APP_VERSION}`,
    });
  });

  it('global.imageRegistry prefixes every image', () => {
    expect(images(['global.imageRegistry=registry.example.com/acme'])).to.deep.equal({
      operator: `registry.example.com/acme/topology-operator:${APP_VERSION}`,
      helmTest: `registry.example.com/acme/topology-operator:${APP_VERSION}`,
      injected: `registry.example.com/acme/topology-sidecar:${APP_VERSION}`,
      namedTemplate: `registry.example.com/acme/topology-sidecar:${APP_VERSION}`,
    });
  });

  it("a per-image registry, repository and tag override global's and the defaults", () => {
    const set = [
      'global.imageRegistry=registry.example.com',
      'sidecar.image.registry=mirror.local:5000/',
      'sidecar.image.tag=9.9.9',
      'image.repository=ops/op',
    ];
    expect(images(set)).to.deep.equal({
      operator: `registry.example.com/ops/op:${APP_VERSION}`,
      helmTest: `registry.example.com/ops/op:${APP_VERSION}`,
      injected: 'mirror.local:5000/topology-sidecar:9.9.9',
      namedTemplate: 'mirror.local:5000/topology-sidecar:9.9.9',
    });
  });

  it('a digest pins the image as <repository>@<digest>, the tag ignored', () => {
    const set = ['image.registry=ghcr.io/acme', 'image.tag=1.2.3', `image.digest=${DIGEST}`, `sidecar.image.digest=${DIGEST}`];
    expect(images(set)).to.deep.equal({
      operator: `ghcr.io/acme/topology-operator@${DIGEST}`,
      helmTest: `ghcr.io/acme/topology-operator@${DIGEST}`,
      injected: `topology-sidecar@${DIGEST}`,
      namedTemplate: `topology-sidecar@${DIGEST}`,
    });
  });

  it('the schema refuses a digest that is not sha256:<64 hex> and a registry with whitespace or @', () => {
    expectSchemaRejects([
      'image.digest=sha256:abc',
      `sidecar.image.digest=${DIGEST.toUpperCase()}`,
      'image.digest=latest',
      'global.imageRegistry=a b',
      'image.registry=reg@x',
    ]);
  });

  it('aggregates <fullname>-view (read) into view/edit/admin and <fullname>-edit (write, never status) into edit/admin', () => {
    const objs = render();
    const [view] = find(objs, 'ClusterRole', 'topo-topology-operator-view') as any[];
    const [edit] = find(objs, 'ClusterRole', 'topo-topology-operator-edit') as any[];
    const agg = (o: any): Record<string, string> =>
      Object.fromEntries(Object.entries(o.metadata.labels as Record<string, string>).filter(([k]) => k.startsWith('rbac.authorization.k8s.io/')));
    expect(agg(view)).to.deep.equal({
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(view.rules).to.deep.equal([
      { apiGroups: ['topology.foundation.dev'], resources: ['clustertopologies', 'clustertopologies/status'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(agg(edit)).to.deep.equal({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' });
    // kubectl-topology's writes are merge patches of spec or of the control annotation (src/cli/commands-write.ts).
    expect(edit.rules).to.deep.equal([
      { apiGroups: ['topology.foundation.dev'], resources: ['clustertopologies'], verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
    ]);
    // No binding: the built-in roles' aggregation controller picks them up by label.
    expect(find(objs, 'ClusterRoleBinding').map((b) => b.metadata.name)).to.not.include.members(['topo-topology-operator-view', 'topo-topology-operator-edit']);
  });

  it('rbac.aggregatedRoles=false (or rbac.create=false) renders neither; watchNamespaces keeps them', () => {
    const names = (set: string[]): string[] => find(render(set), 'ClusterRole').map((r) => r.metadata.name);
    expect(names(['rbac.aggregatedRoles=false'])).to.not.include.members(['topo-topology-operator-view']);
    expect(names(['rbac.aggregatedRoles=false'])).to.not.include.members(['topo-topology-operator-edit']);
    expect(names(['rbac.create=false'])).to.not.include.members(['topo-topology-operator-view']);
    // A RoleBinding to edit in one namespace grants them there: still useful with watched namespaces.
    expect(names(['watchNamespaces={apps}'])).to.include.members(['topo-topology-operator-view', 'topo-topology-operator-edit']);
  });
});
