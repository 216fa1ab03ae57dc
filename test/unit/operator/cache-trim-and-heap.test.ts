import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import { LAST_APPLIED_ANNOTATION, trimMetadata, trimPod } from '../../../src/operator/cache-trim.js';
import { DEFAULT_V8_FLAGS, heapFlags } from '../../../src/operator/heap-policy.js';
import { memberPods, memberRelevantChange } from '../../../src/operator/reconcile/members.js';

/** A pod as the API server returns it: spec, managedFields, last-applied, full status. */
function fullPod(): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'chat-0',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
      labels: { app: 'chat' },
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', 'topology.foundation.dev/sidecar-port': '7171' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:metadata': {} } }],
    },
    spec: { containers: [{ name: 'app', image: 'chat:1', env: [{ name: 'A', value: 'x'.repeat(1000) }] }] },
    status: {
      phase: 'Running',
      podIP: '127.0.1.5',
      hostIP: '127.0.0.1',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 2, image: 'chat:1', imageID: 'sha', started: true }],
    },
  };
}

describe('cache-trim: what the informer caches keep', () => {
  it('drops managedFields and the last-applied annotation, keeping the rest of the metadata', () => {
    const o = trimMetadata(fullPod());
    expect(o.metadata).to.deep.equal({
      name: 'chat-0',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
      labels: { app: 'chat' },
      annotations: { 'topology.foundation.dev/sidecar-port': '7171' },
    });
  });

  it('keeps of a Pod exactly what membership and change detection read', () => {
    const spec = applyDefaults({ selector: { matchLabels: { app: 'chat' } }, mode: 'Manual', topology: 'FullMesh' });
    const before = memberPods(spec, [fullPod()], new Date()).map(({ pod: _pod, ...m }) => m);
    const trimmed = trimPod(fullPod());
    expect(trimmed.spec).to.equal(undefined);
    expect(trimmed.status).to.deep.equal({
      phase: 'Running',
      podIP: '127.0.1.5',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 2, image: 'chat:1', imageID: 'sha', started: true }],
    });
    expect(memberPods(spec, [trimmed], new Date()).map(({ pod: _pod, ...m }) => m)).to.deep.equal(before);
    expect(before[0]).to.deep.include({ address: '127.0.1.5:7171', podReady: true });
    // A restart or a readiness change is still seen between two trimmed pods.
    const restarted = fullPod();
    restarted.status!.containerStatuses![0]!.restartCount = 3;
    expect(memberRelevantChange(trimPod(fullPod()), trimPod(restarted))).to.equal(true);
    expect(memberRelevantChange(trimPod(fullPod()), trimPod(fullPod()))).to.equal(false);
  });
});

describe('heap-policy', () => {
  it('defaults to --optimize-for-size; TOPOLOGY_OPERATOR_V8_FLAGS replaces it, empty for none', () => {
    expect(heapFlags({})).to.deep.equal([DEFAULT_V8_FLAGS]);
    expect(heapFlags({ TOPOLOGY_OPERATOR_V8_FLAGS: '' })).to.deep.equal([]);
    expect(heapFlags({ TOPOLOGY_OPERATOR_V8_FLAGS: ' --heap-growing-percent=30  --no-memory-reducer ' })).to.deep.equal([
      '--heap-growing-percent=30',
      '--no-memory-reducer',
    ]);
  });
});
