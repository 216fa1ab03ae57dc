/**
 * Certificates and keys for one local cluster, made with the machine's `openssl` (node:crypto has
 * no X.509 signing) and node:crypto (the service-account key pair).
 *
 * One throwaway CA signs everything: the apiserver's serving certificate (so kubeconfigs and the
 * `kube-root-ca.crt` ConfigMap that pods receive can verify it), the admin client certificate
 * (O=system:masters, used by kubectl, helm, the controller manager, the scheduler and the node
 * agent) and is the apiserver's --client-ca-file. ECDSA P-256 keeps generation to milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File paths of the generated material. */
export interface ClusterCertificates {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/** Runs the machine's `openssl` in `cwd`; a failure says what `purpose` needed it and keeps openssl's stderr. */
export function openssl(args: string[], cwd: string, purpose = 'the local cluster certificates'): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error(`openssl is needed to make ${purpose}: install it (apt-get install openssl)`, { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? String(err)}`, { cause: err });
  }
}

/** Generates the CA, serving, admin and service-account material into `dir` (created). */
export function generateCertificates(dir: string): ClusterCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string): string => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=topology-local-ca'], dir);

  writeFileSync(
    f('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
      '',
    ].join('\n'),
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-out',
      'server.crt',
      '-extfile',
      'server.ext',
    ],
    dir,
  );

  writeFileSync(f('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  openssl(['req', ...ec, '-keyout', 'admin.key', '-out', 'admin.csr', '-subj', '/O=system:masters/CN=topology-admin'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'admin.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-out',
      'admin.crt',
      '-extfile',
      'client.ext',
    ],
    dir,
  );

  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(f('sa.key'), sa.privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(f('sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));

  return {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
}

/** A kubeconfig (YAML is a JSON superset, so JSON is written) with inline admin credentials. */
export function kubeconfigText(name: string, server: string, certs: ClusterCertificates): string {
  const b64 = (p: string): string => readFileSync(p).toString('base64');
  const ctx = `topology-${name}`;
  return (
    JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: ctx, cluster: { server, 'certificate-authority-data': b64(certs.caCert) } }],
        users: [{ name: `${ctx}-admin`, user: { 'client-certificate-data': b64(certs.adminCert), 'client-key-data': b64(certs.adminKey) } }],
        contexts: [{ name: ctx, context: { cluster: ctx, user: `${ctx}-admin`, namespace: 'default' } }],
        'current-context': ctx,
        preferences: {},
      },
      null,
      2,
    ) + '\n'
  );
}
