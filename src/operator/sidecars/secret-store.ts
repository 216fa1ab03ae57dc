/**
 * The few Secret operations the operator's credentials need, over the API server: get by name,
 * create, replace with a resourceVersion precondition. Never list or watch: the operator touches
 * only the Secrets it manages (and a `tokenSecretRef` named by a resource), so RBAC can be
 * `get`/`create`/`update` and no informer holds every Secret of the cluster in memory.
 */
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { isNotFound } from '../controller/api-errors.js';

/** Secret access by name. */
export interface SecretStore {
  /** The Secret, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** Creates it; rejects with 409 when it already exists. */
  create(namespace: string, secret: V1Secret): Promise<V1Secret>;
  /** Replaces it (its `metadata.resourceVersion` is the precondition: 409 when it changed). */
  replace(namespace: string, secret: V1Secret): Promise<V1Secret>;
}

/** A {@link SecretStore} over the API server. */
export function apiSecretStore(kubeConfig: KubeConfig): SecretStore {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async get(namespace, name) {
      try {
        return await api.readNamespacedSecret({ namespace, name });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (namespace, body) => api.createNamespacedSecret({ namespace, body }),
    replace: (namespace, body) => api.replaceNamespacedSecret({ namespace, name: body.metadata?.name ?? '', body }),
  };
}
