/**
 * The webhook's serving certificate: issued for the Service names (and extra IP SANs), verified by
 * node:crypto; renewed level-based when due, the CA kept (caBundle unchanged) until the CA itself
 * is due, then both CAs published; the reconciler against in-memory stores (the e2e runs it against
 * the API server), and the HTTPS server answering a real TLS client that trusts only the CA.
 */
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { expect } from 'chai';
import type { V1MutatingWebhookConfiguration, V1Secret } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import winston from 'winston';
import {
  CA_LIFETIME_MS,
  SERVING_LIFETIME_MS,
  issueServingCert,
  renewalReason,
  serviceDnsNames,
  splitPemBundle,
} from '../../../../src/operator/inject/serving-cert.js';
import { CERT_RESYNC_MS, reconcileWebhookCert, type ServingKeyPair, type WebhookConfigStore } from '../../../../src/operator/inject/webhook-cert-reconciler.js';
import { startInjectionWebhook } from '../../../../src/operator/inject/webhook-server.js';
import type { SecretStore } from '../../../../src/operator/sidecars/secret-store.js';
import { TEMPLATE_SIDECAR_DEFAULTS } from '../../../../src/operator/inject/sidecar-spec.js';
import { INJECT_ANNOTATION, TOPOLOGY_ANNOTATION } from '../../../../src/operator/inject/inject-annotations.js';

const NAMES = [...serviceDnsNames('op-webhook', 'ops'), '127.0.0.1'];
const T0 = Date.parse('2026-12-01T00:00:00Z');
const DAY = 24 * 3600_000;

/** An in-memory SecretStore with resourceVersion preconditions like the API server's. */
function memorySecrets(): SecretStore & { writes: number; items: Map<string, V1Secret> } {
  const items = new Map<string, V1Secret>();
  let rv = 0;
  const store = {
    writes: 0,
    items,
    get: (ns: string, name: string) => Promise.resolve(items.has(`${ns}/${name}`) ? structuredClone(items.get(`${ns}/${name}`)) : undefined),
    create(ns: string, s: V1Secret) {
      const key = `${ns}/${s.metadata!.name}`;
      if (items.has(key)) return Promise.reject(Object.assign(new Error('exists'), { code: 409 }));
      store.writes++;
      items.set(key, { ...s, metadata: { ...s.metadata, resourceVersion: String(++rv) } });
      return Promise.resolve(items.get(key)!);
    },
    replace(ns: string, s: V1Secret) {
      const key = `${ns}/${s.metadata!.name}`;
      if (items.get(key)?.metadata?.resourceVersion !== s.metadata?.resourceVersion) return Promise.reject(Object.assign(new Error('conflict'), { code: 409 }));
      store.writes++;
      items.set(key, { ...s, metadata: { ...s.metadata, resourceVersion: String(++rv) } });
      return Promise.resolve(items.get(key)!);
    },
  };
  return store;
}

function memoryConfigs(names: string[]): WebhookConfigStore & { config: V1MutatingWebhookConfiguration; patches: number } {
  const store = {
    patches: 0,
    config: {
      metadata: { name: 'inj' },
      webhooks: names.map((name) => ({ name, admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: {} })),
    } as V1MutatingWebhookConfiguration,
    get: (name: string) => Promise.resolve(name === 'inj' ? structuredClone(store.config) : undefined),
    setCaBundle(_name: string, webhooks: readonly string[], ca: string) {
      store.patches++;
      for (const w of store.config.webhooks ?? []) if (webhooks.includes(w.name)) w.clientConfig.caBundle = ca;
      return Promise.resolve();
    },
  };
  return store;
}

