/**
 * Throwaway certificates for the TLS tests, made with the machine's `openssl` through the local
 * cluster's runner (src/localcluster/certs.ts): EC P-256 keys, two-day validity.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl as runOpenssl } from '../../../src/localcluster/certs.js';

const openssl = (args: string[], cwd: string): void => runOpenssl(args, cwd, 'the test certificates');

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed CA `<name>.crt`/`<name>.key` in `dir`. */
export function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

/** A leaf `<name>.crt`/`<name>.key` in `dir` signed by CA `ca`, with the given X.509 extensions. */
export function makeLeaf(dir: string, name: string, ca: string, extensions: readonly string[]): void {
  writeFileSync(join(dir, `${name}.ext`), ['basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment', ...extensions, ''].join('\n'));
  openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/** Extensions of a sidecar certificate for `serverName`: one name, to serve and to dial peers (cert-manager's `usages: [server auth, client auth]`). */
export function sidecarExtensions(serverName: string): string[] {
  return ['extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=DNS:${serverName}`];
}
