/**
 * The sidecar's configuration from flags and environment, parsed and validated in one pure
 * function (no IO besides what the caller passes in), so bad input is reported before anything
 * starts: `main.ts` prints the error and exits with code 2.
 *
 * Environment names follow the Kubernetes downward API (`POD_NAME`, `POD_NAMESPACE`, `POD_IP`);
 * a flag wins over the environment. Values are checked as strictly as what a peer sends: no
 * control characters, the peer and app addresses by the peer-address grammar
 * (src/rpc/peer-address.ts), every number in a documented range (a timer interval above 2^31 - 1
 * ms would make Node.js fire it every millisecond), byte limits at least one largest frame.
 */
import { isIP } from 'node:net';
import { LOG_LEVELS } from './logger.js';
import { DEFAULT_SIDECAR_PORT } from '../api/defaults.js';
import { DEFAULT_TLS_REFRESH_MS } from '../rpc/tls-files.js';
import { DEFAULT_TOKEN_REFRESH_MS } from '../rpc/cluster-token.js';
import { parsePeerAddress, quoteValue } from '../rpc/peer-address.js';
import { DEFAULT_LINK_QUEUE_BYTES, DEFAULT_QUEUE_BYTES } from './peer-transport.js';
import { DEFAULT_FUTURE_FRAME_BYTES, FUTURE_FRAME_PEER_SHARE } from '../member/future-frames.js';
import { DEFAULT_SUBSCRIBER_BUFFER_BYTES, MAX_APP_PAYLOAD_BYTES, MAX_SUBSCRIBERS } from './app-service.js';
import { DEFAULT_MAX_FRAME_BYTES } from './peer-frames.js';
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS, tagRefusal } from '../rpc/member-tags.js';

/** Default Peer + Control port: the ClusterTopology's `spec.sidecar.port` default, one number for operator and sidecar. */
export const DEFAULT_PEER_PORT = DEFAULT_SIDECAR_PORT;
/** Default Overlay API port. */
export const DEFAULT_APP_PORT = 7947;
/** Default Overlay API address when POD_IP is not loopback: loopback, so other pods cannot reach it. */
export const DEFAULT_APP_ADDRESS = `127.0.0.1:${DEFAULT_APP_PORT}`;

/**
 * The Overlay API address when none is given: `POD_IP:7947` when POD_IP is itself a loopback
 * address (the local node agent gives every pod its own 127.x.y.z, so co-located sidecars must not
 * all bind 127.0.0.1:7947), otherwise {@link DEFAULT_APP_ADDRESS}.
 */
export function defaultAppAddress(podIp: string): string {
  return isLoopback(podIp) && podIp !== 'localhost' ? hostPort(podIp, DEFAULT_APP_PORT) : DEFAULT_APP_ADDRESS;
}
/** Default Prometheus port (the OpenTelemetry/Prometheus exporter convention). */
export const DEFAULT_METRICS_PORT = 9464;
/**
 * Default byte limit of everything the sidecar buffers together (`--buffer-bytes`): 96 MiB, so a
 * sidecar (~30-60 MiB of its own) stays well inside a 256 MiB container limit whatever its peers
 * and app do. The formula is in src/sidecar/README.md.
 */
export const DEFAULT_BUFFER_BYTES = 96 << 20;
/** Largest byte limit a flag accepts: 16 GiB, far above any container, well inside exact integers. */
export const MAX_BYTES_FLAG = 16 * 2 ** 30;
/** Longest interval a millisecond flag accepts: one day, inside Node.js's timer limit (2^31 - 1 ms). */
export const MAX_INTERVAL_MS = 86_400_000;
/** Most frames a link queue may be configured to hold (`--queue-capacity`). */
export const MAX_QUEUE_CAPACITY = 1_000_000;
/** Longest pod name or namespace accepted (a DNS subdomain, RFC 1123). */
export const MAX_NAME_LENGTH = 253;

