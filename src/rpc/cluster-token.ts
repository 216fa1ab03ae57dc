/**
 * The cluster token, rotatable without a restart. A token file (a Secret's value) holds one token
 * per line: the first is the one this process sends, and every line is accepted. Rotating the
 * Secret in three edits — `old⏎new`, then `new⏎old`, then `new` — lets every member accept the new
 * token before any member sends it, and stop accepting the old one only once nobody sends it, so
 * no call is refused at any step. The file is re-read periodically, as the kubelet updates a
 * mounted Secret in place.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readNamedFile } from './named-file.js';

/** Default re-read interval of the token file (ms): the kubelet refreshes a mounted Secret about a minute after it changes. */
export const DEFAULT_TOKEN_REFRESH_MS = 60_000;

/** The lines of a credential file's text that hold something: surrounding spaces, CRLF and blank lines ignored. */
export function credentialLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Longest token accepted (characters): far above a generated one (43), small enough for metadata. */
export const MAX_TOKEN_LENGTH = 4096;

/**
 * The tokens in a token file's text: one per line, surrounding spaces and blank lines ignored.
 * Throws naming the line (never the token: errors are logged) when a token is not printable ASCII
 * (gRPC metadata values must be) or is longer than {@link MAX_TOKEN_LENGTH}.
 */
export function parseClusterTokens(text: string): string[] {
  const tokens = credentialLines(text);
  tokens.forEach((t, i) => {
    if (t.length > MAX_TOKEN_LENGTH) throw new Error(`token ${i + 1} is longer than ${MAX_TOKEN_LENGTH} characters`);
    if (!/^[\x21-\x7e]+$/.test(t)) throw new Error(`token ${i + 1} has characters other than printable ASCII (a gRPC metadata value cannot carry them)`);
  });
  return tokens;
}

/** The tokens a process sends and accepts; replaced in place when the file changes. */
export class ClusterToken {
  private tokens: readonly Buffer[];
  private texts: readonly string[];

  /** @param tokens at least one; the first is sent. */
  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new Error('a cluster token is needed');
    this.texts = [...tokens];
    this.tokens = tokens.map((t) => Buffer.from(t, 'utf8'));
  }

  /** The token to send. */
  get send(): string {
    return this.texts[0] as string;
  }

  /** How many tokens are accepted. */
  get acceptedCount(): number {
    return this.texts.length;
  }

  /**
   * The first 8 hex characters of the SHA-256 of the token sent: enough to tell, from metrics,
   * which token each pod sends during a rotation; 32 bits of a hash say nothing of a 256-bit token.
   */
  get sentFingerprint(): string {
    return tokenFingerprint(this.send);
  }

  /** Whether `presented` is one of the accepted tokens (each compared in constant time). */
  accepts(presented: string): boolean {
    const p = Buffer.from(presented, 'utf8');
    let ok = false;
    for (const t of this.tokens) if (t.length === p.length && timingSafeEqual(t, p)) ok = true;
    return ok;
  }

  /** Takes `tokens` (non-empty) in place of the current ones; true if they differ. */
  replace(tokens: readonly string[]): boolean {
    if (tokens.length === 0) throw new Error('a cluster token is needed');
    if (tokens.length === this.texts.length && tokens.every((t, i) => t === this.texts[i])) return false;
    this.texts = [...tokens];
    this.tokens = tokens.map((t) => Buffer.from(t, 'utf8'));
    return true;
  }
}

/** See {@link ClusterToken.sentFingerprint}. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 8);
}

/** Reads a token file (throws `cannot read <name> <file>`, `<name> <file> is empty` or `<name> <file>: token N ...`). */
export function readClusterTokenFile(file: string, name: string): ClusterToken {
  return new ClusterToken(readCredentialLines(file, name, parseClusterTokens));
}

/** The non-empty lines of a credential file as `parse` reads them; throws naming the file. */
export function readCredentialLines(file: string, name: string, parse: (text: string) => string[]): string[] {
  let lines: string[];
  try {
    lines = parse(readNamedFile(file, name).toString('utf8'));
  } catch (err) {
    const message = (err as Error).message;
    throw new Error(message.startsWith('cannot read') ? message : `${name} ${file}: ${message}`, { cause: err });
  }
  if (lines.length === 0) throw new Error(`${name} ${file} is empty`);
  return lines;
}

/** Something whose accepted lines a re-read file replaces (a {@link ClusterToken}, a Control verifier). */
export interface ReplaceableCredential {
  /** Takes `lines` in place of the current ones; true if they differ. */
  replace(lines: readonly string[]): boolean;
}

/** What a re-read of the token file found: new tokens, or why it kept the old ones. */
export type TokenFileChange = { readonly accepted: number } | { readonly error: string };

/**
 * Re-reads `file` every `intervalMs` into `token`, calling `onChange` when its tokens change or
 * the file cannot be used (the current tokens are then kept: a Secret being rewritten must not
 * lock every member out). Returns the function that stops it.
 */
export function watchClusterTokenFile(file: string, token: ClusterToken, intervalMs: number, onChange: (change: TokenFileChange) => void): () => void {
  return watchCredentialFile(file, 'token file', parseClusterTokens, token, intervalMs, onChange);
}

/** {@link watchClusterTokenFile} for any line-per-credential file: `parse` reads it, `target` takes it. */
export function watchCredentialFile(
  file: string,
  name: string,
  parse: (text: string) => string[],
  target: ReplaceableCredential,
  intervalMs: number,
  onChange: (change: TokenFileChange) => void,
): () => void {
  let lastError: string | undefined;
  const timer = setInterval(() => {
    let lines: string[];
    try {
      lines = readCredentialLines(file, name, parse);
    } catch (err) {
      const error = (err as Error).message;
      if (error !== lastError) onChange({ error: `${error}; keeping the current ones` });
      lastError = error;
      return;
    }
    lastError = undefined;
    if (target.replace(lines)) onChange({ accepted: lines.length });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
