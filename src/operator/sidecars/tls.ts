/**
 * The operator's side of the sidecars' TLS: channel credentials and options for its Control
 * clients, read from the files `--sidecar-tls-*` name (a cert-manager Secret mounted by the chart:
 * `ca.crt`, `tls.crt`, `tls.key`).
 *
 * The files are read at start, so a missing or malformed one stops the operator with an error
 * that names it, and then re-read every `--sidecar-tls-refresh-ms`: when cert-manager renews the
 * certificate or the CA, new connections to sidecars use the new files without a restart.
 */
import * as grpc from '@grpc/grpc-js';
import { tlsServerNameOptions } from '../../rpc/control-client.js';
import { watchTlsFiles, type WatchedTlsFiles } from '../../rpc/tls-files.js';
import type { SidecarTlsFiles } from '../config.js';

/** How the operator's Control clients reach the sidecars. */
export interface SidecarTransport {
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  /** The TLS files behind the credentials, re-read every `refreshMs` (undefined: plaintext). */
  readonly files?: WatchedTlsFiles;
}

/** Plaintext Control calls (sidecars without `--tls-cert`). */
export const PLAINTEXT_TRANSPORT: SidecarTransport = { credentials: grpc.credentials.createInsecure(), channelOptions: {} };

/**
 * Reads the TLS files now (throws an error naming the flag and file that is missing or invalid)
 * and builds Control-client credentials that keep re-reading them: a renewed CA or client
 * certificate is used by the next connection to a sidecar.
 */
export function loadSidecarTransport(tls: SidecarTlsFiles | undefined): SidecarTransport {
  if (tls === undefined) return PLAINTEXT_TRANSPORT;
  const files = watchTlsFiles({
    caFile: tls.caFile,
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    names: { ca: '--sidecar-tls-ca-file', cert: '--sidecar-tls-cert-file', key: '--sidecar-tls-key-file' },
    refreshMs: tls.refreshMs,
  });
  return {
    credentials: grpc.experimental.createCertificateProviderChannelCredentials(files.provider, files.hasIdentity ? files.provider : null),
    channelOptions: tls.serverName !== undefined ? tlsServerNameOptions(tls.serverName) : {},
    files,
  };
}
