/**
 * One sidecar instance: the node (overlays + transport), its gRPC servers and its HTTP endpoint
 * (`/metrics`, `/healthz`, `/readyz`), started and stopped together. `main.ts` runs one per
 * process; the loopback fleet can run several in one process to save memory.
 */
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server as HttpServer } from 'node:http';
import type { Registry } from 'prom-client';
import { SidecarNode } from './sidecar-node.js';
import { startServers, stopServers, type SidecarServers } from './grpc-servers.js';
import { createRegistry } from './metrics.js';
import { hostPort, type SidecarConfig } from './config.js';
import { DEFAULT_DRAIN_POLICY } from '../member/switch-engine.js';
import type { BufferLimits } from '../member/buffer-budget.js';
import { tlsServerNameOptions } from '../rpc/control-client.js';
import type { Logger } from './logger.js';
import { onCertificateChange, watchTlsFiles, type WatchedTlsFiles } from '../rpc/tls-files.js';
import { readClusterTokenFile, readCredentialLines, watchClusterTokenFile, watchCredentialFile, type ClusterToken } from '../rpc/cluster-token.js';
import { ControlVerifier, parsePublicKeyLines } from '../rpc/control-credential.js';

/** How long shutdown waits for calls and links to finish before forcing (ms). */
export const SHUTDOWN_GRACE_MS = 2_000;

/** Secrets and credentials read from files. */
export interface SidecarSecrets {
  /** The cluster token(s), re-read while the sidecar runs (undefined: calls are not authenticated). */
  readonly token: ClusterToken | undefined;
  /** The operator's Control public keys, re-read likewise (undefined: Control accepts the Peer token). */
  readonly controlVerifier: ControlVerifier | undefined;
  readonly serverCredentials: grpc.ServerCredentials;
  readonly channelCredentials: grpc.ChannelCredentials;
  /** The TLS files, re-read while the sidecar runs (undefined without TLS). */
  readonly tls: WatchedTlsFiles | undefined;
}

/**
 * Reads the token and TLS files named in `config` (throws with the file name on failure). Both are
 * then re-read while the sidecar runs (the token by {@link Sidecar.start}, every `tokenRefreshMs`;
 * the TLS files every `tlsRefreshMs`), so a rotated token or a renewed certificate takes effect
 * without a restart.
 */
