/**
 * The pod annotations the injection webhook reads, and their parsing: which ClusterTopology the pod
 * joins, whether to inject, and per-pod overrides of the sidecar's defaults. A malformed override
 * is an error whose message names the annotation and what it accepts, so admission refuses the pod
 * with it (never a silently ignored typo).
 */
import { credentialsSecretName, type SidecarDefaults, type SidecarSettings } from './sidecar-spec.js';

/** Common prefix of every annotation (the API group). */
export const ANNOTATION_PREFIX = 'topology.foundation.dev/';
/** `"true"`: inject the sidecar; `"false"`: never (also in a namespace labelled for injection). Also read as a pod label. */
export const INJECT_ANNOTATION = `${ANNOTATION_PREFIX}inject`;
/** Namespace label turning injection on for every pod of the namespace (unless the pod says `inject: "false"`). */
export const NAMESPACE_INJECTION_LABEL = `${ANNOTATION_PREFIX}injection`;
/** Value of {@link NAMESPACE_INJECTION_LABEL} that enables injection. */
export const NAMESPACE_INJECTION_ENABLED = 'enabled';
/** Name of the ClusterTopology (in the pod's namespace) whose member the pod is; its credentials Secret is mounted. */
export const TOPOLOGY_ANNOTATION = `${ANNOTATION_PREFIX}topology`;
/** Shared-token mode instead of {@link TOPOLOGY_ANNOTATION}: the Secret named by spec.sidecar.tokenSecretRef. */
export const TOKEN_SECRET_ANNOTATION = `${ANNOTATION_PREFIX}sidecar-token-secret`;
/** Key of the token in that Secret (default `token`). */
export const TOKEN_KEY_ANNOTATION = `${ANNOTATION_PREFIX}sidecar-token-key`;

/** The override annotations, by the settings key they override. */
export const OVERRIDE_ANNOTATIONS = {
  image: `${ANNOTATION_PREFIX}sidecar-image`,
  pullPolicy: `${ANNOTATION_PREFIX}sidecar-image-pull-policy`,
  peerPort: `${ANNOTATION_PREFIX}sidecar-peer-port`,
  appPort: `${ANNOTATION_PREFIX}sidecar-app-port`,
  appHost: `${ANNOTATION_PREFIX}sidecar-app-host`,
  healthPort: `${ANNOTATION_PREFIX}sidecar-health-port`,
  metricsPort: `${ANNOTATION_PREFIX}sidecar-metrics-port`,
  logLevel: `${ANNOTATION_PREFIX}sidecar-log-level`,
  cpuRequest: `${ANNOTATION_PREFIX}sidecar-cpu`,
  memoryRequest: `${ANNOTATION_PREFIX}sidecar-memory`,
  cpuLimit: `${ANNOTATION_PREFIX}sidecar-cpu-limit`,
  memoryLimit: `${ANNOTATION_PREFIX}sidecar-memory-limit`,
} as const;

/** The sidecar's log levels (src/sidecar/config.ts). */
export const SIDECAR_LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
/** A Kubernetes resource quantity (apimachinery's resource.Quantity grammar, simplified: no exponent sign forms beyond e/E). */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)?$/;
/** An image reference: no whitespace, at most 4096 characters (a wild guess; registries limit far less). */
const IMAGE = /^[^\s]{1,4096}$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** Kubernetes' dependent env var form, for a bind address taken from the pod (e.g. `$(POD_IP)` on the local node agent). */
const ENV_REF = /^\$\([A-Z_][A-Z0-9_]*\)$/;

/** Annotations (or labels) of a pod. */
export type Annotations = Readonly<Record<string, string>>;

/** The settings for one pod, or the reason the pod is refused. */
export type SettingsResult = { readonly ok: true; readonly settings: SidecarSettings } | { readonly ok: false; readonly message: string };

/** The pod says `inject: "true"` (annotation or label), `"false"`, or nothing. */
export function injectIntent(annotations: Annotations, labels: Annotations): boolean | undefined {
  const v = annotations[INJECT_ANNOTATION] ?? labels[INJECT_ANNOTATION];
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

function portValue(name: string, text: string): number | string {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) return `annotation ${name} must be a port number (1-65535), got "${text}"`;
  return Number(text);
}

