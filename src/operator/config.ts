/**
 * The `topology-operator` configuration from flags and environment, parsed and validated in one
 * pure function so that bad input is reported before anything starts: `main.ts` prints the error
 * with the usage text and exits with code 2 (the usage-error convention of getopt tools).
 *
 * Every default is applied here, with its source:
 * - kubeconfig: in-cluster service account when running in a pod, else `$KUBECONFIG` or
 *   `~/.kube/config` (client-node's `loadFromDefault`); `--kubeconfig` names a file explicitly.
 * - namespaces: all (one cluster-wide watch), like controller-runtime's default cache.
 * - metrics/health ports: kubebuilder's 8080 (`--metrics-bind-address`) and 8081
 *   (`--health-probe-bind-address`). Both are served by one HTTP server when they are equal.
 * - leader election: on, Lease `topology-operator-lock` in `$POD_NAMESPACE` (downward API) or
 *   `default`; client-go's timings (15 s lease, 10 s renew deadline, 2 s retry).
 * - concurrency: 4 workers (different ClusterTopologies reconcile in parallel; one key never twice).
 * - sidecar calls: at most 32 in flight per reconcile, 5 s deadline each.
 */
import { DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS } from './controller/leader-election.js';
import { DEFAULT_TLS_REFRESH_MS } from '../rpc/tls-files.js';
import { TEMPLATE_SIDECAR_DEFAULTS, type SidecarDefaults } from './inject/sidecar-spec.js';

/** kubebuilder's default metrics port. */
export const DEFAULT_METRICS_PORT = 8080;
/** kubebuilder's default health probe port. */
export const DEFAULT_HEALTH_PORT = 8081;
/** Name of the leader-election Lease (kubebuilder names it `<hash>.<domain>`; ours says what it is). */
export const DEFAULT_LEASE_NAME = 'topology-operator-lock';
/** Workers of the ClusterTopology controller. */
export const DEFAULT_CONCURRENCY = 4;
/** Sidecar Control calls in flight at once per reconcile: enough for 1000 members in ~30 rounds. Wild guess. */
export const DEFAULT_SIDECAR_CONCURRENCY = 32;
/** Deadline of one sidecar Control call (the control client's own default). */
export const DEFAULT_SIDECAR_TIMEOUT_MS = 5_000;

/** Everything the operator needs to start. */
export interface OperatorConfig {
  /** Path of a kubeconfig file; undefined: in-cluster config, else the default loading rules. */
  readonly kubeconfig: string | undefined;
  /** Namespaces to watch; empty: all namespaces. */
  readonly namespaces: readonly string[];
  readonly metricsPort: number;
  readonly healthPort: number;
  /** Address the HTTP endpoints bind to. */
  readonly bindAddress: string;
  readonly leaderElect: boolean;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly concurrency: number;
  /** Secret holding the operator key that every resource's Control token is derived from (created if missing). */
  readonly credentialsSecret: string;
  /** Namespace of {@link credentialsSecret}: the operator's own. */
  readonly credentialsNamespace: string;
  readonly sidecarConcurrency: number;
  readonly sidecarTimeoutMs: number;
  /** TLS of the Control calls to sidecars that serve it (their `--tls-cert`); undefined: plaintext. */
  readonly sidecarTls: SidecarTlsFiles | undefined;
  readonly logLevel: string;
  /** The sidecar injection webhook; undefined: off (`--webhook-port 0`, the default). */
  readonly webhook: WebhookConfig | undefined;
  /** Leader-election identity and Event reportingInstance (POD_NAME, else the hostname). */
  readonly identity: string;
}

/**
 * Files of the operator's TLS client to the sidecars' Control service. `caFile` verifies the
 * sidecars' certificate; `certFile`/`keyFile` are the operator's own, for sidecars that require
 * mutual TLS (their `--tls-ca`); `serverName` is the name to verify instead of the pod IP dialed,
 * as the sidecars' `--tls-server-name`.
 */
export interface SidecarTlsFiles {
  readonly caFile: string;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly serverName: string | undefined;
  /** How often the files are re-read (ms), so a renewed certificate or CA is used without a restart. */
  readonly refreshMs: number;
}

