/**
 * A container's environment, command and arguments as the kubelet would compute them, adapted to
 * local processes.
 *
 * Order (as in the kubelet): `envFrom` sources, then `env` entries (later wins); each `env` value
 * may reference earlier variables as `$(VAR)` (`$$(VAR)` escapes); command and args are expanded
 * with the final environment. Sources: plain values, the downward API (`fieldRef`:
 * metadata.name/namespace/uid/labels['k']/annotations['k'], spec.nodeName,
 * spec.serviceAccountName, status.podIP(s), status.hostIP(s); `resourceFieldRef`), Secrets and
 * ConfigMaps (`secretKeyRef`, `configMapKeyRef`, `envFrom`).
 *
 * Local additions, set before the pod's own entries so a pod can override them:
 * KUBERNETES_SERVICE_HOST/PORT point at the apiserver (there is no Service network), POD_IP-style
 * discovery is via TOPOLOGY_POD_IP, and TOPOLOGY_VOLUME_ROOT (see node-agent-volumes.ts).
 */
import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';

/** Reads Secrets and ConfigMaps of the pod's namespace (values decoded to text). */
export interface ConfigSource {
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** What the downward API needs besides the pod object. */
export interface PodRuntimeFacts {
  podIP: string;
  hostIP: string;
  nodeName: string;
}

/** Expands `$(VAR)` references with `env`; unknown references stay as written, `$$` escapes. */
export function expandVars(input: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch === '$' && input[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (ch === '$' && input[i + 1] === '(') {
      const end = input.indexOf(')', i + 2);
      if (end > 0) {
        const name = input.slice(i + 2, end);
        if (Object.prototype.hasOwnProperty.call(env, name)) {
          out += env[name];
          i = end;
          continue;
        }
      }
    }
    out += ch;
  }
  return out;
}

function bracketKey(path: string, prefix: string): string | undefined {
  const m = new RegExp(`^${prefix.replace('.', '\\.')}\\[['"](.+)['"]\\]$`).exec(path);
  return m?.[1];
}

/** The value of a downward-API field path, or an error naming the unsupported path. */
export function fieldRefValue(pod: V1Pod, ref: V1ObjectFieldSelector, facts: PodRuntimeFacts): string {
  const p = ref.fieldPath;
  switch (p) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
  }
  const label = bracketKey(p, 'metadata.labels');
  if (label !== undefined) return pod.metadata?.labels?.[label] ?? '';
  const annotation = bracketKey(p, 'metadata.annotations');
  if (annotation !== undefined) return pod.metadata?.annotations?.[annotation] ?? '';
  if (p === 'metadata.labels')
    return Object.entries(pod.metadata?.labels ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n');
  if (p === 'metadata.annotations')
    return Object.entries(pod.metadata?.annotations ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n');
  throw new Error(`unsupported downward API fieldPath "${p}"`);
}

/** A resourceFieldRef value: the container's request/limit as written, else "0" / node-sized. */
export function resourceFieldValue(pod: V1Pod, ref: V1ResourceFieldSelector, defaultContainer: string): string {
  const name = ref.containerName || defaultContainer;
  const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);
  const [kind, resource] = ref.resource.split('.') as [string, string];
  const table = kind === 'limits' ? c?.resources?.limits : c?.resources?.requests;
  const v = table?.[resource];
  return v === undefined ? '0' : String(v);
}

/** The container's final environment (see the file comment for order and sources). */
export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  facts: PodRuntimeFacts,
  source: ConfigSource,
  base: Record<string, string>,
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = { ...base };
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const data = await source.configMap(ns, from.configMapRef.name ?? '');
      if (data === undefined && !from.configMapRef.optional) throw new Error(`configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
    }
    if (from.secretRef) {
      const data = await source.secret(ns, from.secretRef.name ?? '');
      if (data === undefined && !from.secretRef.optional) throw new Error(`secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expandVars(e.value ?? '', env);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) env[e.name] = fieldRefValue(pod, vf.fieldRef, facts);
    else if (vf.resourceFieldRef) env[e.name] = resourceFieldValue(pod, vf.resourceFieldRef, container.name);
    else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const v = (await source.secret(ns, ref.name ?? ''))?.[ref.key];
      if (v === undefined && !ref.optional) throw new Error(`secret "${ref.name}" key "${ref.key}" not found`);
      if (v !== undefined) env[e.name] = v;
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const v = (await source.configMap(ns, ref.name ?? ''))?.[ref.key];
      if (v === undefined && !ref.optional) throw new Error(`configmap "${ref.name}" key "${ref.key}" not found`);
      if (v !== undefined) env[e.name] = v;
    }
  }
  return env;
}
