/**
 * The webhook's serving certificate: a self-signed CA and a certificate it signs for
 * `<service>.<namespace>.svc`, made with node-forge (node:crypto parses X.509 but cannot issue it),
 * and the level-based rule of when to make new ones. Pure apart from key generation and the clock
 * passed in.
 *
 * Lifetimes: the CA 10 years, the serving certificate 1 year (cert-manager's default duration is 90
 * days; one year keeps renewals rare without relying on them: a wild guess); each is renewed once
 * less than a third of its lifetime is left (cert-manager's default renewBefore is a third). A new
 * serving certificate is signed by the same CA, so the webhook configuration's caBundle does not
 * change; a new CA is published beside the old one (the bundle holds both) until the old expires.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** Lifetime of the CA: 10 years. */
export const CA_LIFETIME_MS = 10 * 365 * 24 * 3600_000;
/** Lifetime of the serving certificate: 1 year. */
export const SERVING_LIFETIME_MS = 365 * 24 * 3600_000;
/** A certificate is renewed when less than this fraction of its lifetime is left (cert-manager's 1/3). */
export const RENEW_FRACTION = 1 / 3;
/** Backdating of notBefore against clock skew between replicas and the API server (5 min, a wild guess). */
export const BACKDATE_MS = 5 * 60_000;
/** RSA key size (2048: the CA/Browser Forum minimum; fast to generate). */
const RSA_BITS = 2048;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The Secret's data, PEM text: `ca.crt` (one or more CAs, newest first), `ca.key`, `tls.crt`, `tls.key`. */
export interface ServingCertData {
  readonly 'ca.crt': string;
  readonly 'ca.key': string;
  readonly 'tls.crt': string;
  readonly 'tls.key': string;
}

/** The DNS names the API server dials a Service-backed webhook by. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, `${service}.${namespace}`, service];
}

function newKey(): { pem: string; forgeKey: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
  // PKCS#1 PEM: node-forge reads it directly.
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { pem, forgeKey, forgePublic: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function serial(): string {
  // Positive, 16 random bytes (RFC 5280 allows up to 20 octets).
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/** One PEM block with LF line ends and one final newline (node-forge writes CRLF), so a bundle rebuilt from its parts is byte-identical. */
function normalizePem(pem: string): string {
  return `${pem.replace(/\r\n/g, '\n').trim()}\n`;
}

/** Splits a PEM bundle into its certificates (normalized, see normalizePem). */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map(normalizePem) ?? [];
}

function makeCa(now: number): { certPem: string; keyPem: string } {
  const key = newKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.forgePublic;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + CA_LIFETIME_MS);
  const subject = [{ name: 'commonName', value: `topology-operator-webhook-ca-${Math.floor(now / 1000)}` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key.forgeKey, forge.md.sha256.create());
  return { certPem: normalizePem(forge.pki.certificateToPem(cert)), keyPem: key.pem };
}

function makeServing(caCertPem: string, caKeyPem: string, dnsNames: readonly string[], now: number): { certPem: string; keyPem: string } {
  const ca = forge.pki.certificateFromPem(caCertPem);
  const caKey = forge.pki.privateKeyFromPem(createPrivateKey(caKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString());
  const key = newKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.forgePublic;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(Math.min(now + SERVING_LIFETIME_MS, ca.validity.notAfter.getTime()));
  cert.setSubject([{ name: 'commonName', value: dnsNames[0]! }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // type 2: dNSName, 7: iPAddress (RFC 5280 GeneralName).
    { name: 'subjectAltName', altNames: dnsNames.map((value) => (IPV4.test(value) ? { type: 7, ip: value } : { type: 2, value })) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: normalizePem(forge.pki.certificateToPem(cert)), keyPem: key.pem };
}

/** True when less than {@link RENEW_FRACTION} of the certificate's lifetime is left at `now` (or it is not yet valid). */
export function needsRenewal(cert: X509Certificate, now: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return now < from || to - now < (to - from) * RENEW_FRACTION;
}

/** Why the Secret's certificates must be (re)made, or undefined when they are fine at `now`. */
export function renewalReason(data: Partial<ServingCertData> | undefined, dnsNames: readonly string[], now: number): string | undefined {
  if (data === undefined) return 'no certificate yet';
  const { 'ca.crt': caBundle, 'ca.key': caKey, 'tls.crt': tlsCrt, 'tls.key': tlsKey } = data;
  if (!caBundle || !caKey || !tlsCrt || !tlsKey) return 'the Secret lacks ca.crt, ca.key, tls.crt or tls.key';
  try {
    const ca = new X509Certificate(splitPemBundle(caBundle)[0] ?? '');
    if (!ca.checkPrivateKey(createPrivateKey(caKey))) return 'ca.key does not match the CA';
    if (needsRenewal(ca, now)) return 'the CA is due for renewal';
    const tls = new X509Certificate(tlsCrt);
    if (!tls.checkPrivateKey(createPrivateKey(tlsKey))) return 'tls.key does not match tls.crt';
    if (!tls.checkIssued(ca) || !tls.verify(ca.publicKey)) return 'tls.crt is not signed by the current CA';
    for (const name of dnsNames)
      if ((IPV4.test(name) ? tls.checkIP(name) : tls.checkHost(name, { wildcards: false })) === undefined) return `tls.crt does not cover ${name}`;
    if (needsRenewal(tls, now)) return 'the serving certificate is due for renewal';
    return undefined;
  } catch (err) {
    return `the Secret's certificates cannot be parsed: ${(err as Error).message}`;
  }
}

/**
 * New Secret data for `dnsNames`: keeps a CA that is still good (only a new serving certificate),
 * else makes a new CA and keeps the old one in the bundle while it is unexpired, so pods admitted
 * by replicas still serving the old certificate keep working during the switch.
 */
export function issueServingCert(previous: Partial<ServingCertData> | undefined, dnsNames: readonly string[], now: number): ServingCertData {
  const oldCas = previous?.['ca.crt'] ? splitPemBundle(previous['ca.crt']) : [];
  let caPem: string | undefined;
  let caKeyPem: string | undefined;
  if (oldCas[0] !== undefined && previous?.['ca.key']) {
    try {
      const ca = new X509Certificate(oldCas[0]);
      if (ca.checkPrivateKey(createPrivateKey(previous['ca.key'])) && !needsRenewal(ca, now)) {
        caPem = oldCas[0];
        caKeyPem = previous['ca.key'];
      }
    } catch {
      // unusable: a new CA below
    }
  }
  let bundle: string[];
  if (caPem === undefined || caKeyPem === undefined) {
    const ca = makeCa(now);
    caPem = ca.certPem;
    caKeyPem = ca.keyPem;
    const unexpired = oldCas.filter((pem) => {
      try {
        return Date.parse(new X509Certificate(pem).validTo) > now;
      } catch {
        return false;
      }
    });
    bundle = [caPem, ...unexpired];
  } else {
    bundle = oldCas.filter((pem) => {
      try {
        return Date.parse(new X509Certificate(pem).validTo) > now;
      } catch {
        return false;
      }
    });
  }
  const serving = makeServing(caPem, caKeyPem, dnsNames, now);
  return { 'ca.crt': bundle.join(''), 'ca.key': caKeyPem, 'tls.crt': serving.certPem, 'tls.key': serving.keyPem };
}
