/**
 * The operator's side of the sidecars' TLS: channel credentials and options for its Control
 * clients, read from the files `--sidecar-tls-*` name (a cert-manager Secret mounted by the chart:
 * `ca.crt`, `tls.crt`, `tls.key`).
 *
 * Files are read once, at start: a rotated certificate is picked up when the operator restarts
 * (as the sidecars, which read theirs at start too).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { tlsServerNameOptions } from '../sidecar/control-client.js';
import type { SidecarTlsFiles } from './config.js';

/** How the operator's Control clients reach the sidecars. */
export interface SidecarTransport {
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
}

/** Plaintext Control calls (sidecars without `--tls-cert`). */
export const PLAINTEXT_TRANSPORT: SidecarTransport = { credentials: grpc.credentials.createInsecure(), channelOptions: {} };

/** Reads the TLS files; throws an error naming the flag and file that could not be read. */
export function loadSidecarTransport(tls: SidecarTlsFiles | undefined): SidecarTransport {
  if (tls === undefined) return PLAINTEXT_TRANSPORT;
  const read = (file: string, flag: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read --${flag} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  const ca = read(tls.caFile, 'sidecar-tls-ca-file');
  const cert = tls.certFile !== undefined ? read(tls.certFile, 'sidecar-tls-cert-file') : null;
  const key = tls.keyFile !== undefined ? read(tls.keyFile, 'sidecar-tls-key-file') : null;
  return {
    credentials: grpc.credentials.createSsl(ca, key, cert),
    channelOptions: tls.serverName !== undefined ? tlsServerNameOptions(tls.serverName) : {},
  };
}