/** The pod's sidecar settings: `defaults` with the pod's overrides; refused when an annotation is malformed. */
export function sidecarSettingsFor(annotations: Annotations, defaults: SidecarDefaults): SettingsResult {
  const fail = (message: string): SettingsResult => ({ ok: false, message });
  const topology = annotations[TOPOLOGY_ANNOTATION];
  const tokenSecret = annotations[TOKEN_SECRET_ANNOTATION];
  let secret: string;
  let shared = false;
  if (topology !== undefined) {
    if (tokenSecret !== undefined) return fail(`annotations ${TOPOLOGY_ANNOTATION} and ${TOKEN_SECRET_ANNOTATION} exclude each other: give one`);
    // The Secret name <topology>-sidecar-credentials must itself be a valid name (253 characters).
    if (!DNS_SUBDOMAIN.test(topology) || credentialsSecretName(topology).length > 253)
      return fail(`annotation ${TOPOLOGY_ANNOTATION} must name a ClusterTopology (a DNS subdomain of at most 233 characters), got "${topology}"`);
    secret = credentialsSecretName(topology);
  } else if (tokenSecret !== undefined) {
    if (!DNS_SUBDOMAIN.test(tokenSecret)) return fail(`annotation ${TOKEN_SECRET_ANNOTATION} must name a Secret, got "${tokenSecret}"`);
    secret = tokenSecret;
    shared = true;
  } else {
    return fail(
      `annotation ${TOPOLOGY_ANNOTATION} is required: the name of the ClusterTopology this pod is a member of (or set ${INJECT_ANNOTATION}: "false" to opt out)`,
    );
  }
  const tokenKey = annotations[TOKEN_KEY_ANNOTATION] ?? 'token';
  if (!/^[-._a-zA-Z0-9]{1,253}$/.test(tokenKey)) return fail(`annotation ${TOKEN_KEY_ANNOTATION} must be a Secret key, got "${tokenKey}"`);

  const a = OVERRIDE_ANNOTATIONS;
  const get = (name: string): string | undefined => annotations[name]?.trim();
  const ports: Record<'peerPort' | 'appPort' | 'healthPort' | 'metricsPort', number> = {
    peerPort: defaults.peerPort,
    appPort: defaults.appPort,
    healthPort: defaults.healthPort,
    metricsPort: defaults.metricsPort,
  };
  for (const key of ['peerPort', 'appPort', 'healthPort', 'metricsPort'] as const) {
    const text = get(a[key]);
    if (text === undefined) continue;
    const p = portValue(a[key], text);
    if (typeof p === 'string') return fail(p);
    ports[key] = p;
  }
  const seen = new Map<number, string>();
  for (const key of ['peerPort', 'appPort', 'healthPort', 'metricsPort'] as const) {
    const other = seen.get(ports[key]);
    if (other !== undefined) return fail(`annotation ${a[key]}: port ${ports[key]} is already the sidecar's ${other} port; the four ports must differ`);
    seen.set(ports[key], key.replace(/Port$/, ''));
  }
  const image = get(a.image) ?? defaults.image;
  if (!IMAGE.test(image)) return fail(`annotation ${a.image} must be an image reference without whitespace, got "${image}"`);
  const pullPolicy = get(a.pullPolicy) ?? defaults.pullPolicy;
  if (!PULL_POLICIES.includes(pullPolicy)) return fail(`annotation ${a.pullPolicy} must be one of ${PULL_POLICIES.join(', ')}, got "${pullPolicy}"`);
  const appHost = get(a.appHost) ?? defaults.appHost;
  if (!IPV4.test(appHost) && !ENV_REF.test(appHost) && appHost !== 'localhost')
    return fail(`annotation ${a.appHost} must be an IPv4 address, localhost or an env reference such as $(POD_IP), got "${appHost}"`);
  const logLevel = get(a.logLevel) ?? defaults.logLevel;
  if (!(SIDECAR_LOG_LEVELS as readonly string[]).includes(logLevel))
    return fail(`annotation ${a.logLevel} must be one of ${SIDECAR_LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const requests: Record<string, string> = { ...(defaults.resources.requests ?? {}) };
  const limits: Record<string, string> = { ...(defaults.resources.limits ?? {}) };
  const quantities: [string, Record<string, string>, string][] = [
    [a.cpuRequest, requests, 'cpu'],
    [a.memoryRequest, requests, 'memory'],
    [a.cpuLimit, limits, 'cpu'],
    [a.memoryLimit, limits, 'memory'],
  ];
  for (const [name, target, resource] of quantities) {
    const text = get(name);
    if (text === undefined) continue;
    if (!QUANTITY.test(text))
      return fail(`annotation ${name} must be a Kubernetes quantity such as ${resource === 'cpu' ? '50m or 1' : '64Mi or 1Gi'}, got "${text}"`);
    target[resource] = text;
  }
  const resources = {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
  return { ok: true, settings: { image, pullPolicy, secret, shared, tokenKey, ...ports, appHost, logLevel, resources } };
}
