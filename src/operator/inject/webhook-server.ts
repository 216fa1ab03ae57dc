/**
 * The injection webhook's HTTPS server, in the operator process (`--webhook-port`): POST
 * `/inject` (pods of unlabelled namespaces: inject when the pod asks) and `/inject-namespace`
 * (namespaces labelled `topology.foundation.dev/injection: enabled`) answer AdmissionReviews with
 * admission-review.ts; the serving certificate comes from webhook-cert-reconciler.ts, whose loop
 * runs here too and swaps the certificate in with `setSecureContext` when it changes. Thin: all
 * decisions are in the pure modules.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'winston';
import type { SecretStore } from '../sidecars/secret-store.js';
import { reviewPod } from './admission-review.js';
import type { InjectionScope } from './inject-patch.js';
import type { SidecarDefaults } from './sidecar-spec.js';
import { CERT_RETRY_MS, reconcileWebhookCert, type ServingKeyPair, type WebhookCertOptions, type WebhookConfigStore } from './webhook-cert-reconciler.js';

/** Largest AdmissionReview accepted: 8 MiB (a pod is at most etcd's 1.5 MiB request limit, sent as object and oldObject; margin a wild guess). */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;
/** Paths of the two webhooks. */
export const INJECT_PATHS: Readonly<Record<string, InjectionScope>> = { '/inject': 'pod', '/inject-namespace': 'namespace' };

/** What the webhook needs. */
export interface InjectionWebhookOptions {
  readonly port: number;
  readonly bindAddress: string;
  readonly defaults: SidecarDefaults;
  readonly cert: WebhookCertOptions;
  readonly secrets: SecretStore;
  readonly configs: WebhookConfigStore;
  readonly logger: Logger;
  readonly registry: Registry;
}

/** A running webhook. */
export interface InjectionWebhook {
  /** The port listened on (useful with `--webhook-port 0` in tests). */
  readonly port: number;
  /**
   * True once a certificate pass completed with nothing left waiting (the Secret current and,
   * unless cert-manager publishes it, the caBundle patched): the API server can now verify this
   * replica. The operator's `/readyz` includes it, so a Service's EndpointSlice lists the replica
   * only from then on and `helm install --wait` returns when injection works. Stays true: a later
   * failed pass leaves the served certificate valid.
   */
  ready(): boolean;
  /**
   * From now on every answer carries `Connection: close`, so the API server's kept-alive
   * connections end after their current call and the next call reconnects, through the Service,
   * to a replica that is not terminating. Called on SIGTERM, some time before {@link stop}.
   */
  drain(): void;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REVIEW_BYTES) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the certificate loop and, once a certificate is there, the HTTPS server. */
export async function startInjectionWebhook(o: InjectionWebhookOptions): Promise<InjectionWebhook> {
  const reviews = new Counter({
    name: 'topology_operator_webhook_reviews_total',
    help: 'AdmissionReviews answered by the sidecar injection webhook, by decision (patch, skip, deny) and refused requests (bad_request)',
    labelNames: ['decision'],
    registers: [o.registry],
  });
  const log = o.logger.child({ component: 'injection-webhook' });
  // Set once the port is bound; the certificate loop swaps certificates into it from then on.
  const live: { server: Server | undefined } = { server: undefined };
  let current: ServingKeyPair | undefined;
  let stopped = false;
  let published = false;
  let draining = false;
  let timer: NodeJS.Timeout | undefined;
  let firstPair: (pair: ServingKeyPair) => void = () => undefined;
  const havePair = new Promise<ServingKeyPair>((resolve) => (firstPair = resolve));

  const serve = (pair: ServingKeyPair): void => {
    if (current?.cert === pair.cert && current.key === pair.key) return;
    current = pair;
    if (live.server !== undefined) {
      live.server.setSecureContext({ cert: pair.cert, key: pair.key });
      log.info('webhook serving certificate reloaded');
    }
    firstPair(pair);
  };
  const loop = async (): Promise<void> => {
    let next = CERT_RETRY_MS;
    try {
      const pass = await reconcileWebhookCert(o.secrets, o.configs, o.cert, serve);
      next = pass.requeueAfterMs;
      if (pass.issued) log.info('webhook serving certificate issued', { reason: pass.issued, secret: `${o.cert.namespace}/${o.cert.secretName}` });
      if (pass.caBundlePatched) log.info('webhook caBundle patched', { configuration: o.cert.webhookConfiguration, webhooks: pass.caBundlePatched });
      if (pass.waiting) log.info('webhook certificate waiting', { for: pass.waiting });
      else published = true;
    } catch (err) {
      log.warn('webhook certificate pass failed; retrying', { error: (err as Error).message });
    }
    if (!stopped) timer = setTimeout(() => void loop(), next);
  };
  void loop();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const scope = INJECT_PATHS[path];
    const answer = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json', ...(draining ? { connection: 'close' } : {}) }).end(JSON.stringify(body));
    };
    if (scope === undefined || req.method !== 'POST') {
      reviews.inc({ decision: 'bad_request' });
      return answer(404, { error: `POST an AdmissionReview to ${Object.keys(INJECT_PATHS).join(' or ')}` });
    }
    const body = await readBody(req);
    if (body === undefined) {
      reviews.inc({ decision: 'bad_request' });
      return answer(413, { error: `AdmissionReview larger than ${MAX_REVIEW_BYTES} bytes` });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const outcome = reviewPod(parsed, scope, o.defaults);
    if (outcome === undefined) {
      reviews.inc({ decision: 'bad_request' });
      return answer(400, { error: 'the body must be an AdmissionReview (admission.k8s.io/v1) with request.uid' });
    }
    reviews.inc({ decision: outcome.decision.kind });
    const object = (parsed as { request?: { namespace?: string; object?: { metadata?: { generateName?: string; name?: string } } } }).request;
    const pod = `${object?.namespace ?? ''}/${object?.object?.metadata?.name ?? `${object?.object?.metadata?.generateName ?? ''}*`}`;
    if (outcome.decision.kind === 'deny') log.info('pod refused', { pod, scope, message: outcome.decision.message });
    else if (outcome.decision.kind === 'patch') log.debug('sidecar injected', { pod, scope });
    answer(200, outcome.response);
  };

  const pair = await Promise.race([havePair, new Promise<undefined>((r) => setTimeout(r, 0, undefined))]);
  const listen = async (p: ServingKeyPair): Promise<Server> => {
    const s = createServer({ cert: p.cert, key: p.key }, (req, res) => {
      handle(req, res).catch((err: unknown) => {
        log.warn('webhook request failed', { error: (err as Error).message });
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(o.port, o.bindAddress, () => resolve());
    });
    return s;
  };
  // The port is bound once the first certificate is there (the API server retries meanwhile: failurePolicy).
  const server = await listen(pair ?? (await havePair));
  live.server = server;
  if (current !== undefined && current !== pair) server.setSecureContext({ cert: current.cert, key: current.key });
  const port = (server.address() as AddressInfo).port;
  log.info('sidecar injection webhook serving', { port, paths: Object.keys(INJECT_PATHS) });
  return {
    port,
    ready: () => published,
    drain: () => {
      draining = true;
      server.closeIdleConnections();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
