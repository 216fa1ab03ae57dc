/**
 * Shared-token mode: the token a ClusterTopology's sidecars expect when it names one with
 * `spec.sidecar.tokenSecretRef` (a Secret in the resource's namespace, key defaulting to `token`)
 * instead of the operator-managed credentials (member-credentials.ts). The same token then opens
 * Peer and Control, so any member can drive its peers; docs/security.md says when that is
 * acceptable. Resources that name no Secret get managed credentials.
 *
 * Only a Secret of type {@link SIDECAR_TOKEN_SECRET_TYPE} may be named: the operator sends the
 * value to the pods the resource selects, so a resource's author must not be able to point it at
 * an unrelated Secret (a database password, a service-account token) and harvest it from a pod.
 *
 * Why a GET by name and a short cache, not a Secret informer: an informer would need list/watch
 * on every Secret of the watched namespaces and keep them all in memory; the operator needs only
 * the few Secrets that resources name, so each one is read at most once per {@link TOKEN_CACHE_MS}
 * (a rotated token is picked up within that time). Failures are not cached, so a Secret created
 * after its ClusterTopology is used at the next reconcile.
 *
 * A missing Secret or key, a wrong type, an empty value, or a forbidden read is a result, not a
 * throw: the reconciler reports it as a condition and an Event and looks again later.
 *
 * A token value may list several tokens, one per line, as the sidecars accept during a rotation
 * (src/rpc/cluster-token.ts): the operator sends the first.
 */
import { SIDECAR_DEFAULTS } from '../../api/defaults.js';
import type { SecretKeyRef } from '../../api/types.js';
import { GROUP } from '../../api/constants.js';
import { apiStatusCode } from '../controller/api-errors.js';
import { errorMessage } from '../controller/log.js';
import { parseClusterTokens } from '../../rpc/cluster-token.js';
import type { ControlCredential } from '../../rpc/control-credential.js';

/** How long a token read from a Secret is reused: 30 s. Wild guess, short enough for rotation. */
export const TOKEN_CACHE_MS = 30_000;

/** The Control credential to use, or why there is none. */
export type TokenResult = { ok: true; credential: ControlCredential } | { ok: false; message: string };

/** The only type of Secret `spec.sidecar.tokenSecretRef` may name. */
export const SIDECAR_TOKEN_SECRET_TYPE = `${GROUP}/sidecar-token`;

/** A Secret's type and data (base64 values, as the API returns them). */
export interface SecretContent {
  readonly type?: string | undefined;
  readonly data?: Record<string, string> | undefined;
}

/** Reads a Secret; undefined when it does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<SecretContent | undefined>;

/** Resolves and caches the sidecar token of each resource. */
export class SidecarTokens {
  private readonly cache = new Map<string, { token: string; at: number }>();

  /**
   * @param read how Secrets are read.
   * @param now clock for the cache (ms).
   */
  constructor(
    private readonly read: SecretReader,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token for a resource in `namespace` whose spec names `ref`. */
  async resolve(namespace: string, ref: Pick<SecretKeyRef, 'name'> & Partial<SecretKeyRef>): Promise<TokenResult> {
    const key = ref.key ?? SIDECAR_DEFAULTS.tokenKey;
    const where = `Secret ${namespace}/${ref.name} (spec.sidecar.tokenSecretRef)`;
    const cacheKey = `${namespace}/${ref.name}/${key}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined && this.now() - hit.at < TOKEN_CACHE_MS) return { ok: true, credential: { kind: 'bearer', token: hit.token } };
    this.cache.delete(cacheKey);
    let secret: SecretContent | undefined;
    try {
      secret = await this.read(namespace, ref.name);
    } catch (err) {
      const code = apiStatusCode(err);
      const why =
        code === 403 ? 'forbidden (the operator needs get on secrets: the Helm chart grants it)' : code !== undefined ? `HTTP ${code}` : errorMessage(err);
      return { ok: false, message: `cannot read ${where}: ${why}` };
    }
    if (secret === undefined) return { ok: false, message: `${where} not found` };
    if (secret.type !== SIDECAR_TOKEN_SECRET_TYPE)
      return {
        ok: false,
        message: `${where} has type "${secret.type ?? ''}"; only a Secret of type ${SIDECAR_TOKEN_SECRET_TYPE} may be named, so that a resource cannot send an unrelated Secret to its pods`,
      };
    const raw = (secret.data ?? {})[key];
    if (raw === undefined) return { ok: false, message: `${where} has no key "${key}"` };
    let token: string | undefined;
    try {
      token = parseClusterTokens(Buffer.from(raw, 'base64').toString('utf8'))[0];
    } catch (err) {
      return { ok: false, message: `${where}: key "${key}": ${errorMessage(err)}` };
    }
    if (token === undefined) return { ok: false, message: `${where}: key "${key}" is empty` };
    this.cache.set(cacheKey, { token, at: this.now() });
    return { ok: true, credential: { kind: 'bearer', token } };
  }

  /** Drops cached tokens not used since {@link TOKEN_CACHE_MS} (bounded memory with many resources). */
  sweep(): void {
    const now = this.now();
    for (const [k, v] of this.cache) if (now - v.at >= TOKEN_CACHE_MS) this.cache.delete(k);
  }
}
