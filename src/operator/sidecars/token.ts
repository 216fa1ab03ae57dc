/**
 * The token a ClusterTopology's sidecars expect on Control calls: `spec.sidecar.tokenSecretRef`
 * (a Secret in the resource's namespace, key defaulting to `token`) when set, else the operator's
 * own `--token-file` token.
 *
 * Why a GET by name and a short cache, not a Secret informer: an informer would need list/watch
 * on every Secret of the watched namespaces and keep them all in memory; the operator needs only
 * the few Secrets that resources name, so the RBAC is `get` on secrets and each one is read at
 * most once per {@link TOKEN_CACHE_MS} (a rotated token is picked up within that time). Failures
 * are not cached, so a Secret created after its ClusterTopology is used at the next reconcile.
 *
 * A missing Secret or key, an empty value, or a forbidden read is a result, not a throw: the
 * reconciler reports it as a condition and an Event and looks again later.
 *
 * A token value may list several tokens, one per line, as the sidecars accept during a rotation
 * (src/rpc/cluster-token.ts): the operator sends the first.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { SIDECAR_DEFAULTS } from '../../api/defaults.js';
import type { SecretKeyRef } from '../../api/types.js';
import { apiStatusCode, isNotFound } from '../controller/api-errors.js';
import { errorMessage } from '../controller/log.js';
import { parseClusterTokens } from '../../rpc/cluster-token.js';

/** How long a token read from a Secret is reused: 30 s. Wild guess, short enough for rotation. */
export const TOKEN_CACHE_MS = 30_000;

/** The token to use, or why there is none. */
export type TokenResult = { ok: true; token: string | undefined } | { ok: false; message: string };

/** Reads a Secret's data (base64 values, as the API returns them); undefined when it does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

/** A {@link SecretReader} over the API server (`get` on secrets). */
export function apiSecretReader(kubeConfig: KubeConfig): SecretReader {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return async (namespace, name) => {
    try {
      return (await api.readNamespacedSecret({ namespace, name })).data ?? {};
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
}

/** Resolves and caches the sidecar token of each resource. */
export class SidecarTokens {
  private readonly cache = new Map<string, { token: string; at: number }>();

  /**
   * @param fallback the `--token-file` token, used when a resource names no Secret (a function when
   *   the file is re-read).
   * @param read how Secrets are read.
   * @param now clock for the cache (ms).
   */
  constructor(
    private readonly fallback: string | undefined | (() => string | undefined),
    private readonly read: SecretReader,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token for a resource in `namespace` whose spec has `ref` (undefined: the fallback). */
  async resolve(namespace: string, ref: (Pick<SecretKeyRef, 'name'> & Partial<SecretKeyRef>) | undefined): Promise<TokenResult> {
    if (ref === undefined) return { ok: true, token: this.fallbackToken() };
    const key = ref.key ?? SIDECAR_DEFAULTS.tokenKey;
    const where = `Secret ${namespace}/${ref.name} (spec.sidecar.tokenSecretRef)`;
    const cacheKey = `${namespace}/${ref.name}/${key}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined && this.now() - hit.at < TOKEN_CACHE_MS) return { ok: true, token: hit.token };
    this.cache.delete(cacheKey);
    let data: Record<string, string> | undefined;
    try {
      data = await this.read(namespace, ref.name);
    } catch (err) {
      const code = apiStatusCode(err);
      const why =
        code === 403 ? 'forbidden (the operator needs get on secrets: Helm value rbac.tokenSecrets)' : code !== undefined ? `HTTP ${code}` : errorMessage(err);
      return { ok: false, message: `cannot read ${where}: ${why}` };
    }
    if (data === undefined) return { ok: false, message: `${where} not found` };
    const raw = data[key];
    if (raw === undefined) return { ok: false, message: `${where} has no key "${key}"` };
    const token = parseClusterTokens(Buffer.from(raw, 'base64').toString('utf8'))[0];
    if (token === undefined) return { ok: false, message: `${where}: key "${key}" is empty` };
    this.cache.set(cacheKey, { token, at: this.now() });
    return { ok: true, token };
  }

  /** The `--token-file` token as it is now. */
  fallbackToken(): string | undefined {
    return typeof this.fallback === 'function' ? this.fallback() : this.fallback;
  }

  /** Drops cached tokens not used since {@link TOKEN_CACHE_MS} (bounded memory with many resources). */
  sweep(): void {
    const now = this.now();
    for (const [k, v] of this.cache) if (now - v.at >= TOKEN_CACHE_MS) this.cache.delete(k);
  }
}