describe('webhook serving certificate', function () {
  this.timeout(60_000);

  it('covers the Service names and IP SANs, chains to the CA, and is not due until two thirds of its life', () => {
    const d = issueServingCert(undefined, NAMES, T0);
    const ca = new X509Certificate(d['ca.crt']);
    const tls = new X509Certificate(d['tls.crt']);
    expect(ca.ca).to.equal(true);
    // node-forge writes names as PrintableString: Go (the API server) refuses other characters.
    for (const cert of [ca, tls]) for (const name of [cert.subject, cert.issuer]) expect(name).to.match(/^CN=[A-Za-z0-9 '()+,\-./:=?]+$/);
    expect(tls.verify(ca.publicKey)).to.equal(true);
    expect(tls.checkHost('op-webhook.ops.svc')).to.equal('op-webhook.ops.svc');
    expect(tls.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(renewalReason(d, NAMES, T0)).to.equal(undefined);
    expect(renewalReason(d, NAMES, T0 + SERVING_LIFETIME_MS * 0.6)).to.equal(undefined);
    expect(renewalReason(d, NAMES, T0 + SERVING_LIFETIME_MS * 0.7)).to.match(/serving certificate is due/);
    expect(renewalReason(d, [...NAMES, 'other.ops.svc'], T0)).to.match(/does not cover other.ops.svc/);
    expect(renewalReason({ ...d, 'tls.key': d['ca.key'] }, NAMES, T0)).to.match(/tls.key does not match/);
    expect(renewalReason({ 'tls.crt': 'x' }, NAMES, T0)).to.match(/lacks/);
  });

  it('renews the serving certificate with the same CA; a CA due is replaced and the old one kept in the bundle', () => {
    const first = issueServingCert(undefined, NAMES, T0);
    const later = T0 + SERVING_LIFETIME_MS * 0.7;
    const second = issueServingCert(first, NAMES, later);
    expect(second['ca.crt']).to.equal(first['ca.crt']);
    expect(second['tls.crt']).to.not.equal(first['tls.crt']);
    expect(renewalReason(second, NAMES, later)).to.equal(undefined);
    const caDue = T0 + CA_LIFETIME_MS * 0.7;
    const third = issueServingCert(second, NAMES, caDue);
    const bundle = splitPemBundle(third['ca.crt']);
    expect(bundle).to.have.length(2);
    expect(bundle[1]).to.equal(splitPemBundle(first['ca.crt'])[0]);
    expect(renewalReason(third, NAMES, caDue)).to.equal(undefined);
  });

  it('the reconciler issues once, patches every caBundle once, and is level-based after that', async () => {
    const secrets = memorySecrets();
    const configs = memoryConfigs(['a', 'b']);
    const served: ServingKeyPair[] = [];
    const opts = { namespace: 'ops', secretName: 'cert', dnsNames: NAMES, webhookConfiguration: 'inj', managedExternally: false, now: () => T0 };
    const p1 = await reconcileWebhookCert(secrets, configs, opts, (p) => served.push(p));
    expect(p1.issued).to.equal('no certificate yet');
    expect(p1.caBundlePatched).to.deep.equal(['a', 'b']);
    expect(p1.requeueAfterMs).to.equal(CERT_RESYNC_MS);
    const p2 = await reconcileWebhookCert(secrets, configs, opts, (p) => served.push(p));
    expect(p2.issued ?? p2.caBundlePatched).to.equal(undefined);
    expect([secrets.writes, configs.patches]).to.deep.equal([1, 1]);
    expect(served[1]).to.deep.equal(served[0]);
    const secretCa = Buffer.from(secrets.items.get('ops/cert')!.data!['ca.crt']!, 'base64').toString();
    expect(Buffer.from(configs.config.webhooks![0]!.clientConfig.caBundle!, 'base64').toString()).to.equal(secretCa);
    // A year on: a new serving certificate, the CA (and so the caBundle) unchanged.
    const p3 = await reconcileWebhookCert(secrets, configs, { ...opts, now: () => T0 + 300 * DAY }, (p) => served.push(p));
    expect(p3.issued).to.match(/due for renewal/);
    expect(p3.caBundlePatched).to.equal(undefined);
    expect(served[2]!.cert).to.not.equal(served[0]!.cert);
    // Two replicas racing: the loser's write conflicts and it serves the winner's next pass.
    const other = await reconcileWebhookCert(
      { ...secrets, get: async (ns, name) => ({ ...(await secrets.get(ns, name))!, metadata: { name, resourceVersion: '0' } }) },
      configs,
      { ...opts, now: () => T0 + 600 * DAY },
      () => undefined,
    );
    expect(other).to.deep.include({ requeueAfterMs: 0 });
  });

  it('cert-manager mode only reads the Secret and never patches', async () => {
    const secrets = memorySecrets();
    const configs = memoryConfigs(['a']);
    const opts = { namespace: 'ops', secretName: 'cert', dnsNames: NAMES, webhookConfiguration: 'inj', managedExternally: true, now: () => T0 };
    expect((await reconcileWebhookCert(secrets, configs, opts, () => undefined)).waiting).to.match(/Secret ops\/cert/);
    const d = issueServingCert(undefined, NAMES, T0);
    await secrets.create('ops', {
      metadata: { name: 'cert' },
      data: { 'tls.crt': Buffer.from(d['tls.crt']).toString('base64'), 'tls.key': Buffer.from(d['tls.key']).toString('base64') },
    });
    let served: ServingKeyPair | undefined;
    await reconcileWebhookCert(secrets, configs, opts, (p) => (served = p));
    expect(served?.cert).to.equal(d['tls.crt']);
    expect(configs.patches).to.equal(0);
  });

  it('the HTTPS server answers AdmissionReviews to a client trusting only the CA', async () => {
    const secrets = memorySecrets();
    const registry = new Registry();
    const webhook = await startInjectionWebhook({
      port: 0,
      bindAddress: '127.0.0.1',
      defaults: TEMPLATE_SIDECAR_DEFAULTS,
      cert: { namespace: 'ops', secretName: 'cert', dnsNames: NAMES, webhookConfiguration: 'inj', managedExternally: false },
      secrets,
      configs: memoryConfigs(['a']),
      logger: winston.createLogger({ silent: true }),
      registry,
    });
    try {
      const ca = Buffer.from(secrets.items.get('ops/cert')!.data!['ca.crt']!, 'base64').toString();
      const post = (
        path: string,
        body: unknown,
      ): Promise<{ status: number; json: { response?: { allowed: boolean; patch?: string; status?: { message: string } } } }> =>
        new Promise((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: webhook.port,
              path,
              method: 'POST',
              ca,
              servername: 'op-webhook.ops.svc',
              headers: { 'content-type': 'application/json' },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as never }));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify(body));
        });
      const review = (annotations: Record<string, string>): unknown => ({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u',
          operation: 'CREATE',
          kind: { kind: 'Pod' },
          object: { metadata: { name: 'p', annotations }, spec: { containers: [{ name: 'a' }] } },
        },
      });
      const ok = await post('/inject', review({ [INJECT_ANNOTATION]: 'true', [TOPOLOGY_ANNOTATION]: 'chat' }));
      expect(ok.status).to.equal(200);
      expect(ok.json.response?.allowed).to.equal(true);
      expect(ok.json.response?.patch).to.be.a('string');
      const denied = await post('/inject-namespace', review({}));
      expect(denied.json.response?.allowed).to.equal(false);
      expect(denied.json.response?.status?.message).to.contain(TOPOLOGY_ANNOTATION);
      expect((await post('/other', {})).status).to.equal(404);
      expect((await post('/inject', { nope: 1 })).status).to.equal(400);
      const metrics = await registry.getSingleMetricAsString('topology_operator_webhook_reviews_total');
      expect(metrics).to.match(/decision="patch"} 1/);
      expect(metrics).to.match(/decision="deny"} 1/);
      expect(metrics).to.match(/decision="bad_request"} 2/);
    } finally {
      await webhook.stop();
    }
  });
  it('is ready() only once the caBundle is published (it gates /readyz, so the Service sends no call before)', async () => {
    const configs = memoryConfigs(['a']);
    let asked: () => void = () => undefined;
    const configAsked = new Promise<void>((r) => (asked = r));
    const start = (configuration: string) =>
      startInjectionWebhook({
        port: 0,
        bindAddress: '127.0.0.1',
        defaults: TEMPLATE_SIDECAR_DEFAULTS,
        cert: { namespace: 'ops', secretName: 'cert', dnsNames: NAMES, webhookConfiguration: configuration, managedExternally: false },
        secrets: memorySecrets(),
        configs: {
          ...configs,
          get: async (name) => {
            const c = await configs.get(name);
            setImmediate(asked);
            return c;
          },
        },
        logger: winston.createLogger({ silent: true }),
        registry: new Registry(),
      });
    // No such configuration yet: serving, but not ready.
    const waiting = await start('not-yet');
    await configAsked;
    await new Promise((r) => setImmediate(r));
    expect(waiting.ready()).to.equal(false);
    await waiting.stop();
    const published = await start('inj');
    try {
      for (let i = 0; !published.ready(); i++) {
        expect(i, 'ready within 10 s').to.be.below(1000);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(configs.config.webhooks![0]!.clientConfig.caBundle).to.be.a('string');
    } finally {
      await published.stop();
    }
  });
});
