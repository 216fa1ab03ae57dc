/**
 * The injection decision and its JSONPatch, applied with a small RFC 6902 `add` interpreter to
 * check the resulting pod; malformed overrides refused with the annotation's name; idempotence.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { V1Pod } from '@kubernetes/client-node';
import { decideInjection, INJECTED_ANNOTATION, type JsonPatchOperation } from '../../../../src/operator/inject/inject-patch.js';
import { INJECT_ANNOTATION, OVERRIDE_ANNOTATIONS, TOPOLOGY_ANNOTATION } from '../../../../src/operator/inject/inject-annotations.js';
import { reviewPod } from '../../../../src/operator/inject/admission-review.js';
import { SIDECAR_CONTAINER_NAME, TEMPLATE_SIDECAR_DEFAULTS } from '../../../../src/operator/inject/sidecar-spec.js';

/** Applies RFC 6902 `add` operations (the only op the webhook emits) to a copy of `doc`. */
function applyPatch<T>(doc: T, ops: readonly JsonPatchOperation[]): T {
  const out = structuredClone(doc) as unknown as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = parts.pop()!;
    let target: Record<string, unknown> | unknown[] = out;
    for (const p of parts) target = (target as Record<string, unknown>)[p] as Record<string, unknown>;
    if (Array.isArray(target)) {
      if (last === '-') target.push(op.value);
      else target.splice(Number(last), 0, op.value);
    } else {
      expect(target, `parent of ${op.path}`).to.be.an('object');
      target[last] = op.value;
    }
  }
  return out as unknown as T;
}

function pod(annotations: Record<string, string> | undefined, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { generateName: 'app-', namespace: 'team', ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'my-app:1' }], ...extra },
  } as V1Pod;
}
const asks = { [INJECT_ANNOTATION]: 'true', [TOPOLOGY_ANNOTATION]: 'chat' };

