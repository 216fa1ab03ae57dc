/**
 * The sidecar container and its credentials volume, built in TypeScript exactly as the chart's
 * `topology-operator.sidecar` / `topology-operator.sidecarVolumes` named templates render them
 * (helm/topology-operator/templates/_helpers.tpl), so a pod injected by the webhook runs the same
 * sidecar as one whose chart includes the template. test/unit/operator/inject/sidecar-spec.test.ts
 * renders the template with the real `helm template` and compares.
 *
 * The webhook adds, for a native sidecar (an init container with `restartPolicy: Always`), a
 * startupProbe on the health port: the kubelet starts the app containers only after a native
 * sidecar's startup probe succeeded, so the app finds the Overlay API serving.
 */
import type { V1Container, V1Volume } from '@kubernetes/client-node';

/** Name of the sidecar container (the named template's; the webhook's idempotence check looks for it). */
export const SIDECAR_CONTAINER_NAME = 'topology-sidecar';
/** Name of the credentials volume. */
export const SIDECAR_VOLUME_NAME = 'topology-credentials';
/** Where the credentials Secret is mounted in the sidecar. */
export const CREDENTIALS_MOUNT_PATH = '/var/run/topology/credentials';
/** The env var an app reads to find the Overlay API (docs/app-api.md). */
export const APP_ADDRESS_ENV = 'TOPOLOGY_APP_ADDRESS';

/** Resource requests/limits as Kubernetes quantities. */
export interface SidecarResources {
  readonly requests?: Readonly<Record<string, string>>;
  readonly limits?: Readonly<Record<string, string>>;
}

/** Every knob of the sidecar container: the keys of the named template's `sidecarSettings`. */
export interface SidecarSettings {
  readonly image: string;
  readonly pullPolicy: string;
  /** Name of the credentials Secret: `<topology>-sidecar-credentials`, or a shared token Secret. */
  readonly secret: string;
  /** Shared-token mode (a Secret named by spec.sidecar.tokenSecretRef): no Control public key. */
  readonly shared: boolean;
  readonly tokenKey: string;
  readonly healthPort: number;
  readonly peerPort: number;
  readonly appPort: number;
  readonly appHost: string;
  readonly metricsPort: number;
  readonly logLevel: string;
  readonly resources: SidecarResources;
}

/** The settings without the per-pod Secret: what the operator is configured with (`--sidecar-defaults`). */
export type SidecarDefaults = Omit<SidecarSettings, 'secret' | 'shared' | 'tokenKey'>;

/** The named template's defaults (and the chart's values.yaml `sidecar:` block). */
export const TEMPLATE_SIDECAR_DEFAULTS: SidecarDefaults = {
  image: 'topology-sidecar:0.1.0',
  pullPolicy: 'IfNotPresent',
  healthPort: 7071,
  peerPort: 7070,
  appPort: 7947,
  appHost: '127.0.0.1',
  metricsPort: 9464,
  logLevel: 'info',
  resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
};

/** The name of a ClusterTopology's credentials Secret (src/operator/sidecars/member-credentials.ts). */
export function credentialsSecretName(topology: string): string {
  return `${topology}-sidecar-credentials`;
}

/** The sidecar container as the named template renders it. */
export function buildSidecarContainer(s: SidecarSettings): V1Container {
  const args = [
    `--peer-port=${s.peerPort}`,
    `--app-address=${s.appHost}:${s.appPort}`,
    `--metrics-port=${s.metricsPort}`,
    `--log-level=${s.logLevel}`,
    `--health-port=${s.healthPort}`,
    `--token-file=${CREDENTIALS_MOUNT_PATH}/peer-token`,
  ];
  if (!s.shared) args.push(`--control-public-key-file=${CREDENTIALS_MOUNT_PATH}/control-public-key`);
  const field = (name: string, fieldPath: string): { name: string; valueFrom: { fieldRef: { fieldPath: string } } } => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
  return {
    name: SIDECAR_CONTAINER_NAME,
    image: s.image,
    imagePullPolicy: s.pullPolicy,
    args,
    env: [field('POD_NAME', 'metadata.name'), field('POD_NAMESPACE', 'metadata.namespace'), field('POD_IP', 'status.podIP')],
    ports: [
      { name: 'topo-peer', containerPort: s.peerPort, protocol: 'TCP' },
      { name: 'topo-metrics', containerPort: s.metricsPort, protocol: 'TCP' },
      { name: 'topo-health', containerPort: s.healthPort, protocol: 'TCP' },
    ],
    readinessProbe: { grpc: { port: s.healthPort }, periodSeconds: 2, failureThreshold: 3 },
    livenessProbe: { httpGet: { path: '/healthz', port: 'topo-metrics' }, initialDelaySeconds: 5, periodSeconds: 10 },
    resources: structuredClone({ ...s.resources }) as V1Container['resources'],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: SIDECAR_VOLUME_NAME, mountPath: CREDENTIALS_MOUNT_PATH, readOnly: true }],
  };
}

/**
 * Startup probe of the native sidecar: the health port answering SERVING, checked every second for
 * up to 60 s (the sidecar serves within about a second on the local node agent; the margin is a wild
 * guess for a cold node pulling nothing).
 */
export const NATIVE_STARTUP_PROBE = { periodSeconds: 1, failureThreshold: 60 } as const;

/** The sidecar as a native sidecar: an init container with `restartPolicy: Always` and a startup probe. */
export function buildNativeSidecar(s: SidecarSettings): V1Container {
  return { ...buildSidecarContainer(s), restartPolicy: 'Always', startupProbe: { grpc: { port: s.healthPort }, ...NATIVE_STARTUP_PROBE } };
}

/** The credentials volume as the named template `topology-operator.sidecarVolumes` renders it. */
export function buildSidecarVolume(s: SidecarSettings): V1Volume {
  const items = s.shared
    ? [{ key: s.tokenKey, path: 'peer-token' }]
    : [
        { key: 'peer-token', path: 'peer-token' },
        { key: 'control-public-key', path: 'control-public-key' },
      ];
  return { name: SIDECAR_VOLUME_NAME, secret: { secretName: s.secret, items } };
}

/** Where the app finds the Overlay API: `<appHost>:<appPort>` (the named template's example). */
export function appAddress(s: Pick<SidecarSettings, 'appHost' | 'appPort'>): string {
  return `${s.appHost}:${s.appPort}`;
}