/** The sidecar injection webhook's settings (src/operator/inject/). */
export interface WebhookConfig {
  readonly port: number;
  /** Address it binds to (default `--bind-address`). */
  readonly bindAddress: string | undefined;
  /** Extra subject alternative names of the serving certificate (DNS names or IPv4 addresses), for a configuration that calls a `url`. */
  readonly extraSans: readonly string[];
  /** Service the API server calls, in {@link OperatorConfig.credentialsNamespace}: the certificate's DNS names. */
  readonly service: string;
  readonly certSecret: string;
  /** MutatingWebhookConfiguration whose caBundle the operator keeps. */
  readonly configuration: string;
  /** cert-manager writes the Secret and the caBundle. */
  readonly certManagedExternally: boolean;
  /** The injected sidecar's settings unless a pod's annotations override them. */
  readonly sidecarDefaults: SidecarDefaults;
}

/** Default `--webhook-service`. */
export const DEFAULT_WEBHOOK_SERVICE = 'topology-operator-webhook';
/** Default `--webhook-cert-secret`. */
export const DEFAULT_WEBHOOK_CERT_SECRET = 'topology-operator-webhook-cert';
/** Default `--webhook-configuration`. */
export const DEFAULT_WEBHOOK_CONFIGURATION = 'topology-operator-sidecar-injector';

/** Parse result: a config, a request for help, or an error message. */
export type OperatorConfigResult =
  { readonly ok: true; readonly config: OperatorConfig } | { readonly ok: false; readonly help: boolean; readonly error: string };

/** Default `--credentials-secret`. */
export const DEFAULT_CREDENTIALS_SECRET = 'topology-operator-credentials';
/** Usage text. */
export const USAGE = `usage: topology-operator [flags]
  --kubeconfig FILE              kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)
  --namespaces NS[,NS...]        namespaces to watch (default: all)
  --metrics-port PORT            /metrics port (default ${DEFAULT_METRICS_PORT}; 0 = pick a free port)
  --health-port PORT             /healthz and /readyz port (default ${DEFAULT_HEALTH_PORT}; 0 = pick a free port)
  --bind-address IP              address of both HTTP endpoints (default 0.0.0.0)
  --leader-elect true|false      compete for a Lease so only one replica acts (default true; keep it
                                 on even with one replica: sidecars that obeyed a leader refuse
                                 the unfenced switch calls of an operator without it)
  --lease-namespace NS           namespace of the Lease (default $POD_NAMESPACE, else default)
  --lease-name NAME              name of the Lease (default ${DEFAULT_LEASE_NAME})
  --lease-duration-ms MS         (default ${DEFAULT_LEASE_DURATION_MS})
  --renew-deadline-ms MS         (default ${DEFAULT_RENEW_DEADLINE_MS})
  --retry-period-ms MS           (default ${DEFAULT_RETRY_PERIOD_MS})
  --concurrency N                ClusterTopologies reconciled at once (default ${DEFAULT_CONCURRENCY})
  --credentials-secret NAME      Secret in --credentials-namespace holding the operator key, from
                                 which each ClusterTopology's Control token is derived; created
                                 with a random key if missing (env CREDENTIALS_SECRET; default
                                 ${DEFAULT_CREDENTIALS_SECRET}; docs/security.md)
  --credentials-namespace NS     its namespace (env CREDENTIALS_NAMESPACE; default the Lease's)
  --sidecar-concurrency N        sidecar calls in flight per reconcile (default ${DEFAULT_SIDECAR_CONCURRENCY})
  --sidecar-timeout-ms MS        deadline of one sidecar call (default ${DEFAULT_SIDECAR_TIMEOUT_MS})
  --sidecar-tls-ca-file FILE     call sidecars over TLS, verifying their certificate with this CA
                                 (env SIDECAR_TLS_CA_FILE; needed when sidecars run with --tls-cert)
  --sidecar-tls-cert-file FILE   --sidecar-tls-key-file FILE   the operator's client certificate,
                                 for sidecars that require mutual TLS (--tls-ca)
                                 (env SIDECAR_TLS_CERT_FILE, SIDECAR_TLS_KEY_FILE)
  --sidecar-tls-server-name NAME verify the sidecars' certificate against NAME, not the pod IP
                                 (env SIDECAR_TLS_SERVER_NAME; the sidecars' --tls-server-name)
  --sidecar-tls-refresh-ms MS    re-read the --sidecar-tls-* files this often, so a renewed
                                 certificate is used without a restart (env SIDECAR_TLS_REFRESH_MS;
                                 default ${DEFAULT_TLS_REFRESH_MS})
  --log-level LEVEL              error|warn|info|debug (env LOG_LEVEL; default info)
  --webhook-port PORT            serve the sidecar injection webhook (HTTPS) on PORT (default 0: off)
  --webhook-bind-address IP      address of the webhook (default --bind-address)
  --webhook-cert-extra-sans A[,B] extra DNS names or IPv4 addresses of the serving certificate, for
                                 a webhook configuration that calls a url (e.g. 127.0.0.1)
  --webhook-service NAME         its Service in --credentials-namespace: the serving certificate is
                                 for NAME.<namespace>.svc (default ${DEFAULT_WEBHOOK_SERVICE})
  --webhook-cert-secret NAME     Secret holding the CA and serving certificate, made and renewed by
                                 the operator (default ${DEFAULT_WEBHOOK_CERT_SECRET})
  --webhook-configuration NAME   MutatingWebhookConfiguration whose caBundle the operator keeps
                                 (default ${DEFAULT_WEBHOOK_CONFIGURATION})
  --webhook-cert-managed-externally true|false
                                 cert-manager writes the Secret and the caBundle; the operator only
                                 reads tls.crt/tls.key (default false)
  --sidecar-defaults JSON        the injected sidecar's settings, the keys of the chart's
                                 topology-operator.sidecarSettings: image, pullPolicy, peerPort,
                                 appPort, appHost, healthPort, metricsPort, logLevel, resources
                                 (default: the named template's defaults)`;

