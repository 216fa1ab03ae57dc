/**
 * The Control credential, kept apart from the members' Peer token (docs/security.md).
 *
 * The operator drives each ClusterTopology's sidecars with a **per-resource Ed25519 key pair** that
 * it derives from its own key: the private key's seed is
 * `HMAC-SHA256(operator key, "topology.foundation.dev/control\0" + resource uid)`, so it stores
 * nothing per resource and a new resource (new uid) gets a new pair. The sidecars hold only the
 * **public key** (the operator writes it into the resource's credentials Secret, which the member
 * pods mount). Every Control call carries a signature over the method, the address it is sent to,
 * the fencing token, the time and a nonce ({@link signedCallText}); a sidecar verifies it with the
 * public key, refuses a call addressed to another member, older than {@link MAX_SIGNATURE_AGE_MS}
 * or replayed. So a member — its app, its sidecar, or a pod someone labelled to look like one —
 * sees nothing on a Control call it could use on another member: a bearer token handed to every
 * member could be replayed against its peers, a signature bound to one address cannot.
 *
 * Rotation: the operator's key file lists keys one per line; the first signs and every line's
 * public key is written, the same three edits as the Peer token (src/rpc/cluster-token.ts): add
 * the new key second, move it first, drop the old one.
 */
import { createHmac, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { AuthResult } from './auth.js';
import { FENCING_METADATA_KEY } from './fencing.js';
import { credentialLines } from './cluster-token.js';

/** Domain-separation prefix of the key derivation, so the operator key derives nothing else by accident. */
const DERIVATION_CONTEXT = 'topology.foundation.dev/control\0';
/** Domain-separation prefix of what a call's signature covers. */
const SIGNATURE_CONTEXT = 'topology.foundation.dev/control-call\0';
/** Shortest operator key accepted (characters of key text): 32 random bytes base64-encoded are 44. */
export const MIN_OPERATOR_KEY_LENGTH = 32;
/** Metadata keys of a signed call. */
export const SIGNATURE_KEY = 'x-topology-signature';
export const SIGNED_AT_KEY = 'x-topology-signed-at';
export const NONCE_KEY = 'x-topology-nonce';
/**
 * How old a signed call may be when it arrives (ms): calls are answered in seconds, and clocks of
 * the operator's and the pod's nodes agree to well under a second with NTP; a call older than
 * this is refused. Wild guess, generous for a loaded node.
 */
export const MAX_SIGNATURE_AGE_MS = 60_000;
/** How far in the future a call's time may be (clock skew), ms. Wild guess. */
export const MAX_SIGNATURE_SKEW_MS = 10_000;
/** Nonces remembered per sidecar to refuse replays within {@link MAX_SIGNATURE_AGE_MS}: far above a sidecar's Control call rate (a few per second). */
export const MAX_REMEMBERED_NONCES = 100_000;
/** Length of a raw Ed25519 public key (bytes). */
const PUBLIC_KEY_BYTES = 32;
/** DER prefixes wrapping a raw Ed25519 seed (PKCS#8) and public key (SPKI), RFC 8410. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** What a Control call is signed with: one resource's private key, and its public key's text. */
export interface ControlSigner {
  /** The public key (base64url of the raw 32 bytes), as the credentials Secret lists it. */
  readonly publicKey: string;
  /** Metadata entries that sign a call of `method` to `audience` carrying `fencing` (the header's value, if any). */
  sign(method: string, audience: string, fencing: string | undefined): ReadonlyArray<readonly [string, string]>;
}

/** How a Control call authenticates: a shared bearer token (shared-token mode), or a signature. */
export type ControlCredential = { readonly kind: 'bearer'; readonly token: string } | { readonly kind: 'signed'; readonly signer: ControlSigner };

/** The text a call's signature covers. */
export function signedCallText(method: string, audience: string, fencing: string, at: string, nonce: string): Buffer {
  return Buffer.from([SIGNATURE_CONTEXT, method, audience, fencing, at, nonce].join('\0'), 'utf8');
}

/** The Control signer of the resource with `uid`, derived from one operator key. */
export function deriveControlSigner(operatorKey: string, uid: string, now: () => number = Date.now): ControlSigner {
  const seed = createHmac('sha256', operatorKey)
    .update(DERIVATION_CONTEXT + uid, 'utf8')
    .digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = rawPublicKey(createPublicKey(privateKey)).toString('base64url');
  return {
    publicKey,
    sign(method, audience, fencing) {
      const at = String(Math.round(now()));
      const nonce = randomBytes(12).toString('base64url');
      const signature = sign(null, signedCallText(method, audience, fencing ?? '', at, nonce), privateKey).toString('base64url');
      return [
        [SIGNATURE_KEY, signature],
        [SIGNED_AT_KEY, at],
        [NONCE_KEY, nonce],
      ];
    },
  };
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - PUBLIC_KEY_BYTES);
}