/** Everything a sidecar needs to start. */
export interface SidecarConfig {
  readonly podName: string;
  readonly namespace: string;
  readonly podIp: string;
  readonly peerPort: number;
  readonly appAddress: string;
  /** 0 disables the HTTP endpoint. */
  readonly metricsPort: number;
  readonly tokenFile: string | undefined;
  /** The operator's Control public keys; when set, Control accepts only calls they signed for this sidecar (docs/security.md). */
  readonly controlPublicKeyFile: string | undefined;
  /** Port of the plaintext Health-only gRPC server for the kubelet's probe; 0 = none. */
  readonly healthPort: number;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly tlsCa: string | undefined;
  /**
   * The DNS name every peer's certificate is verified against, instead of the peer's address:
   * peers dial each other by pod IP, but certificates (cert-manager's) name a Service, so all
   * sidecars of a topology share one certificate for, say, `topology-sidecar.<ns>.svc`.
   */
  readonly tlsServerName: string | undefined;
  /** How often the TLS files are re-read (ms), so a renewed certificate is used without a restart. */
  readonly tlsRefreshMs: number;
  /** How often the token file is re-read (ms), so a rotated cluster token is used without a restart. */
  readonly tokenRefreshMs: number;
  readonly logLevel: string;
  readonly drainQuietMs: number | undefined;
  readonly queueCapacity: number | undefined;
  readonly pingIntervalMs: number | undefined;
  /** Byte limits of what the sidecar buffers (README.md: "Memory"). */
  readonly linkQueueBytes: number;
  readonly queueBytes: number;
  readonly futureFrameBytes: number;
  readonly subscriberBufferBytes: number;
  readonly bufferBytes: number;
  /** This member's tags (`--tag key=value`, repeatable): App API v2 member metadata; a flag wins over a pod label. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Parse result: a config, a request for help, or an error message. */
export type ConfigResult = { readonly ok: true; readonly config: SidecarConfig } | { readonly ok: false; readonly help: boolean; readonly error: string };

/** Usage text. */
export const USAGE = `usage: topology-sidecar [flags]
  --pod-name NAME        (env POD_NAME; default: hostname)
  --namespace NS         (env POD_NAMESPACE; default: default)
  --pod-ip IP            (env POD_IP; default 127.0.0.1) Peer and Control bind here
  --peer-port PORT       (env PEER_PORT; default ${DEFAULT_PEER_PORT})
  --app-address IP:PORT  (env APP_ADDRESS; default POD_IP:${DEFAULT_APP_PORT} when POD_IP is loopback, else ${DEFAULT_APP_ADDRESS}) Overlay API, loopback only
  --metrics-port PORT    (env METRICS_PORT; default ${DEFAULT_METRICS_PORT}; 0 = off) /metrics /healthz /readyz on POD_IP
  --token-file FILE      (env TOKEN_FILE) cluster token for Peer and Control calls: one token per
                         line, the first is sent and every one accepted (rotate as old+new,
                         then new+old, then new)
  --control-public-key-file FILE  (env CONTROL_PUBLIC_KEY_FILE) the operator's Control public keys
                         (Ed25519, base64url, one per line): Control then accepts only calls
                         the operator signed for this sidecar, never the Peer token (the
                         resource's credentials Secret has them; docs/security.md)
  --token-refresh-ms MS  (env TOKEN_REFRESH_MS; default ${DEFAULT_TOKEN_REFRESH_MS}) re-read the token and public key files this often
  --health-port PORT     (env HEALTH_PORT; default 0 = off) plaintext gRPC server with only
                         grpc.health.v1 on POD_IP, for the kubelet's gRPC probe (which speaks no
                         TLS) when Peer and Control are served over TLS
  --tls-cert FILE --tls-key FILE   (env TLS_CERT, TLS_KEY) serve Peer and Control over TLS and
                         dial peers over TLS; without --tls-ca peers are verified with the
                         system roots and need not present a certificate
  --tls-ca FILE          (env TLS_CA) mutual TLS: peers must present a certificate this CA
                         signed, and peers' serving certificates are verified with it
  --tls-server-name NAME (env TLS_SERVER_NAME; needs --tls-cert) verify every peer's certificate
                         against NAME instead of its pod IP, so all sidecars can share one
                         certificate for a DNS name (e.g. topology-sidecar.<namespace>.svc)
  --tls-refresh-ms MS    (env TLS_REFRESH_MS; default ${DEFAULT_TLS_REFRESH_MS}) re-read the TLS files this
                         often: a renewed certificate (cert-manager) serves new connections
                         without a restart
  --log-level LEVEL      error|warn|info|debug (default info)
  --drain-quiet-ms MS    quiet period before a retired overlay closes
  --queue-capacity N     frames per link send queue
  --ping-interval-ms MS  RTT ping interval
  Memory (bytes; worst case buffered = min(--buffer-bytes, --queue-bytes + --future-frame-bytes
  + --subscriber-buffer-bytes)):
  --link-queue-bytes N   (default ${DEFAULT_LINK_QUEUE_BYTES}) one Peer link's send queue
  --queue-bytes N        (default ${DEFAULT_QUEUE_BYTES}) all Peer links' send queues together
  --future-frame-bytes N (default ${DEFAULT_FUTURE_FRAME_BYTES}) frames held for epochs not yet
                         prepared, all peers together (one peer: a quarter)
  --subscriber-buffer-bytes N (default ${DEFAULT_SUBSCRIBER_BUFFER_BYTES}) the delivery log all Subscribe
                         streams read (at most ${MAX_SUBSCRIBERS}); a lagging one gets GAPs
  --buffer-bytes N       (default ${DEFAULT_BUFFER_BYTES}) everything above together
  --tag KEY=VALUE        (repeatable, at most ${MAX_TAGS}) a tag of this member, as apps see it in
                         Members and WatchMembers: KEY a label key, VALUE at most ${MAX_TAG_VALUE_LENGTH}
                         characters; it wins over a pod label of the same key (spec.memberTags)`;

const FLAGS = new Set([
  'pod-name',
  'namespace',
  'pod-ip',
  'peer-port',
  'app-address',
  'metrics-port',
  'token-file',
  'control-public-key-file',
  'health-port',
  'token-refresh-ms',
  'tls-cert',
  'tls-key',
  'tls-ca',
  'tls-server-name',
  'tls-refresh-ms',
  'log-level',
  'drain-quiet-ms',
  'queue-capacity',
  'ping-interval-ms',
  'link-queue-bytes',
  'queue-bytes',
  'future-frame-bytes',
  'subscriber-buffer-bytes',
  'buffer-bytes',
  'tag',
]);

/** A DNS name of RFC 1123 labels: what `--tls-server-name` must be (a name to check, so no wildcard). */
const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function port(text: string, name: string, allowZero: boolean): number | string {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535 || (!allowZero && n === 0)) return `--${name} must be a port number (${allowZero ? 0 : 1}-65535), got "${text}"`;
  return n;
}