export function loadSecrets(config: SidecarConfig): SidecarSecrets {
  const token = config.tokenFile !== undefined ? readClusterTokenFile(config.tokenFile, 'token file') : undefined;
  const keyFile = config.controlPublicKeyFile;
  const controlVerifier = keyFile !== undefined ? new ControlVerifier(readCredentialLines(keyFile, 'control public key file', parsePublicKeyLines)) : undefined;
  if (config.tlsCert === undefined || config.tlsKey === undefined) {
    return {
      token,
      controlVerifier,
      serverCredentials: grpc.ServerCredentials.createInsecure(),
      channelCredentials: grpc.credentials.createInsecure(),
      tls: undefined,
    };
  }
  const tls = watchTlsFiles({
    certFile: config.tlsCert,
    keyFile: config.tlsKey,
    caFile: config.tlsCa,
    names: { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca' },
    refreshMs: config.tlsRefreshMs,
  });
  const mutual = tls.hasCa;
  return {
    token,
    controlVerifier,
    tls,
    // With a CA, peers must present a certificate it signed (mutual TLS), and this sidecar verifies
    // peers with it and presents its own certificate when dialing. Without one, peers' serving
    // certificates are verified with the system roots. (grpc-js's first parameter here is the
    // identity provider, whatever its type declaration calls it; one provider serves both.)
    serverCredentials: grpc.experimental.createCertificateProviderServerCredentials(tls.provider, mutual ? tls.provider : null, mutual),
    channelCredentials: mutual ? grpc.experimental.createCertificateProviderChannelCredentials(tls.provider, tls.provider) : grpc.credentials.createSsl(),
  };
}

/**
 * Options of this sidecar's Peer channels that follow from its flags: with `--tls-server-name`,
 * every peer's certificate is verified against that name rather than the pod IP it is dialed by.
 */
export function peerChannelOptions(config: Pick<SidecarConfig, 'tlsServerName'>): grpc.ChannelOptions {
  return config.tlsServerName !== undefined ? tlsServerNameOptions(config.tlsServerName) : {};
}

/**
 * The byte limits of what a sidecar buffers, from its flags: each kind's own (the subscriber kind
 * is the delivery log all Subscribe streams read) and the total (README.md: "Memory").
 */
export function bufferLimits(config: Pick<SidecarConfig, 'queueBytes' | 'futureFrameBytes' | 'subscriberBufferBytes' | 'bufferBytes'>): BufferLimits {
  return {
    totalBytes: config.bufferBytes,
    kindBytes: { 'link-queue': config.queueBytes, 'future-frames': config.futureFrameBytes, subscriber: config.subscriberBufferBytes },
  };
}

/** A running sidecar. */
export class Sidecar {
  readonly node: SidecarNode;
  readonly registry: Registry;
  private servers: SidecarServers | undefined;
  private http: HttpServer | undefined;
  private stopping = false;
  private stopWatchingCertificate: (() => void) | undefined;
  private stopWatchingToken: (() => void) | undefined;
  private stopWatchingControlKeys: (() => void) | undefined;

  constructor(
    readonly config: SidecarConfig,
    private readonly secrets: SidecarSecrets,
    private readonly logger: Logger,
  ) {
    this.node = new SidecarNode({
      self: hostPort(config.podIp, config.peerPort),
      pod: config.podName,
      token: secrets.token,
      channelCredentials: secrets.channelCredentials,
      channelOptions: peerChannelOptions(config),
      logger,
      drainPolicy: config.drainQuietMs !== undefined ? { ...DEFAULT_DRAIN_POLICY, quietMs: config.drainQuietMs } : DEFAULT_DRAIN_POLICY,
      ...(config.queueCapacity !== undefined ? { queueCapacity: config.queueCapacity } : {}),
      ...(config.pingIntervalMs !== undefined ? { pingIntervalMs: config.pingIntervalMs } : {}),
      linkQueueBytes: config.linkQueueBytes,
      bufferLimits: bufferLimits(config),
      appLogBytes: config.subscriberBufferBytes,
      tags: config.tags,
    });
    this.registry = createRegistry(this.node, config.podName, () => ({
      peerSentFingerprint: secrets.token?.sentFingerprint,
      peerAccepted: secrets.token?.acceptedCount ?? 0,
      controlAccepted: secrets.controlVerifier?.acceptedCount ?? 0,
    }));
  }

  /** Binds the servers and the HTTP endpoint. */
  async start(): Promise<void> {
    if (this.secrets.token === undefined) this.logger.warn('no --token-file: Peer and Control calls are not authenticated');
    else if (this.secrets.controlVerifier === undefined)
      this.logger.warn('no --control-public-key-file: Control accepts the Peer token, so any member can drive this sidecar (shared-token mode)');
    this.servers = await startServers({
      node: this.node,
      token: this.secrets.token,
      ...(this.secrets.controlVerifier !== undefined ? { controlVerifier: this.secrets.controlVerifier } : {}),
      ...(this.config.healthPort !== 0 ? { healthAddress: hostPort(this.config.podIp, this.config.healthPort) } : {}),
      peerAddress: hostPort(this.config.podIp, this.config.peerPort),
      appAddress: this.config.appAddress,
      serverCredentials: this.secrets.serverCredentials,
      health: { live: () => !this.stopping, ready: () => !this.stopping },
      logger: this.logger,
    });
    if (this.config.metricsPort !== 0) this.http = await this.startHttp();
    const token = this.secrets.token;
    if (token !== undefined && this.config.tokenFile !== undefined) {
      const file = this.config.tokenFile;
      this.stopWatchingToken = watchClusterTokenFile(file, token, this.config.tokenRefreshMs, (change) => {
        if ('error' in change) this.logger.error('token file changed and cannot be used', { error: change.error, tokenFile: file });
        else
          this.logger.info('cluster token file reloaded: the first token is sent, every listed one accepted', { tokenFile: file, accepted: change.accepted });
      });
    }
    const verifier = this.secrets.controlVerifier;
    const keyFile = this.config.controlPublicKeyFile;
    if (verifier !== undefined && keyFile !== undefined) {
      this.stopWatchingControlKeys = watchCredentialFile(
        keyFile,
        'control public key file',
        parsePublicKeyLines,
        verifier,
        this.config.tokenRefreshMs,
        (change) => {
          if ('error' in change) this.logger.error('control public key file changed and cannot be used', { error: change.error, file: keyFile });
          else this.logger.info('control public keys reloaded: calls signed by any listed one accepted', { file: keyFile, accepted: change.accepted });
        },
      );
    }
    const tls = this.secrets.tls;
    if (tls !== undefined) {
      this.stopWatchingCertificate = onCertificateChange(tls, (change) => {
        if ('error' in change) this.logger.error('TLS files changed and cannot be used', { error: change.error, certFile: this.config.tlsCert });
        else this.logger.info('TLS certificate reloaded: new connections use it', { certFile: this.config.tlsCert, ...change.certificate });
      });
    }
    this.logger.info('sidecar started', {
      self: this.node.self,
      appAddress: this.config.appAddress,
      metricsPort: this.config.metricsPort,
      control: this.secrets.controlVerifier !== undefined ? 'signed by the operator' : this.secrets.token !== undefined ? 'peer token' : 'unauthenticated',
      ...(this.config.healthPort !== 0 ? { healthPort: this.config.healthPort } : {}),
      tls: this.config.tlsCert === undefined ? 'off' : this.config.tlsCa !== undefined ? 'mutual' : 'one-way',
      ...(this.config.tlsServerName !== undefined ? { tlsServerName: this.config.tlsServerName } : {}),
      ...(tls?.initial !== undefined ? { certificate: tls.initial, tlsRefreshMs: this.config.tlsRefreshMs } : {}),
    });
  }

  /** Leaves overlays, closes links, stops servers. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.info('sidecar stopping');
    this.node.shutdown();
    if (this.servers !== undefined) await stopServers(this.servers, SHUTDOWN_GRACE_MS);
    this.node.destroy();
    this.stopWatchingCertificate?.();
    this.stopWatchingToken?.();
    this.stopWatchingControlKeys?.();
    if (this.http !== undefined) {
      const http = this.http;
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }

  private startHttp(): Promise<HttpServer> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500);
            res.end(err.message);
          },
        );
        return;
      }
      if (path === '/healthz' || path === '/readyz') {
        const ok = !this.stopping;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(ok ? 'ok\n' : 'stopping\n');
        return;
      }
      res.writeHead(404);
      res.end();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, this.config.podIp, () => resolve(server));
    });
  }
}
