/**
 * The status writer against a real API server, on a tiny CRD of this test's own
 * (`widgets.test.topology.foundation.dev`, status subresource): merge-patches status through the
 * subresource, removes fields with null, retries a 409 Conflict by re-reading and re-applying the
 * mutation, and adds/removes finalizers.
 */
import { expect } from 'chai';
import { silentLogger } from '../../src/operator/controller/log.js';
import { StatusWriter, type CustomResourceRef } from '../../src/operator/controller/status-writer.js';
import { createTestNamespace, getCluster, type TestCluster } from './support/cluster.js';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.topology.foundation.dev
spec:
  group: test.topology.foundation.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

interface WidgetStatus {
  phase?: string;
  observedSize?: number;
  note?: string;
  members?: { total?: number; ready?: number };
}

describe('e2e controller/status-writer', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;
  let ref: CustomResourceRef;

  before(async () => {
    cluster = await getCluster();
    ns = await createTestNamespace('ctl-status');
    await cluster.kubectl(['apply', '-f', '-'], { input: CRD });
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/widgets.test.topology.foundation.dev']);
    await cluster.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: test.topology.foundation.dev/v1\nkind: Widget\nmetadata: {name: w1, namespace: ${ns}}\nspec: {size: 1}\n`,
    });
    ref = { group: 'test.topology.foundation.dev', version: 'v1', plural: 'widgets', namespace: ns, name: 'w1' };
  });

  after(async () => {
    if (cluster === undefined) return;
    await cluster.kubectl(['delete', 'widgets.test.topology.foundation.dev', '--all', '-n', ns, '--wait=false'], { allowFail: true });
    await cluster.kubectl(['delete', 'crd', 'widgets.test.topology.foundation.dev', '--wait=false'], { allowFail: true });
  });

  async function status(): Promise<WidgetStatus> {
    const r = await cluster.kubectl(['get', 'widgets.test.topology.foundation.dev', 'w1', '-n', ns, '-o', 'jsonpath={.status}']);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as WidgetStatus);
  }

  it('merge-patches status through the subresource and removes fields with null', async () => {
    const writer = new StatusWriter({ kubeConfig: cluster.kubeConfig(), logger: silentLogger() });
    const written = await writer.updateStatus<WidgetStatus>(ref, () => ({ phase: 'Ready', note: 'temporary', members: { total: 3, ready: 2 } }));
    expect(written.status).to.deep.equal({ phase: 'Ready', note: 'temporary', members: { total: 3, ready: 2 } });
    await writer.updateStatus<WidgetStatus>(ref, (w) => {
      const { note: _note, ...rest } = w.status ?? {};
      return { ...rest, members: { ...rest.members, ready: 3 } };
    });
    expect(await status()).to.deep.equal({ phase: 'Ready', members: { total: 3, ready: 3 } });
    // The status subresource ignores spec: writing status does not touch the spec.
    const spec = await cluster.kubectl(['get', 'widgets.test.topology.foundation.dev', 'w1', '-n', ns, '-o', 'jsonpath={.spec.size}']);
    expect(spec.stdout).to.equal('1');
    // A mutation that changes nothing writes nothing: the resourceVersion stays.
    const unchanged = await writer.updateStatus<WidgetStatus>(ref, (w) => w.status);
    const again = await writer.updateStatus<WidgetStatus>(ref, (w) => w.status);
    expect(again.metadata?.resourceVersion).to.equal(unchanged.metadata?.resourceVersion);
  });

  it('retries a 409 Conflict: re-reads the object and re-applies the mutation', async () => {
    const writer = new StatusWriter({ kubeConfig: cluster.kubeConfig(), logger: silentLogger() });
    const seenSizes: number[] = [];
    let calls = 0;
    const result = await writer.updateStatus<WidgetStatus>(ref, async (w) => {
      calls++;
      const size = Number((w.spec as { size?: number } | undefined)?.size);
      seenSizes.push(size);
      // On the first attempt another writer changes the object between our read and our write.
      if (calls === 1) {
        await cluster.kubectl(['patch', 'widgets.test.topology.foundation.dev', 'w1', '-n', ns, '--type', 'merge', '-p', '{"spec":{"size":2}}']);
      }
      return { ...w.status, observedSize: size };
    });
    expect(calls).to.equal(2);
    expect(seenSizes).to.deep.equal([1, 2], 'the retry re-read the object');
    expect(writer.conflictsRetried()).to.equal(1);
    expect(result.status?.observedSize).to.equal(2);
    expect((await status()).observedSize).to.equal(2);
  });

  it('gives up after maxAttempts conflicts and surfaces the 409', async () => {
    const writer = new StatusWriter({ kubeConfig: cluster.kubeConfig(), logger: silentLogger(), maxAttempts: 2 });
    let calls = 0;
    let error: unknown;
    try {
      await writer.updateStatus<WidgetStatus>(ref, async (w) => {
        calls++;
        await cluster.kubectl(['patch', 'widgets.test.topology.foundation.dev', 'w1', '-n', ns, '--type', 'merge', '-p', `{"spec":{"size":${10 + calls}}}`]);
        return { ...w.status, phase: `attempt-${calls}` };
      });
    } catch (err) {
      error = err;
    }
    expect(calls).to.equal(2);
    expect((error as { code?: number }).code).to.equal(409);
  });

  it('adds and removes finalizers', async () => {
    const writer = new StatusWriter({ kubeConfig: cluster.kubeConfig(), logger: silentLogger() });
    await writer.addFinalizer(ref, 'topology.foundation.dev/cleanup');
    await writer.addFinalizer(ref, 'topology.foundation.dev/cleanup');
    await writer.addFinalizer(ref, 'example.com/other');
    const finalizers = async () =>
      (await cluster.kubectl(['get', 'widgets.test.topology.foundation.dev', 'w1', '-n', ns, '-o', 'jsonpath={.metadata.finalizers}'])).stdout;
    expect(JSON.parse(await finalizers())).to.deep.equal(['topology.foundation.dev/cleanup', 'example.com/other']);
    await writer.removeFinalizer(ref, 'topology.foundation.dev/cleanup');
    expect(JSON.parse(await finalizers())).to.deep.equal(['example.com/other']);
    await writer.removeFinalizer(ref, 'example.com/other');
    expect(await finalizers()).to.equal('');
  });
});