const FLAGS = new Set([
  'kubeconfig',
  'namespaces',
  'metrics-port',
  'health-port',
  'bind-address',
  'leader-elect',
  'lease-namespace',
  'lease-name',
  'lease-duration-ms',
  'renew-deadline-ms',
  'retry-period-ms',
  'concurrency',
  'credentials-secret',
  'credentials-namespace',
  'sidecar-concurrency',
  'sidecar-timeout-ms',
  'log-level',
  'sidecar-tls-ca-file',
  'sidecar-tls-cert-file',
  'sidecar-tls-key-file',
  'sidecar-tls-server-name',
  'sidecar-tls-refresh-ms',
  'webhook-port',
  'webhook-bind-address',
  'webhook-cert-extra-sans',
  'webhook-service',
  'webhook-cert-secret',
  'webhook-configuration',
  'webhook-cert-managed-externally',
  'sidecar-defaults',
]);

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function port(text: string, name: string): number | string {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) return `--${name} must be a port number (0-65535), got "${text}"`;
  return n;
}

function positive(text: string, name: string): number | string {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0) return `--${name} must be a positive integer, got "${text}"`;
  return n;
}

/** The `--sidecar-tls-*` flags (or their environment variables), checked together. */
function sidecarTls(flags: ReadonlyMap<string, string>, env: Readonly<Record<string, string | undefined>>): SidecarTlsFiles | undefined | string {
  const get = (flag: string, envName: string): string | undefined => {
    const v = flags.get(flag) ?? env[envName];
    return v === undefined || v === '' ? undefined : v;
  };
  const caFile = get('sidecar-tls-ca-file', 'SIDECAR_TLS_CA_FILE');
  const certFile = get('sidecar-tls-cert-file', 'SIDECAR_TLS_CERT_FILE');
  const keyFile = get('sidecar-tls-key-file', 'SIDECAR_TLS_KEY_FILE');
  const serverName = get('sidecar-tls-server-name', 'SIDECAR_TLS_SERVER_NAME');
  const refreshText = get('sidecar-tls-refresh-ms', 'SIDECAR_TLS_REFRESH_MS');
  const refreshMs = refreshText !== undefined ? positive(refreshText, 'sidecar-tls-refresh-ms') : DEFAULT_TLS_REFRESH_MS;
  if (typeof refreshMs === 'string') return refreshMs;
  if ((certFile === undefined) !== (keyFile === undefined)) return '--sidecar-tls-cert-file and --sidecar-tls-key-file must be given together';
  if (caFile === undefined) {
    if (certFile !== undefined || serverName !== undefined || refreshText !== undefined)
      return "--sidecar-tls-cert-file, --sidecar-tls-key-file, --sidecar-tls-server-name and --sidecar-tls-refresh-ms need --sidecar-tls-ca-file (the CA that signed the sidecars' certificate)";
    return undefined;
  }
  if (serverName !== undefined && (serverName.length > 253 || !DNS_SUBDOMAIN.test(serverName)))
    return `--sidecar-tls-server-name must be a DNS name such as topology-sidecar.default.svc, got "${serverName}"`;
  return { caFile, certFile, keyFile, serverName, refreshMs };
}

