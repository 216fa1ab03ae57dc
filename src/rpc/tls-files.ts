/**
 * TLS material read from files that are replaced while the process runs: cert-manager renews a
 * certificate and the kubelet swaps the mounted Secret's files, so reading them once at start
 * would serve an expired certificate a few weeks later. Used by the sidecar (its servers and
 * Peer dials) and by the operator (its Control clients).
 *
 * The files are read once at start, so a missing or malformed file stops the process with an
 * error that names it; after that grpc-js's FileWatcherCertificateProvider re-reads them every
 * `refreshMs` and new handshakes use what it read. Links already open keep the certificate they
 * were made with, as TLS connections do.
 */
import * as grpc from '@grpc/grpc-js';
import { createHash, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readNamedFile } from './named-file.js';

/**
 * Default re-read interval of certificate files (ms). The kubelet refreshes a mounted Secret about a
 * minute after it changes, and cert-manager renews long before expiry, so a minute adds little.
 */
export const DEFAULT_TLS_REFRESH_MS = 60_000;

/** Certificate files and how each is named in errors (a flag, e.g. `--tls-cert`). */
export interface TlsFileSet {
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly caFile?: string | undefined;
  /** Names of the three files in error messages, e.g. `{ cert: '--tls-cert', ... }`. */
  readonly names: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly refreshMs: number;
}

/** What a certificate update looked like, for a log line: enough to tell the new one from the old. */
export interface CertificateSummary {
  readonly subject: string;
  readonly serialNumber: string;
  readonly notAfter: string;
  readonly sha256: string;
}

/** TLS files being watched: the provider grpc-js credentials are built from, and the first read. */
export interface WatchedTlsFiles {
  readonly provider: grpc.experimental.FileWatcherCertificateProvider;
  readonly hasIdentity: boolean;
  readonly hasCa: boolean;
  /** The certificate read at start (undefined without a certificate file). */
  readonly initial: CertificateSummary | undefined;
}

/** Subject, serial, expiry and fingerprint of the first certificate in `pem`. */
export function summarizeCertificate(pem: Buffer): CertificateSummary {
  const cert = new X509Certificate(pem);
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber,
    notAfter: new Date(cert.validTo).toISOString(),
    sha256: createHash('sha256').update(cert.raw).digest('hex').slice(0, 16),
  };
}

/**
 * Reads and checks the files now (throws an error naming the file that is missing or malformed,
 * or the pair that does not match), then starts watching them.
 */
export function watchTlsFiles(files: TlsFileSet): WatchedTlsFiles {
  const cert = files.certFile !== undefined ? readNamedFile(files.certFile, files.names.cert) : undefined;
  const key = files.keyFile !== undefined ? readNamedFile(files.keyFile, files.names.key) : undefined;
  const ca = files.caFile !== undefined ? readNamedFile(files.caFile, files.names.ca) : undefined;
  if ((cert === undefined) !== (key === undefined)) throw new Error(`${files.names.cert} and ${files.names.key} must be given together`);
  if (cert === undefined && ca === undefined) throw new Error(`no TLS files: give ${files.names.cert} and ${files.names.key}, or ${files.names.ca}`);
  try {
    createSecureContext({ ...(cert !== undefined ? { cert, key } : {}), ...(ca !== undefined ? { ca } : {}) });
  } catch (err) {
    const which = [
      cert !== undefined ? `${files.names.cert} ${files.certFile} / ${files.names.key} ${files.keyFile}` : '',
      ca !== undefined ? `${files.names.ca} ${files.caFile}` : '',
    ]
      .filter((s) => s !== '')
      .join(', ');
    throw new Error(`invalid TLS files (${which}): ${(err as Error).message}`, { cause: err });
  }
  let initial: CertificateSummary | undefined;
  try {
    initial = cert !== undefined ? summarizeCertificate(cert) : undefined;
  } catch (err) {
    throw new Error(`${files.names.cert} ${files.certFile} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  const provider = new grpc.experimental.FileWatcherCertificateProvider({
    ...(files.certFile !== undefined ? { certificateFile: files.certFile, privateKeyFile: files.keyFile } : {}),
    ...(files.caFile !== undefined ? { caCertificateFile: files.caFile } : {}),
    refreshIntervalMs: files.refreshMs,
  });
  return { provider, hasIdentity: cert !== undefined, hasCa: ca !== undefined, initial };
}

/**
 * Calls `onChange` with each certificate the files hold after the one read at start (and with an
 * error when the new files cannot be used), until the returned function is called. Keeps the
 * provider reading while it listens. Without a certificate file (a CA only) there is nothing to
 * report.
 */
export function onCertificateChange(watched: WatchedTlsFiles, onChange: (change: { certificate: CertificateSummary } | { error: string }) => void): () => void {
  if (!watched.hasIdentity) return () => undefined;
  let last = watched.initial?.sha256;
  const listener = (update: grpc.experimental.IdentityCertificateUpdate | null): void => {
    if (update === null) {
      onChange({ error: 'the certificate or key file could not be read: new connections are refused until it can' });
      return;
    }
    let summary: CertificateSummary;
    try {
      createSecureContext({ cert: update.certificate, key: update.privateKey });
      summary = summarizeCertificate(update.certificate);
    } catch (err) {
      onChange({ error: `the new certificate files are invalid: ${(err as Error).message}` });
      return;
    }
    if (summary.sha256 === last) return;
    last = summary.sha256;
    onChange({ certificate: summary });
  };
  watched.provider.addIdentityCertificateListener(listener);
  return () => watched.provider.removeIdentityCertificateListener(listener);
}
