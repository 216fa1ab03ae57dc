/**
 * Each ClusterTopology's own credentials Secret, which the operator creates and keeps current and
 * the resource's member pods mount (docs/security.md):
 *
 *   metadata.name   <resource>-sidecar-credentials ({@link credentialsSecretName})
 *   type            topology.foundation.dev/sidecar-credentials
 *   ownerReference  the ClusterTopology (deleted with it)
 *   peer-token              the members' Peer token, random, made once; kept as written, so a
 *                           user can rotate it with the usual three edits (old⏎new, new⏎old, new)
 *   control-public-key      the public keys of the resource's Control key pairs, one per
 *                           operator key
 *
 * The Control private key is never stored: the operator derives it from its key and the
 * resource's uid (src/rpc/control-credential.ts), so a member pod can read its Peer token and the
 * public keys but cannot sign a Control call, and one resource's credentials open nothing on
 * another's.
 *
 * {@link planCredentialsSecret} is pure (what to write, given what exists); {@link MemberCredentials}
 * does the reads and writes, at most one read per resource per {@link CREDENTIALS_CACHE_MS}
 * while nothing changes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND } from '../../api/constants.js';
import { deriveControlSigner } from '../../rpc/control-credential.js';
import { apiStatusCode } from '../controller/api-errors.js';
import { errorMessage } from '../controller/log.js';
import { MANAGED_BY, MANAGED_BY_LABEL, type OperatorKeyStore } from './operator-key.js';
import type { SecretStore } from './secret-store.js';
import type { TokenResult } from './token.js';

/** Type of the credentials Secrets the operator manages. */
export const CREDENTIALS_SECRET_TYPE = `${GROUP}/sidecar-credentials`;
/** Key of the Peer token in the credentials Secret (the sidecar's `--token-file`). */
export const PEER_TOKEN_KEY = 'peer-token';
/** Key of the Control public keys (the sidecar's `--control-public-key-file`). */
export const CONTROL_PUBLIC_KEY_KEY = 'control-public-key';
/** Label naming the ClusterTopology a credentials Secret belongs to. */
export const TOPOLOGY_LABEL = `${GROUP}/topology`;
/** Suffix of {@link credentialsSecretName}. */
const SECRET_SUFFIX = '-sidecar-credentials';
/** Longest object name (a DNS subdomain). */
const MAX_NAME = 253;
/** How long a Secret found current is trusted before it is read again: 30 s. Wild guess, bounds the reads of a busy rollout. */
export const CREDENTIALS_CACHE_MS = 30_000;

/** The resource fields the credentials depend on. */
export interface CredentialsOwner {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** Name of the credentials Secret of the ClusterTopology `name` (shortened with a hash when too long). */
export function credentialsSecretName(name: string): string {
  if (name.length + SECRET_SUFFIX.length <= MAX_NAME) return `${name}${SECRET_SUFFIX}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - SECRET_SUFFIX.length - 9).replace(/[-.]+$/, '')}-${hash}${SECRET_SUFFIX}`;
}

/** The Control public key lines for `keys`: one per operator key, in key order. */
export function controlPublicKeyLines(keys: readonly string[], uid: string): string {
  return keys.map((k) => deriveControlSigner(k, uid).publicKey).join('\n') + '\n';
}

/** What to do with the credentials Secret. */
export type CredentialsPlan =
  { readonly action: 'none' } | { readonly action: 'create' | 'replace'; readonly secret: V1Secret } | { readonly action: 'refuse'; readonly message: string };

function decode(secret: V1Secret, key: string): string | undefined {
  const raw = secret.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
}

function ownerReference(owner: CredentialsOwner): V1OwnerReference {
  return { apiVersion: API_VERSION, kind: KIND, name: owner.name, uid: owner.uid, controller: true };
}

/**
 * What to write so that the credentials Secret of `owner` exists, belongs to it, has a Peer token
 * and lists the public keys derived from `keys`. A Secret of that name that is not this resource's (another
 * type, or no ownerReference to its uid) is refused, never taken over.
 */
export function planCredentialsSecret(
  owner: CredentialsOwner,
  existing: V1Secret | undefined,
  keys: readonly string[],
  newToken: () => string,
): CredentialsPlan {
  const name = credentialsSecretName(owner.name);
  const publicKeys = controlPublicKeyLines(keys, owner.uid);
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  if (existing === undefined) {
    const labels: Record<string, string> = { [MANAGED_BY_LABEL]: MANAGED_BY };
    if (owner.name.length <= 63) labels[TOPOLOGY_LABEL] = owner.name;
    return {
      action: 'create',
      secret: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: owner.namespace, labels, ownerReferences: [ownerReference(owner)] },
        type: CREDENTIALS_SECRET_TYPE,
        data: { [PEER_TOKEN_KEY]: b64(`${newToken()}\n`), [CONTROL_PUBLIC_KEY_KEY]: b64(publicKeys) },
      },
    };
  }
  const where = `Secret ${owner.namespace}/${name}`;
  if (existing.type !== CREDENTIALS_SECRET_TYPE)
    return {
      action: 'refuse',
      message: `${where} exists with type "${existing.type ?? ''}", not ${CREDENTIALS_SECRET_TYPE}: delete or rename it so the operator can create the credentials`,
    };
  if (!(existing.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.uid))
    return {
      action: 'refuse',
      message: `${where} belongs to another ClusterTopology (no ownerReference to uid ${owner.uid}); delete it so the operator can create this one's`,
    };
  const peer = decode(existing, PEER_TOKEN_KEY);
  const hasPeer = peer !== undefined && peer.trim() !== '';
  if (hasPeer && decode(existing, CONTROL_PUBLIC_KEY_KEY) === publicKeys) return { action: 'none' };
  return {
    action: 'replace',
    secret: {
      ...existing,
      data: {
        ...existing.data,
        [PEER_TOKEN_KEY]: hasPeer ? (existing.data?.[PEER_TOKEN_KEY] as string) : b64(`${newToken()}\n`),
        [CONTROL_PUBLIC_KEY_KEY]: b64(publicKeys),
      },
    },
  };
}