function positive(text: string | undefined, name: string, max: number = MAX_INTERVAL_MS): number | undefined | string {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0) return `--${name} must be a positive integer, got ${quoteValue(text)}`;
  if (n > max) return `--${name} must be at most ${max}, got ${text}`;
  return n;
}

/** A byte-limit flag: an integer from `min` (one largest item must fit) to {@link MAX_BYTES_FLAG}, or the default. */
function bytes(text: string | undefined, name: string, min: number, fallback: number): number | string {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > MAX_BYTES_FLAG) return `--${name} must be a byte count from ${min} to ${MAX_BYTES_FLAG}, got ${quoteValue(text)}`;
  return n;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  return host === '::1' || host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Parses `argv` (without node and script) and `env`. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, hostname: string): ConfigResult {
  const flags = new Map<string, string>();
  const tags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { ok: false, help: true, error: USAGE };
    if (!arg.startsWith('--')) return { ok: false, help: false, error: `unexpected argument "${arg}"` };
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!FLAGS.has(name)) return { ok: false, help: false, error: `unknown flag --${name}` };
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) return { ok: false, help: false, error: `--${name} needs a value` };
    value = value.trim();
    if (CONTROL_CHARACTER.test(value)) return { ok: false, help: false, error: `--${name} must not contain control characters, got ${quoteValue(value)}` };
    if (name === 'tag') {
      const split = value.indexOf('=');
      if (split <= 0) return { ok: false, help: false, error: `--tag must be KEY=VALUE, got ${quoteValue(value)}` };
      const key = value.slice(0, split);
      const bad = tagRefusal('--tag', key, value.slice(split + 1));
      if (bad !== undefined) return { ok: false, help: false, error: bad };
      if (Object.hasOwn(tags, key)) return { ok: false, help: false, error: `--tag ${key} is given twice` };
      tags[key] = value.slice(split + 1);
      if (Object.keys(tags).length > MAX_TAGS) return { ok: false, help: false, error: `--tag is given more than ${MAX_TAGS} times (the limit)` };
      continue;
    }
    flags.set(name, value);
  }
  const get = (flag: string, envName?: string): string | undefined => flags.get(flag) ?? (envName !== undefined ? env[envName] : undefined);

  for (const [flag, envName] of [
    ['pod-name', 'POD_NAME'],
    ['namespace', 'POD_NAMESPACE'],
    ['pod-ip', 'POD_IP'],
    ['app-address', 'APP_ADDRESS'],
  ] as const) {
    const v = get(flag, envName);
    if (v !== undefined && (CONTROL_CHARACTER.test(v) || /\s/.test(v) || v.length > MAX_NAME_LENGTH))
      return {
        ok: false,
        help: false,
        error: `--${flag} (env ${envName}) must be at most ${MAX_NAME_LENGTH} characters without spaces or control characters, got ${quoteValue(v)}`,
      };
  }
  const podIp = get('pod-ip', 'POD_IP') ?? '127.0.0.1';
  if (isIP(podIp) === 0) return { ok: false, help: false, error: `--pod-ip must be an IP address, got ${quoteValue(podIp)}` };
  const peerPort = port(get('peer-port', 'PEER_PORT') ?? String(DEFAULT_PEER_PORT), 'peer-port', false);
  if (typeof peerPort === 'string') return { ok: false, help: false, error: peerPort };
  // The NodeId peers will dial: it must be a peer address by the same grammar every peer checks.
  const self = parsePeerAddress(hostPort(podIp, peerPort));
  if (!self.ok) return { ok: false, help: false, error: `--pod-ip ${quoteValue(podIp)} does not make a peer address (${self.reason})` };
  const metricsPort = port(get('metrics-port', 'METRICS_PORT') ?? String(DEFAULT_METRICS_PORT), 'metrics-port', true);
  if (typeof metricsPort === 'string') return { ok: false, help: false, error: metricsPort };
  const healthPort = port(get('health-port', 'HEALTH_PORT') ?? '0', 'health-port', true);
  if (typeof healthPort === 'string') return { ok: false, help: false, error: healthPort };
  if (healthPort !== 0 && (healthPort === peerPort || healthPort === metricsPort))
    return { ok: false, help: false, error: `--health-port ${healthPort} must differ from --peer-port and --metrics-port` };
  const controlPublicKeyFile = get('control-public-key-file', 'CONTROL_PUBLIC_KEY_FILE');
  if (controlPublicKeyFile !== undefined && get('token-file', 'TOKEN_FILE') === undefined)
    return {
      ok: false,
      help: false,
      error: '--control-public-key-file needs --token-file (the Peer token; without one Peer links are not authenticated at all)',
    };
  const appAddress = get('app-address', 'APP_ADDRESS') ?? defaultAppAddress(podIp);
  const colon = appAddress.lastIndexOf(':');
  const appHost = colon > 0 ? appAddress.slice(0, colon).replace(/^\[|\]$/g, '') : '';
  // Port 0 (any free port) is allowed here, which the peer grammar refuses: check it with port 1 in its place.
  const appParsed = parsePeerAddress(colon > 0 && appAddress.slice(colon + 1) === '0' ? `${appAddress.slice(0, colon)}:1` : appAddress);
  if (colon <= 0 || !appParsed.ok)
    return { ok: false, help: false, error: `--app-address must be HOST:PORT, got ${quoteValue(appAddress)}${appParsed.ok ? '' : ` (${appParsed.reason})`}` };
  if (!isLoopback(appHost))
    return {
      ok: false,
      help: false,
      error: `--app-address must be a loopback address (127.0.0.0/8 or ::1) so other pods cannot reach the Overlay API, got "${appHost}"`,
    };
  const tlsCert = get('tls-cert', 'TLS_CERT');
  const tlsKey = get('tls-key', 'TLS_KEY');
  const tlsCa = get('tls-ca', 'TLS_CA');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) return { ok: false, help: false, error: '--tls-cert and --tls-key must be given together' };
  if (tlsCa !== undefined && tlsCert === undefined) return { ok: false, help: false, error: '--tls-ca needs --tls-cert and --tls-key' };
  const tlsServerName = get('tls-server-name', 'TLS_SERVER_NAME');
  if (tlsServerName !== undefined && tlsCert === undefined)
    return { ok: false, help: false, error: '--tls-server-name needs --tls-cert and --tls-key (it names the certificate peers present over TLS)' };
  if (tlsServerName !== undefined && (tlsServerName.length > 253 || !DNS_NAME.test(tlsServerName))) {
    return { ok: false, help: false, error: `--tls-server-name must be a DNS name such as topology-sidecar.default.svc, got "${tlsServerName}"` };
  }
  const tokenRefreshMs = positive(get('token-refresh-ms', 'TOKEN_REFRESH_MS'), 'token-refresh-ms');
  if (typeof tokenRefreshMs === 'string') return { ok: false, help: false, error: tokenRefreshMs };
  if (tokenRefreshMs !== undefined && get('token-file', 'TOKEN_FILE') === undefined)
    return { ok: false, help: false, error: '--token-refresh-ms needs --token-file (it is how often the file is re-read)' };
  const tlsRefreshMs = positive(get('tls-refresh-ms', 'TLS_REFRESH_MS'), 'tls-refresh-ms');
  if (typeof tlsRefreshMs === 'string') return { ok: false, help: false, error: tlsRefreshMs };
  if (tlsRefreshMs !== undefined && tlsCert === undefined)
    return { ok: false, help: false, error: '--tls-refresh-ms needs --tls-cert and --tls-key (it is how often they are re-read)' };
  const logLevel = get('log-level', 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    return { ok: false, help: false, error: `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"` };
  const drainQuietMs = positive(get('drain-quiet-ms'), 'drain-quiet-ms');
  if (typeof drainQuietMs === 'string') return { ok: false, help: false, error: drainQuietMs };
  const queueCapacity = positive(get('queue-capacity'), 'queue-capacity', MAX_QUEUE_CAPACITY);
  if (typeof queueCapacity === 'string') return { ok: false, help: false, error: queueCapacity };
  const pingIntervalMs = positive(get('ping-interval-ms'), 'ping-interval-ms');
  if (typeof pingIntervalMs === 'string') return { ok: false, help: false, error: pingIntervalMs };
  // Every byte limit must hold at least one of the largest items it buffers, or that item could never pass.
  // A delivery is counted as its payload plus strings and overhead (app-service.ts): twice the largest payload covers it.
  const largestDelivery = 2 * MAX_APP_PAYLOAD_BYTES;
  const linkQueueBytes = bytes(get('link-queue-bytes'), 'link-queue-bytes', DEFAULT_MAX_FRAME_BYTES, DEFAULT_LINK_QUEUE_BYTES);
  if (typeof linkQueueBytes === 'string') return { ok: false, help: false, error: linkQueueBytes };
  const queueBytes = bytes(get('queue-bytes'), 'queue-bytes', linkQueueBytes, Math.max(DEFAULT_QUEUE_BYTES, linkQueueBytes));
  if (typeof queueBytes === 'string') return { ok: false, help: false, error: queueBytes };
  const futureFrameBytes = bytes(
    get('future-frame-bytes'),
    'future-frame-bytes',
    Math.ceil(DEFAULT_MAX_FRAME_BYTES / FUTURE_FRAME_PEER_SHARE),
    DEFAULT_FUTURE_FRAME_BYTES,
  );
  if (typeof futureFrameBytes === 'string') return { ok: false, help: false, error: futureFrameBytes };
  const subscriberBufferBytes = bytes(get('subscriber-buffer-bytes'), 'subscriber-buffer-bytes', largestDelivery, DEFAULT_SUBSCRIBER_BUFFER_BYTES);
  if (typeof subscriberBufferBytes === 'string') return { ok: false, help: false, error: subscriberBufferBytes };
  const bufferBytes = bytes(get('buffer-bytes'), 'buffer-bytes', Math.max(linkQueueBytes, largestDelivery), DEFAULT_BUFFER_BYTES);
  if (typeof bufferBytes === 'string') return { ok: false, help: false, error: bufferBytes };
  return {
    ok: true,
    config: {
      podName: get('pod-name', 'POD_NAME') ?? hostname,
      namespace: get('namespace', 'POD_NAMESPACE') ?? 'default',
      podIp,
      peerPort,
      appAddress,
      metricsPort,
      tokenFile: get('token-file', 'TOKEN_FILE'),
      controlPublicKeyFile,
      healthPort,
      tlsCert,
      tlsKey,
      tlsCa,
      tlsServerName,
      tlsRefreshMs: tlsRefreshMs ?? DEFAULT_TLS_REFRESH_MS,
      tokenRefreshMs: tokenRefreshMs ?? DEFAULT_TOKEN_REFRESH_MS,
      logLevel,
      drainQuietMs,
      queueCapacity,
      pingIntervalMs,
      linkQueueBytes,
      queueBytes,
      futureFrameBytes,
      subscriberBufferBytes,
      bufferBytes,
      tags,
    },
  };
}

/** `host:port` with IPv6 hosts bracketed. */
export function hostPort(host: string, p: number): string {
  return isIP(host) === 6 ? `[${host}]:${p}` : `${host}:${p}`;
}