describe('sidecar injection: decision and patch', () => {
  it('adds the native sidecar first among init containers, its volume, the app env and the injected annotation', () => {
    const p = pod(asks, { initContainers: [{ name: 'migrate', image: 'm' }], volumes: [{ name: 'data', emptyDir: {} }] });
    const d = decideInjection(p, 'pod', TEMPLATE_SIDECAR_DEFAULTS);
    if (d.kind !== 'patch') throw new Error(`expected a patch, got ${JSON.stringify(d)}`);
    const out = applyPatch(p, d.patch);
    expect(out.spec!.initContainers!.map((c) => c.name)).to.deep.equal([SIDECAR_CONTAINER_NAME, 'migrate']);
    expect(out.spec!.initContainers![0]!.restartPolicy).to.equal('Always');
    expect(out.spec!.volumes!.map((v) => v.name)).to.deep.equal(['data', 'topology-credentials']);
    expect(out.spec!.volumes![1]!.secret!.secretName).to.equal('chat-sidecar-credentials');
    expect(out.spec!.containers[0]!.env).to.deep.equal([{ name: 'TOPOLOGY_APP_ADDRESS', value: '127.0.0.1:7947' }]);
    expect(out.metadata!.annotations![INJECTED_ANNOTATION]).to.equal('topology-sidecar:0.1.0');
  });

  it('creates the lists that are missing; a $(POD_IP) app host gives the app POD_IP first', () => {
    const p = pod(
      { ...asks, [OVERRIDE_ANNOTATIONS.appHost]: '$(POD_IP)' },
      {
        containers: [
          { name: 'a', image: 'x', env: [{ name: 'X', value: '1' }] },
          { name: 'b', image: 'y' },
        ],
      },
    );
    const d = decideInjection(p, 'pod', TEMPLATE_SIDECAR_DEFAULTS);
    if (d.kind !== 'patch') throw new Error('expected a patch');
    const out = applyPatch(p, d.patch);
    expect(out.spec!.containers[0]!.env!.map((e) => e.name)).to.deep.equal(['X', 'POD_IP', 'TOPOLOGY_APP_ADDRESS']);
    expect(out.spec!.containers[1]!.env!.map((e) => e.name)).to.deep.equal(['POD_IP', 'TOPOLOGY_APP_ADDRESS']);
    expect(out.spec!.containers[1]!.env![1]!.value).to.equal('$(POD_IP):7947');
    expect(out.spec!.initContainers![0]!.args).to.include('--app-address=$(POD_IP):7947');
  });

  it('applies overrides of image, ports, resources and log level', () => {
    const a = OVERRIDE_ANNOTATIONS;
    const p = pod({
      ...asks,
      [a.image]: 'reg.example/sc:2',
      [a.peerPort]: '7100',
      [a.cpuRequest]: '50m',
      [a.memoryLimit]: '1Gi',
      [a.logLevel]: 'debug',
    });
    const d = decideInjection(p, 'pod', TEMPLATE_SIDECAR_DEFAULTS);
    if (d.kind !== 'patch') throw new Error('expected a patch');
    const sc = applyPatch(p, d.patch).spec!.initContainers![0]!;
    expect(sc.image).to.equal('reg.example/sc:2');
    expect(sc.args).to.include.members(['--peer-port=7100', '--log-level=debug']);
    expect(sc.ports![0]!.containerPort).to.equal(7100);
    expect(sc.resources).to.deep.equal({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '1Gi' } });
  });

  it('refuses a malformed override with a message naming the annotation', () => {
    const a = OVERRIDE_ANNOTATIONS;
    const cases: [string, string][] = [
      [a.cpuRequest, 'lots'],
      [a.memoryLimit, '1 Gi'],
      [a.peerPort, '70000'],
      [a.healthPort, 'abc'],
      [a.appPort, '7070'], // same as the peer port
      [a.logLevel, 'verbose'],
      [a.image, 'has space'],
      [a.pullPolicy, 'Sometimes'],
      [a.appHost, 'example.com'],
    ];
    for (const [name, value] of cases) {
      const d = decideInjection(pod({ ...asks, [name]: value }), 'pod', TEMPLATE_SIDECAR_DEFAULTS);
      expect(d.kind, `${name}=${value}`).to.equal('deny');
      if (d.kind === 'deny') expect(d.message, `${name}=${value}`).to.contain(name);
    }
    const none = decideInjection(pod({ [INJECT_ANNOTATION]: 'true' }), 'pod', TEMPLATE_SIDECAR_DEFAULTS);
    expect(none.kind === 'deny' && none.message).to.contain(TOPOLOGY_ANNOTATION);
  });

  it('skips pods that do not ask (pod scope), that opt out (namespace scope), or already have the sidecar; injects namespace pods by default', () => {
    expect(decideInjection(pod({ [TOPOLOGY_ANNOTATION]: 'chat' }), 'pod', TEMPLATE_SIDECAR_DEFAULTS).kind).to.equal('skip');
    expect(decideInjection(pod({ [TOPOLOGY_ANNOTATION]: 'chat' }), 'namespace', TEMPLATE_SIDECAR_DEFAULTS).kind).to.equal('patch');
    expect(decideInjection(pod({ [INJECT_ANNOTATION]: 'false', [TOPOLOGY_ANNOTATION]: 'chat' }), 'namespace', TEMPLATE_SIDECAR_DEFAULTS).kind).to.equal('skip');
    const labelled = { ...pod({ [TOPOLOGY_ANNOTATION]: 'chat' }) };
    labelled.metadata!.labels = { [INJECT_ANNOTATION]: 'true' };
    expect(decideInjection(labelled, 'pod', TEMPLATE_SIDECAR_DEFAULTS).kind).to.equal('patch');
  });

  it('is idempotent: the patched pod, reviewed again (reinvocationPolicy IfNeeded), is left alone', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 3 }), (withInit, withVolumes, containers) => {
        const p = pod(asks, {
          containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: 'x' })),
          ...(withInit ? { initContainers: [{ name: 'i', image: 'x' }] } : {}),
          ...(withVolumes ? { volumes: [{ name: 'v', emptyDir: {} }] } : {}),
        });
        const d = decideInjection(p, 'pod', TEMPLATE_SIDECAR_DEFAULTS);
        if (d.kind !== 'patch') return false;
        const once = applyPatch(p, d.patch);
        expect(once.spec!.containers.every((c) => c.env?.some((e) => e.name === 'TOPOLOGY_APP_ADDRESS'))).to.equal(true);
        return decideInjection(once, 'pod', TEMPLATE_SIDECAR_DEFAULTS).kind === 'skip';
      }),
      { seed: 17, numRuns: 50 },
    );
    // A pod with the named template's sidecar (a plain container) is left alone too.
    expect(decideInjection(pod(asks, { containers: [{ name: SIDECAR_CONTAINER_NAME, image: 's' }] }), 'pod', TEMPLATE_SIDECAR_DEFAULTS).kind).to.equal('skip');
  });
});

describe('sidecar injection: AdmissionReview v1', () => {
  const review = (object: V1Pod, operation = 'CREATE'): unknown => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', namespace: 'team', operation, kind: { group: '', version: 'v1', kind: 'Pod' }, object },
  });

  it('answers a JSONPatch, base64, with the request uid', () => {
    const r = reviewPod(review(pod(asks)), 'pod', TEMPLATE_SIDECAR_DEFAULTS)!;
    expect(r.response.response).to.include({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
    const ops = JSON.parse(Buffer.from(r.response.response.patch!, 'base64').toString()) as JsonPatchOperation[];
    expect(ops[0]!.path).to.equal('/spec/initContainers');
  });

  it('refuses with code 400 and the message; allows anything else unchanged; rejects what is no review', () => {
    const bad = reviewPod(review(pod({ ...asks, [OVERRIDE_ANNOTATIONS.cpuLimit]: 'x' })), 'pod', TEMPLATE_SIDECAR_DEFAULTS)!;
    expect(bad.response.response.allowed).to.equal(false);
    expect(bad.response.response.status!.code).to.equal(400);
    expect(bad.response.response.status!.message).to.contain(OVERRIDE_ANNOTATIONS.cpuLimit);
    const update = reviewPod(review(pod(asks), 'UPDATE'), 'pod', TEMPLATE_SIDECAR_DEFAULTS)!;
    expect(update.response.response).to.deep.equal({ uid: 'u-1', allowed: true });
    expect(reviewPod({ kind: 'AdmissionReview' }, 'pod', TEMPLATE_SIDECAR_DEFAULTS)).to.equal(undefined);
    expect(reviewPod('x', 'pod', TEMPLATE_SIDECAR_DEFAULTS)).to.equal(undefined);
  });
});