/** A fresh random Peer token: 32 bytes, base64url (43 printable ASCII characters). */
export function randomPeerToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Ensures each resource's credentials Secret and gives the Control credential to call its sidecars with. */
export class MemberCredentials {
  /** uid → the public keys last found current, and when. */
  private readonly current = new Map<string, { publicKeys: string; at: number }>();

  constructor(
    private readonly keys: OperatorKeyStore,
    private readonly store: SecretStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The Control credential of `owner`'s sidecars (its signer), after making sure its credentials
   * Secret is current (unless `ensure` is false: a resource being deleted only needs the
   * credential). Failures are results.
   */
  async resolve(owner: CredentialsOwner, ensure = true): Promise<TokenResult> {
    let keys: readonly string[];
    try {
      keys = await this.keys.keys();
    } catch (err) {
      return { ok: false, message: `cannot read the operator key (${this.keys.description}): ${describe(err)}` };
    }
    const credential = { kind: 'signed', signer: deriveControlSigner(keys[0] as string, owner.uid) } as const;
    if (!ensure) return { ok: true, credential };
    const publicKeys = controlPublicKeyLines(keys, owner.uid);
    const hit = this.current.get(owner.uid);
    if (hit !== undefined && hit.publicKeys === publicKeys && this.now() - hit.at < CREDENTIALS_CACHE_MS) return { ok: true, credential };
    const name = credentialsSecretName(owner.name);
    try {
      const plan = planCredentialsSecret(owner, await this.store.get(owner.namespace, name), keys, randomPeerToken);
      if (plan.action === 'refuse') return { ok: false, message: plan.message };
      if (plan.action === 'create') await this.store.create(owner.namespace, plan.secret);
      if (plan.action === 'replace') await this.store.replace(owner.namespace, plan.secret);
    } catch (err) {
      return { ok: false, message: `cannot write Secret ${owner.namespace}/${name}: ${describe(err)}` };
    }
    this.current.set(owner.uid, { publicKeys, at: this.now() });
    return { ok: true, credential };
  }

  /** Forgets a resource (deleted). */
  forget(uid: string): void {
    this.current.delete(uid);
  }

  /** Drops entries not refreshed since {@link CREDENTIALS_CACHE_MS} (bounded memory with many resources). */
  sweep(): void {
    const now = this.now();
    for (const [k, v] of this.current) if (now - v.at >= CREDENTIALS_CACHE_MS) this.current.delete(k);
  }
}

function describe(err: unknown): string {
  const code = apiStatusCode(err);
  if (code === 403) return 'forbidden (the operator needs get, create and update on secrets: the Helm chart grants them)';
  if (code === 409) return 'changed while writing (conflict); retrying';
  return code !== undefined ? `HTTP ${code}` : errorMessage(err);
}
