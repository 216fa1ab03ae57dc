/**
 * The Grafana dashboard (deploy/grafana/topology-dashboard.json) queries only metrics the code
 * exports: the operator's and the sidecar's registries are built here, exactly as the processes
 * build them, and every `topology_*` name in every panel query, variable and annotation must be
 * one of theirs (histogram series `_bucket`/`_sum`/`_count` resolve to the histogram).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { ControllerMetrics } from '../../../src/operator/controller/metrics.js';
import { OperatorMetrics } from '../../../src/operator/operator-metrics.js';
import { createRegistry } from '../../../src/sidecar/metrics.js';
import { BufferBudget } from '../../../src/member/buffer-budget.js';
import { packageRoot } from '../../../src/paths.js';

interface Panel {
  title?: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

function exportedNames(): Map<string, string> {
  const types = new Map<string, string>();
  const operator = new Registry();
  new ControllerMetrics(operator);
  new OperatorMetrics(operator);
  const budget = new BufferBudget({ totalBytes: 1, kindBytes: { 'link-queue': 1, 'future-frames': 1, subscriber: 1 } });
  const sidecar = createRegistry(
    {
      epochs: () => [],
      unauthenticated: 0,
      malformed: new Map(),
      fence: { refused: () => new Map() },
      refusedDials: 0,
      budget,
      appDelivered: 0,
      appDuplicates: 0,
      gaps: new Map(),
      delivery: () => ({ repairRequests: 0, channels: 0, retainedBytes: 0 }),
    },
    'test',
  );
  for (const r of [operator, sidecar]) for (const m of r.getMetricsAsArray()) types.set(m.name, (m as unknown as { type: string }).type);
  return types;
}

function queries(dash: {
  panels: Panel[];
  templating: { list: { query?: unknown; definition?: string }[] };
  annotations: { list: { expr?: string }[] };
}): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const walk = (ps: Panel[]): void => {
    for (const p of ps) {
      for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating.list) if (v.definition) out.push({ where: 'variable', expr: v.definition });
  for (const a of dash.annotations.list) if (a.expr) out.push({ where: 'annotation', expr: a.expr });
  return out;
}

describe('Grafana dashboard', () => {
  const dash = JSON.parse(readFileSync(join(packageRoot(), 'deploy', 'grafana', 'topology-dashboard.json'), 'utf8')) as Parameters<typeof queries>[0] & {
    uid: string;
    title: string;
  };
  const names = exportedNames();

  it('queries only metrics that the operator and the sidecar export', () => {
    const missing: string[] = [];
    const used = new Set<string>();
    for (const q of queries(dash)) {
      for (const [token] of q.expr.matchAll(/\btopology_[a-z0-9_]+/g)) {
        const base = names.has(token) ? token : token.replace(/_(bucket|sum|count)$/, '');
        if (!names.has(base) || (base !== token && names.get(base) !== 'histogram')) missing.push(`${q.where}: ${token}`);
        used.add(base);
      }
    }
    expect(missing, `not exported by the code: ${missing.join(', ')}`).to.deep.equal([]);
    expect(used.size).to.be.greaterThan(15);
  });

  it('covers both the operator (topology_*, topology_operator_*) and the sidecars (topology_sidecar_*)', () => {
    const exprs = queries(dash)
      .map((q) => q.expr)
      .join('\n');
    expect(exprs).to.match(/topology_operator_reconcile_total/);
    expect(exprs).to.match(/topology_current/);
    expect(exprs).to.match(/topology_switches_total/);
    expect(exprs).to.match(/topology_sidecar_connections/);
    expect(exprs).to.match(/topology_sidecar_app_delivered_total/);
  });

  it('is importable: a uid, a data-source variable, and unique panel ids', () => {
    expect(dash.uid).to.equal('topology-operator');
    const ids: number[] = [];
    const walk = (ps: (Panel & { id?: number; datasource?: { uid: string } })[]): void => {
      for (const p of ps) {
        ids.push(p.id as number);
        if (p.type !== 'row') expect(p.datasource?.uid, p.title).to.equal('${datasource}');
        walk((p.panels ?? []) as typeof ps);
      }
    };
    walk(dash.panels as (Panel & { id?: number })[]);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});
