/**
 * `helm template` of the operator chart (or another chart) for the chart tests, offline, with the
 * helm binary of the local control-plane build: run helm, render to parsed objects, find by kind.
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { ensureBinaries } from '../../../src/localcluster/binaries.js';
import { operatorChartDir } from '../../../src/demo/app-chart.js';

/** A rendered manifest, walked as plain JSON. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

let helmBin = '';

/** Builds the control plane if needed and remembers its helm; call in a `before` hook (minutes on a cold cache). */
export async function useBuiltHelm(): Promise<void> {
  helmBin = join(await ensureBinaries(), 'helm');
}

/** Runs helm with a throwaway cache and config (no repositories, no state). */
export function helm(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(helmBin, args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'ship-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'ship-helm-config') },
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template topo <chart> --namespace ops --set ...`, parsed; throws with helm's stderr on failure. */
export function render(set: string[] = [], chart = operatorChartDir()): K8sObject[] {
  const r = helm(['template', 'topo', chart, '--namespace', 'ops', ...set.flatMap((s) => ['--set', s])]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject)
    .filter((o) => o !== null);
}

/** The objects of `kind` (and `name`). */
export const find = (objs: K8sObject[], kind: string, name?: string): K8sObject[] =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

/** Asserts that `helm template` refuses each `--set` value of `bad` through values.schema.json. */
export function expectSchemaRejects(bad: readonly string[], chart = operatorChartDir()): void {
  for (const b of bad) {
    const r = helm(['template', 'topo', chart, '--set', b]);
    expect(r.code, b).to.not.equal(0);
    expect(r.stderr, b).to.match(/values don't meet the specifications of the schema/);
  }
}
