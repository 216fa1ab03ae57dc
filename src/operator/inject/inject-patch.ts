/**
 * The injection decision for one pod, sans-IO: skip it, refuse it (a malformed annotation), or the
 * JSONPatch (RFC 6902) that adds the native sidecar, its credentials volume and the app containers'
 * `TOPOLOGY_APP_ADDRESS`. A pod that already has a container named `topology-sidecar` (injected
 * before, or from the chart's named template) is left alone, so `reinvocationPolicy: IfNeeded` and
 * repeated admission are safe.
 */
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_PREFIX, injectIntent, sidecarSettingsFor } from './inject-annotations.js';
import {
  APP_ADDRESS_ENV,
  SIDECAR_CONTAINER_NAME,
  SIDECAR_VOLUME_NAME,
  appAddress,
  buildNativeSidecar,
  buildSidecarVolume,
  type SidecarDefaults,
} from './sidecar-spec.js';

/** Annotation the webhook sets on an injected pod: the sidecar image it injected (for `kubectl describe`). */
export const INJECTED_ANNOTATION = `${ANNOTATION_PREFIX}sidecar-injected`;

/**
 * Why the webhook was called: `pod` — the pod's namespace is not labelled, inject only when the pod
 * asks (`inject: "true"`); `namespace` — the namespace is labelled `injection: enabled`, inject unless
 * the pod says `inject: "false"`. The webhook configuration sends each to its own path.
 */
export type InjectionScope = 'pod' | 'namespace';

/** One RFC 6902 operation (only `add` is used). */
export interface JsonPatchOperation {
  readonly op: 'add';
  readonly path: string;
  readonly value: unknown;
}

/** What admission does with the pod. */
export type InjectionDecision =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'deny'; readonly message: string }
  | { readonly kind: 'patch'; readonly patch: readonly JsonPatchOperation[] };

/** Escapes one JSON Pointer token (RFC 6901). */
export function pointerToken(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

function hasSidecar(pod: V1Pod): boolean {
  const spec = pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].some((c) => c.name === SIDECAR_CONTAINER_NAME);
}

/** The env vars an app container needs, appended after its own (a dependent `$(POD_IP)` needs POD_IP first). */
function appEnv(c: V1Container, address: string): V1EnvVar[] {
  const have = new Set((c.env ?? []).map((e) => e.name));
  if (have.has(APP_ADDRESS_ENV)) return [];
  const add: V1EnvVar[] = [];
  for (const m of address.matchAll(/\$\(([A-Z_][A-Z0-9_]*)\)/g)) {
    const name = m[1]!;
    if (!have.has(name) && name === 'POD_IP') add.push({ name, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  }
  add.push({ name: APP_ADDRESS_ENV, value: address });
  return add;
}

/** Decides what admission does with `pod` (see the file comment). */
export function decideInjection(pod: V1Pod, scope: InjectionScope, defaults: SidecarDefaults): InjectionDecision {
  const annotations = pod.metadata?.annotations ?? {};
  const intent = injectIntent(annotations, pod.metadata?.labels ?? {});
  if (intent === false) return { kind: 'skip', reason: 'the pod opts out (inject: "false")' };
  if (scope === 'pod' && intent !== true) return { kind: 'skip', reason: 'the pod does not ask for the sidecar' };
  if (hasSidecar(pod)) return { kind: 'skip', reason: `the pod already has a ${SIDECAR_CONTAINER_NAME} container` };
  const spec = pod.spec;
  if (spec === undefined) return { kind: 'deny', message: 'the pod has no spec' };
  const settings = sidecarSettingsFor(annotations, defaults);
  if (!settings.ok) return { kind: 'deny', message: settings.message };
  if ((spec.volumes ?? []).some((v) => v.name === SIDECAR_VOLUME_NAME))
    return { kind: 'deny', message: `the pod already has a volume named ${SIDECAR_VOLUME_NAME} (the sidecar's); rename it or include the sidecar yourself` };

  const s = settings.settings;
  const patch: JsonPatchOperation[] = [];
  const sidecar = buildNativeSidecar(s);
  // First among the init containers: it serves before any other init container or app container runs.
  if (spec.initContainers === undefined || spec.initContainers.length === 0) patch.push({ op: 'add', path: '/spec/initContainers', value: [sidecar] });
  else patch.push({ op: 'add', path: '/spec/initContainers/0', value: sidecar });
  const volume = buildSidecarVolume(s);
  if (spec.volumes === undefined) patch.push({ op: 'add', path: '/spec/volumes', value: [volume] });
  else patch.push({ op: 'add', path: '/spec/volumes/-', value: volume });
  const address = appAddress(s);
  spec.containers.forEach((c, i) => {
    const env = appEnv(c, address);
    if (env.length === 0) return;
    if (c.env === undefined) patch.push({ op: 'add', path: `/spec/containers/${i}/env`, value: env });
    else for (const e of env) patch.push({ op: 'add', path: `/spec/containers/${i}/env/-`, value: e });
  });
  if (pod.metadata?.annotations === undefined) patch.push({ op: 'add', path: '/metadata/annotations', value: { [INJECTED_ANNOTATION]: s.image } });
  else patch.push({ op: 'add', path: `/metadata/annotations/${pointerToken(INJECTED_ANNOTATION)}`, value: s.image });
  return { kind: 'patch', patch };
}
