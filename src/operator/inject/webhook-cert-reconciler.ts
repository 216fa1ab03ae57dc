/**
 * Keeps the injection webhook's serving certificate current, level-based, in every replica (each
 * serves the webhook; the Service spreads calls over them):
 *
 *   self-signed mode: the Secret `--webhook-cert-secret` holds a CA and a serving certificate for
 *     `<service>.<namespace>.svc` (serving-cert.ts); missing, unparsable, for other names or due
 *     for renewal → new ones are written (create, or replace with the resourceVersion read: two
 *     replicas racing both re-read, one wins); then every webhook of the MutatingWebhookConfiguration
 *     `--webhook-configuration` gets the Secret's `ca.crt` as its caBundle (patched only when it differs).
 *   cert-manager mode (`--webhook-cert-managed-externally`): cert-manager writes the Secret and
 *     its CA injector the caBundle; this only reads `tls.crt`/`tls.key`.
 *
 * Either way the server is handed the Secret's `tls.crt`/`tls.key` when they change. Each pass
 * returns when the next is due (RequeueAfter).
 */
import {
  AdmissionregistrationV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1MutatingWebhookConfiguration,
  type V1Secret,
} from '@kubernetes/client-node';
import { isNotFound } from '../controller/api-errors.js';
import type { SecretStore } from '../sidecars/secret-store.js';
import { issueServingCert, renewalReason, type ServingCertData } from './serving-cert.js';

/** Re-check every 10 minutes even when nothing is due (a renewal due in a year is still checked, so a deleted Secret comes back). Wild guess. */
export const CERT_RESYNC_MS = 10 * 60_000;
/** Retry after a failed pass (conflict, API error, configuration not yet created). Wild guess. */
export const CERT_RETRY_MS = 5_000;
/** The Secret's type: a TLS Secret (tls.crt, tls.key) with the CA beside it, as cert-manager writes. */
export const SERVING_SECRET_TYPE = 'kubernetes.io/tls';

/**
 * The field manager of the operator's caBundle patches, so the API server records that field as
 * the operator's (managedFields): a GitOps tool told to trust it (Argo CD's
 * `ignoreDifferences[].managedFieldsManagers`) then shows no drift. docs/helm.md, "GitOps".
 */
export const CA_BUNDLE_FIELD_MANAGER = 'topology-operator';

/** The MutatingWebhookConfiguration operations the reconciler needs: get by name, set caBundles. */
export interface WebhookConfigStore {
  get(name: string): Promise<V1MutatingWebhookConfiguration | undefined>;
  /** Sets `caBundle` (base64 PEM) on the named webhooks of the configuration. */
  setCaBundle(name: string, webhooks: readonly string[], caBundleBase64: string): Promise<void>;
}

/** A {@link WebhookConfigStore} over the API server (RBAC: get/patch on that one configuration, by name). */
export function apiWebhookConfigStore(kubeConfig: KubeConfig): WebhookConfigStore {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  return {
    async get(name) {
      try {
        return await api.readMutatingWebhookConfiguration({ name });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async setCaBundle(name, webhooks, caBundle) {
      // Strategic merge: `webhooks` merges by `name`, so only caBundle changes.
      await api.patchMutatingWebhookConfiguration(
        { name, fieldManager: CA_BUNDLE_FIELD_MANAGER, body: { webhooks: webhooks.map((w) => ({ name: w, clientConfig: { caBundle } })) } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    },
  };
}

/** What the reconciler is configured with. */
export interface WebhookCertOptions {
  readonly namespace: string;
  readonly secretName: string;
  readonly dnsNames: readonly string[];
  /** Name of the MutatingWebhookConfiguration whose caBundle is kept; undefined: none is patched. */
  readonly webhookConfiguration: string | undefined;
  /** cert-manager (or another issuer) writes the Secret and the caBundle: only read the Secret. */
  readonly managedExternally: boolean;
  readonly now?: () => number;
}

/** The serving key pair handed to the HTTPS server. */
export interface ServingKeyPair {
  readonly cert: string;
  readonly key: string;
}

/** Result of one pass: what was done, and when the next pass is due. */
export interface CertPass {
  readonly requeueAfterMs: number;
  readonly issued?: string;
  readonly caBundlePatched?: readonly string[];
  readonly waiting?: string;
}

function decode(secret: V1Secret | undefined): Partial<ServingCertData> | undefined {
  if (secret?.data === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data)) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out as Partial<ServingCertData>;
}

function encode(data: ServingCertData): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

/** One pass of the level-based loop (see the file comment); `serve` receives the key pair to serve. */
export async function reconcileWebhookCert(
  secrets: SecretStore,
  configs: WebhookConfigStore,
  options: WebhookCertOptions,
  serve: (pair: ServingKeyPair) => void,
): Promise<CertPass> {
  const now = (options.now ?? Date.now)();
  const secret = await secrets.get(options.namespace, options.secretName);
  let data = decode(secret);
  let issued: string | undefined;
  if (options.managedExternally) {
    if (!data?.['tls.crt'] || !data['tls.key'])
      return { requeueAfterMs: CERT_RETRY_MS, waiting: `Secret ${options.namespace}/${options.secretName} with tls.crt and tls.key` };
  } else {
    const reason = renewalReason(data, options.dnsNames, now);
    if (reason !== undefined) {
      const fresh = issueServingCert(data, options.dnsNames, now);
      const body: V1Secret = {
        metadata: {
          name: options.secretName,
          namespace: options.namespace,
          ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}),
          labels: {
            ...(secret?.metadata?.labels ?? {}),
            'app.kubernetes.io/component': 'webhook-serving-cert',
            'app.kubernetes.io/managed-by': 'topology-operator',
          },
        },
        type: SERVING_SECRET_TYPE,
        data: encode(fresh),
      };
      try {
        if (secret === undefined) await secrets.create(options.namespace, body);
        else await secrets.replace(options.namespace, body);
      } catch (err) {
        // Another replica wrote it first (409): serve and publish what it wrote, next pass.
        if ((err as { code?: number }).code === 409) return { requeueAfterMs: 0, waiting: 'another replica wrote the Secret first' };
        throw err;
      }
      data = fresh;
      issued = reason;
    }
  }
  serve({ cert: data!['tls.crt']!, key: data!['tls.key']! });

  let caBundlePatched: string[] | undefined;
  if (!options.managedExternally && options.webhookConfiguration !== undefined) {
    const config = await configs.get(options.webhookConfiguration);
    if (config === undefined)
      return { requeueAfterMs: CERT_RETRY_MS, ...(issued ? { issued } : {}), waiting: `MutatingWebhookConfiguration ${options.webhookConfiguration}` };
    const want = Buffer.from(data!['ca.crt']!, 'utf8').toString('base64');
    const stale = (config.webhooks ?? []).filter((w) => w.clientConfig.caBundle !== want).map((w) => w.name);
    if (stale.length > 0) {
      await configs.setCaBundle(options.webhookConfiguration, stale, want);
      caBundlePatched = stale;
    }
  }
  return { requeueAfterMs: CERT_RESYNC_MS, ...(issued ? { issued } : {}), ...(caBundlePatched ? { caBundlePatched } : {}) };
}
