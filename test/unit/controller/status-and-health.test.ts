import { expect } from 'chai';
import { Registry } from 'prom-client';
import { startHealthServer } from '../../../src/operator/controller/health.js';
import { ControllerMetrics } from '../../../src/operator/controller/metrics.js';
import { mergePatchFrom } from '../../../src/operator/controller/status-writer.js';

describe('controller/status-writer: mergePatchFrom', () => {
  it('sets changed keys, nulls removed ones, recurses into objects and replaces arrays', () => {
    const from = { phase: 'Ready', epoch: 1, members: { total: 3, ready: 3 }, history: [{ to: 'FullMesh' }], old: 'x' };
    const to = { phase: 'Switching', epoch: 1, members: { total: 4, ready: 3 }, history: [{ to: 'FullMesh' }, { to: 'HyParView' }] };
    expect(mergePatchFrom(from, to)).to.deep.equal({
      phase: 'Switching',
      members: { total: 4 },
      history: [{ to: 'FullMesh' }, { to: 'HyParView' }],
      old: null,
    });
    expect(mergePatchFrom(from, from)).to.deep.equal({});
    expect(mergePatchFrom({ a: { b: 1 } }, { a: 'flat' })).to.deep.equal({ a: 'flat' });
  });
});

describe('controller/health', () => {
  it('serves /healthz, /readyz (503 until ready, naming the failing check) and /metrics on loopback', async () => {
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    metrics.reconcileTotal.inc({ controller: 'c', result: 'success' });
    let synced = false;
    const server = await startHealthServer({ registry, port: 0, host: '127.0.0.1', readyChecks: [{ name: 'informers-synced', check: () => synced }] });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${base}/healthz`)).status).to.equal(200);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).to.equal(503);
      expect(await notReady.text()).to.contain('[-]informers-synced failed');
      synced = true;
      expect((await fetch(`${base}/readyz`)).status).to.equal(200);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).to.contain('topology_operator_reconcile_total{controller="c",result="success"} 1');
      expect(text).to.contain('topology_operator_workqueue_depth');
      expect((await fetch(`${base}/nope`)).status).to.equal(404);
    } finally {
      await server.close();
    }
  });
});
