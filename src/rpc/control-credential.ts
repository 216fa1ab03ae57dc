/**
 * The Control credential, kept apart from the members' Peer token (docs/security.md).
 *
 * The operator drives each ClusterTopology's sidecars with a **per-resource Control token** that it
 * derives from its own key: `base64url(HMAC-SHA256(key, "topology.foundation.dev/control\0" + uid))`,
 * so it needs to store nothing per resource and a new resource (new uid) gets a new token. The
 * sidecars never hold that token: the operator writes only its **SHA-256 digest** (hex, one per
 * line) into the resource's credentials Secret, which the member pods mount. A sidecar hashes the
 * token a Control call presents and compares digests in constant time. So what a member pod can
 * read (its Peer token, the digest) opens no Control call on its peers, and nothing one resource's
 * members hold opens anything on another resource's sidecars.
 *
 * Rotation: the operator's key file lists keys one per line; the first derives the token the
 * operator sends and every line's digest is written, the same three edits as the Peer token
 * (src/rpc/cluster-token.ts): add the new key second, move it first, drop the old one.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Length of a digest line: SHA-256 in lowercase hex. */
export const DIGEST_HEX_LENGTH = 64;
/** Domain-separation prefix of the derivation, so the key derives nothing else by accident. */
const DERIVATION_CONTEXT = 'topology.foundation.dev/control\0';
/** Shortest operator key accepted (bytes of key text): 32 random bytes base64-encoded are 44. */
export const MIN_OPERATOR_KEY_LENGTH = 32;

/** The hex SHA-256 digest of a Control token, as the credentials Secret lists it. */
export function controlTokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The Control token of the resource with `uid`, derived from one operator key. */
export function deriveControlToken(operatorKey: string, uid: string): string {
  return createHmac('sha256', operatorKey)
    .update(DERIVATION_CONTEXT + uid, 'utf8')
    .digest('base64url');
}

/** Digest lines of a file's text: one per line, blank lines ignored; throws naming the first bad line. */
export function parseDigestLines(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  lines.forEach((line, i) => {
    if (line.length !== DIGEST_HEX_LENGTH || !/^[0-9a-f]+$/.test(line))
      throw new Error(`line ${i + 1} is not a SHA-256 digest (${DIGEST_HEX_LENGTH} lowercase hex characters)`);
  });
  return lines;
}

/** The Control tokens a sidecar accepts, known only by their digests; replaced in place on rotation. */
export class ControlVerifier {
  private digests: readonly Buffer[];
  private texts: readonly string[];

  /** @param digests at least one hex SHA-256 digest (see {@link parseDigestLines}). */
  constructor(digests: readonly string[]) {
    if (digests.length === 0) throw new Error('a Control token digest is needed');
    this.texts = [...digests];
    this.digests = digests.map((d) => Buffer.from(d, 'hex'));
  }

  /** How many tokens are accepted. */
  get acceptedCount(): number {
    return this.texts.length;
  }

  /** Whether `presented` hashes to one of the accepted digests (each compared in constant time). */
  accepts(presented: string): boolean {
    const p = createHash('sha256').update(presented, 'utf8').digest();
    let ok = false;
    for (const d of this.digests) if (timingSafeEqual(d, p)) ok = true;
    return ok;
  }

  /** Takes `lines` (digests, non-empty) in place of the current ones; true if they differ. */
  replace(lines: readonly string[]): boolean {
    if (lines.length === 0) throw new Error('a Control token digest is needed');
    if (lines.length === this.texts.length && lines.every((t, i) => t === this.texts[i])) return false;
    this.texts = [...lines];
    this.digests = lines.map((d) => Buffer.from(d, 'hex'));
    return true;
  }
}