/** `--sidecar-defaults`: a JSON object whose keys replace the named template's defaults. */
function sidecarDefaults(text: string | undefined): SidecarDefaults | string {
  if (text === undefined) return TEMPLATE_SIDECAR_DEFAULTS;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `--sidecar-defaults must be a JSON object: ${(err as Error).message}`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return '--sidecar-defaults must be a JSON object';
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = { ...TEMPLATE_SIDECAR_DEFAULTS };
  for (const key of Object.keys(TEMPLATE_SIDECAR_DEFAULTS) as (keyof SidecarDefaults)[]) {
    if (o[key] === undefined) continue;
    const want = typeof TEMPLATE_SIDECAR_DEFAULTS[key];
    if (typeof o[key] !== want) return `--sidecar-defaults: ${key} must be a ${want}, got ${JSON.stringify(o[key])}`;
    if (want === 'number' && (!Number.isInteger(o[key]) || (o[key] as number) < 1 || (o[key] as number) > 65535))
      return `--sidecar-defaults: ${key} must be a port number (1-65535), got ${String(o[key])}`;
    out[key] = o[key];
  }
  return out as unknown as SidecarDefaults;
}

/** Parses `argv` (without node and script) and `env`; `hostname` is the identity fallback. */
export function parseOperatorConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, hostname: string): OperatorConfigResult {
  const flags = new Map<string, string>();
  const fail = (error: string): OperatorConfigResult => ({ ok: false, help: false, error });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { ok: false, help: true, error: USAGE };
    if (!arg.startsWith('--')) return fail(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!FLAGS.has(name)) return fail(`unknown flag --${name}`);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) return fail(`--${name} needs a value`);
    value = value.trim();
    flags.set(name, value);
  }
  const num = (flag: string, def: number, parse: (t: string, n: string) => number | string): number | string => {
    const raw = flags.get(flag);
    return raw === undefined ? def : parse(raw, flag);
  };

  const namespaces = (flags.get('namespaces') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const ns of namespaces) if (!DNS_LABEL.test(ns)) return fail(`--namespaces: "${ns}" is not a valid namespace name`);
  const metricsPort = num('metrics-port', DEFAULT_METRICS_PORT, port);
  if (typeof metricsPort === 'string') return fail(metricsPort);
  const healthPort = num('health-port', DEFAULT_HEALTH_PORT, port);
  if (typeof healthPort === 'string') return fail(healthPort);
  const leaderRaw = (flags.get('leader-elect') ?? 'true').toLowerCase();
  if (leaderRaw !== 'true' && leaderRaw !== 'false') return fail(`--leader-elect must be true or false, got "${leaderRaw}"`);
  const leaseNamespace = flags.get('lease-namespace') ?? env['POD_NAMESPACE'] ?? 'default';
  if (!DNS_LABEL.test(leaseNamespace)) return fail(`--lease-namespace: "${leaseNamespace}" is not a valid namespace name`);
  const leaseName = flags.get('lease-name') ?? DEFAULT_LEASE_NAME;
  if (!DNS_SUBDOMAIN.test(leaseName)) return fail(`--lease-name: "${leaseName}" is not a valid object name`);
  const leaseDurationMs = num('lease-duration-ms', DEFAULT_LEASE_DURATION_MS, positive);
  if (typeof leaseDurationMs === 'string') return fail(leaseDurationMs);
  const renewDeadlineMs = num('renew-deadline-ms', DEFAULT_RENEW_DEADLINE_MS, positive);
  if (typeof renewDeadlineMs === 'string') return fail(renewDeadlineMs);
  const retryPeriodMs = num('retry-period-ms', DEFAULT_RETRY_PERIOD_MS, positive);
  if (typeof retryPeriodMs === 'string') return fail(retryPeriodMs);
  // client-go's own checks (leaderelection.NewLeaderElector).
  if (leaseDurationMs <= renewDeadlineMs) return fail(`--lease-duration-ms (${leaseDurationMs}) must be greater than --renew-deadline-ms (${renewDeadlineMs})`);
  if (renewDeadlineMs <= 1.2 * retryPeriodMs)
    return fail(`--renew-deadline-ms (${renewDeadlineMs}) must be greater than 1.2 × --retry-period-ms (${retryPeriodMs})`);
  const concurrency = num('concurrency', DEFAULT_CONCURRENCY, positive);
  if (typeof concurrency === 'string') return fail(concurrency);
  const sidecarConcurrency = num('sidecar-concurrency', DEFAULT_SIDECAR_CONCURRENCY, positive);
  if (typeof sidecarConcurrency === 'string') return fail(sidecarConcurrency);
  const sidecarTimeoutMs = num('sidecar-timeout-ms', DEFAULT_SIDECAR_TIMEOUT_MS, positive);
  if (typeof sidecarTimeoutMs === 'string') return fail(sidecarTimeoutMs);
  const logLevel = flags.get('log-level') ?? env['LOG_LEVEL'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) return fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const kubeconfig = flags.get('kubeconfig');
  if (kubeconfig === '') return fail('--kubeconfig needs a file name');
  const credentialsSecret = flags.get('credentials-secret') ?? env['CREDENTIALS_SECRET'] ?? DEFAULT_CREDENTIALS_SECRET;
  if (!DNS_SUBDOMAIN.test(credentialsSecret)) return fail(`--credentials-secret: "${credentialsSecret}" is not a valid object name`);
  const credentialsNamespace = flags.get('credentials-namespace') ?? env['CREDENTIALS_NAMESPACE'] ?? leaseNamespace;
  if (!DNS_LABEL.test(credentialsNamespace)) return fail(`--credentials-namespace: "${credentialsNamespace}" is not a valid namespace name`);
  const tls = sidecarTls(flags, env);
  if (typeof tls === 'string') return fail(tls);
  const webhookPort = num('webhook-port', 0, port);
  if (typeof webhookPort === 'string') return fail(webhookPort);
  let webhook: WebhookConfig | undefined;
  if (webhookPort !== 0) {
    const names: Record<string, string> = {};
    for (const [flag, def] of [
      ['webhook-service', DEFAULT_WEBHOOK_SERVICE],
      ['webhook-cert-secret', DEFAULT_WEBHOOK_CERT_SECRET],
      ['webhook-configuration', DEFAULT_WEBHOOK_CONFIGURATION],
    ] as const) {
      const v = flags.get(flag) ?? def;
      if (!(flag === 'webhook-service' ? DNS_LABEL : DNS_SUBDOMAIN).test(v)) return fail(`--${flag}: "${v}" is not a valid object name`);
      names[flag] = v;
    }
    const external = (flags.get('webhook-cert-managed-externally') ?? 'false').toLowerCase();
    if (external !== 'true' && external !== 'false') return fail(`--webhook-cert-managed-externally must be true or false, got "${external}"`);
    const defaults = sidecarDefaults(flags.get('sidecar-defaults'));
    if (typeof defaults === 'string') return fail(defaults);
    const extraSans = (flags.get('webhook-cert-extra-sans') ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    for (const san of extraSans)
      if (!DNS_SUBDOMAIN.test(san) && !/^\d{1,3}(\.\d{1,3}){3}$/.test(san))
        return fail(`--webhook-cert-extra-sans: "${san}" is neither a DNS name nor an IPv4 address`);
    webhook = {
      port: webhookPort,
      bindAddress: flags.get('webhook-bind-address'),
      extraSans,
      service: names['webhook-service']!,
      certSecret: names['webhook-cert-secret']!,
      configuration: names['webhook-configuration']!,
      certManagedExternally: external === 'true',
      sidecarDefaults: defaults,
    };
  }
  return {
    ok: true,
    config: {
      kubeconfig,
      namespaces,
      metricsPort,
      healthPort,
      bindAddress: flags.get('bind-address') ?? '0.0.0.0',
      leaderElect: leaderRaw === 'true',
      leaseNamespace,
      leaseName,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      concurrency,
      credentialsSecret,
      credentialsNamespace,
      sidecarConcurrency,
      sidecarTimeoutMs,
      sidecarTls: tls,
      logLevel,
      webhook,
      identity: env['POD_NAME'] ?? hostname,
    },
  };
}