/** Public key lines of a file's text: one base64url raw Ed25519 key per line; throws naming the first bad line. */
export function parsePublicKeyLines(text: string): string[] {
  const lines = credentialLines(text);
  lines.forEach((line, i) => {
    if (!/^[A-Za-z0-9_-]{43}$/.test(line) || Buffer.from(line, 'base64url').length !== PUBLIC_KEY_BYTES)
      throw new Error(`line ${i + 1} is not an Ed25519 public key (43 base64url characters)`);
  });
  return lines;
}

function publicKeyObject(line: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(line, 'base64url')]), format: 'der', type: 'spki' });
}

/**
 * What a sidecar accepts on Control when the operator signs: calls signed by one of its public
 * keys, addressed to this sidecar, recent, and not seen before. Keys are replaced in place on
 * rotation (the file is re-read).
 */
export class ControlVerifier {
  private keys: readonly KeyObject[];
  private texts: readonly string[];
  /** nonce → when it may be forgotten (ms); insertion order is arrival order. */
  private readonly nonces = new Map<string, number>();

  /** @param publicKeys at least one (see {@link parsePublicKeyLines}). */
  constructor(
    publicKeys: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    if (publicKeys.length === 0) throw new Error('a Control public key is needed');
    this.texts = [...publicKeys];
    this.keys = publicKeys.map(publicKeyObject);
  }

  /** How many keys are accepted. */
  get acceptedCount(): number {
    return this.texts.length;
  }

  /** Takes `lines` (public keys, non-empty) in place of the current ones; true if they differ. */
  replace(lines: readonly string[]): boolean {
    if (lines.length === 0) throw new Error('a Control public key is needed');
    if (lines.length === this.texts.length && lines.every((t, i) => t === this.texts[i])) return false;
    this.texts = [...lines];
    this.keys = lines.map(publicKeyObject);
    return true;
  }

  /** Checks a call of `method` addressed to `audience` (this sidecar's own address). */
  check(metadata: grpc.Metadata, method: string, audience: string): AuthResult {
    const one = (key: string): string | undefined => {
      const v = metadata.get(key);
      return v.length === 1 && typeof v[0] === 'string' ? v[0] : undefined;
    };
    const signature = one(SIGNATURE_KEY);
    const at = one(SIGNED_AT_KEY);
    const nonce = one(NONCE_KEY);
    if (signature === undefined || at === undefined || nonce === undefined)
      return { ok: false, reason: `Control calls must be signed by the operator (metadata ${SIGNATURE_KEY}, ${SIGNED_AT_KEY}, ${NONCE_KEY})` };
    const fencing = metadata.get(FENCING_METADATA_KEY);
    const fencingText = fencing.length === 1 && typeof fencing[0] === 'string' ? fencing[0] : '';
    const now = this.now();
    const atMs = /^\d{1,15}$/.test(at) ? Number(at) : NaN;
    if (!(atMs >= now - MAX_SIGNATURE_AGE_MS && atMs <= now + MAX_SIGNATURE_SKEW_MS))
      return {
        ok: false,
        reason: `signed call is stale or from the future (${SIGNED_AT_KEY} must be within ${MAX_SIGNATURE_AGE_MS} ms of this sidecar's clock)`,
      };
    if (nonce.length > 64) return { ok: false, reason: `${NONCE_KEY} is longer than 64 characters` };
    const text = signedCallText(method, audience, fencingText, at, nonce);
    const sig = Buffer.from(signature, 'base64url');
    if (!this.keys.some((k) => verify(null, text, k, sig)))
      return { ok: false, reason: 'invalid Control signature (not signed by the operator for this resource and this member)' };
    this.forgetExpired(now);
    if (this.nonces.has(nonce)) return { ok: false, reason: 'replayed Control call (nonce already seen)' };
    this.nonces.set(nonce, atMs + MAX_SIGNATURE_AGE_MS);
    if (this.nonces.size > MAX_REMEMBERED_NONCES) this.nonces.delete(this.nonces.keys().next().value as string);
    return { ok: true };
  }

  private forgetExpired(now: number): void {
    for (const [nonce, until] of this.nonces) {
      if (until > now) break;
      this.nonces.delete(nonce);
    }
  }
}
