/**
 * The operator's own key, from which it derives every ClusterTopology's Control token
 * (src/rpc/control-credential.ts). It lives in one Secret in the operator's namespace
 * (`--credentials-secret`), which the operator **creates itself** the first time (random 32 bytes):
 * the Helm chart renders no generated value, so `helm template` under Argo CD or Flux is stable
 * and an upgrade never changes the key. Two replicas starting at once both try to create it; the
 * loser's 409 makes it read the winner's.
 *
 * The Secret's `key` holds one key per line. The first derives the tokens the operator sends; every
 * line's key pair is accepted by the sidecars (its public key is written into each resource's
 * credentials Secret), so rotation is the same three edits as any token here: add the new key as
 * the second line, then move it first, then drop the old one, each once the previous edit has
 * reached every sidecar (docs/security.md). The Secret is re-read at most every
 * {@link OPERATOR_KEY_REFRESH_MS}, so an edit takes effect without a restart.
 */
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { MIN_OPERATOR_KEY_LENGTH } from '../../rpc/control-credential.js';
import { credentialLines } from '../../rpc/cluster-token.js';
import { isConflict } from '../controller/api-errors.js';
import type { SecretStore } from './secret-store.js';

/** Key of the operator key inside its Secret. */
export const OPERATOR_KEY_DATA_KEY = 'key';
/** How long the keys read are reused before the Secret is read again: 60 s, the kubelet's own Secret refresh order. Wild guess. */
export const OPERATOR_KEY_REFRESH_MS = 60_000;
/** Label on the Secrets the operator manages. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Value of {@link MANAGED_BY_LABEL}. */
export const MANAGED_BY = 'topology-operator';

/** The keys in a key Secret's text: one per line, blank lines ignored; throws naming the bad line. */
export function parseOperatorKeys(text: string, where: string): string[] {
  const keys = credentialLines(text);
  if (keys.length === 0) throw new Error(`${where} has no key`);
  keys.forEach((k, i) => {
    if (k.length < MIN_OPERATOR_KEY_LENGTH) throw new Error(`${where} line ${i + 1} is shorter than ${MIN_OPERATOR_KEY_LENGTH} characters`);
  });
  return keys;
}

/** Reads (creating once) and caches the operator key. */
export class OperatorKeyStore {
  private cached: { keys: readonly string[]; at: number } | undefined;

  constructor(
    private readonly store: SecretStore,
    private readonly namespace: string,
    private readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Where the key lives, for messages. */
  get description(): string {
    return `Secret ${this.namespace}/${this.name}`;
  }

  /** The keys, first one current; throws (with a message naming the Secret) when it cannot be read or created. */
  async keys(): Promise<readonly string[]> {
    const hit = this.cached;
    if (hit !== undefined && this.now() - hit.at < OPERATOR_KEY_REFRESH_MS) return hit.keys;
    let secret = await this.store.get(this.namespace, this.name);
    if (secret === undefined) secret = await this.createOnce();
    const raw = secret.data?.[OPERATOR_KEY_DATA_KEY];
    if (raw === undefined) throw new Error(`${this.description} has no "${OPERATOR_KEY_DATA_KEY}"`);
    const keys = parseOperatorKeys(Buffer.from(raw, 'base64').toString('utf8'), this.description);
    this.cached = { keys, at: this.now() };
    return keys;
  }

  private async createOnce(): Promise<V1Secret> {
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: this.name, namespace: this.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
      type: 'Opaque',
      data: { [OPERATOR_KEY_DATA_KEY]: Buffer.from(randomBytes(32).toString('base64url')).toString('base64') },
    };
    try {
      return await this.store.create(this.namespace, body);
    } catch (err) {
      if (!isConflict(err)) throw err;
      // Another replica created it first: use theirs.
      const theirs = await this.store.get(this.namespace, this.name);
      if (theirs === undefined) throw err;
      return theirs;
    }
  }
}
