/**
 * The Argo CD health check (deploy/argocd/health.lua) run in fengari, a Lua VM in JavaScript,
 * against the fixtures of deploy/argocd/health_test.yaml (Argo CD's own test layout): Healthy,
 * Progressing, Degraded, Suspended. Resources are handed to Lua as Argo CD does (lua-vm.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { packageRoot } from '../../../src/paths.js';
import { runLua } from './lua-vm.js';

const DIR = join(packageRoot(), 'deploy', 'argocd');

/** Runs the script with `obj` set, as Argo CD does; returns hs.status and hs.message. */
function health(script: string, obj: unknown): { status: string; message: string } {
  const hs = runLua(script, obj) as { status: string; message: string };
  return { status: hs.status, message: hs.message };
}

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

describe('Argo CD health check for ClusterTopology', () => {
  const script = readFileSync(join(DIR, 'health.lua'), 'utf8');
  const tests = (parse(readFileSync(join(DIR, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;

  it('has fixtures for Healthy, Progressing, Degraded and Suspended', () => {
    expect(new Set(tests.map((t) => t.healthStatus.status))).to.deep.equal(new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended']));
  });

  for (const t of tests) {
    it(`${t.inputPath} → ${t.healthStatus.status}`, () => {
      const obj = parse(readFileSync(join(DIR, t.inputPath), 'utf8')) as unknown;
      expect(health(script, obj)).to.deep.equal(t.healthStatus);
    });
  }

  it('argocd-cm-patch.yaml carries the script verbatim', () => {
    const cm = parse(readFileSync(join(DIR, 'argocd-cm-patch.yaml'), 'utf8')) as { data: Record<string, string> };
    expect(cm.data['resource.customizations.health.topology.foundation.dev_ClusterTopology']).to.equal(script);
  });
});
