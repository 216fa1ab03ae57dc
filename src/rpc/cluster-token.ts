/**
 * The cluster token, rotatable without a restart. A token file (a Secret's value) holds one token
 * per line: the first is the one this process sends, and every line is accepted. Rotating the
 * Secret in three edits — `old⏎new`, then `new⏎old`, then `new` — lets every member accept the new
 * token before any member sends it, and stop accepting the old one only once nobody sends it, so
 * no call is refused at any step. The file is re-read periodically, as the kubelet updates a
 * mounted Secret in place.
 */
import { timingSafeEqual } from 'node:crypto';
import { readNamedFile } from './named-file.js';

/** Default re-read interval of the token file (ms): the kubelet refreshes a mounted Secret about a minute after it changes. */
export const DEFAULT_TOKEN_REFRESH_MS = 60_000;

/** The tokens in a token file's text: one per line, surrounding spaces and blank lines ignored. */
export function parseClusterTokens(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
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

/** Reads a token file (throws `cannot read <name> <file>` or `<name> <file> is empty`). */
export function readClusterTokenFile(file: string, name: string): ClusterToken {
  const tokens = parseClusterTokens(readNamedFile(file, name).toString('utf8'));
  if (tokens.length === 0) throw new Error(`${name} ${file} is empty`);
  return new ClusterToken(tokens);
}

/** What a re-read of the token file found: new tokens, or why it kept the old ones. */
export type TokenFileChange = { readonly accepted: number } | { readonly error: string };

/**
 * Re-reads `file` every `intervalMs` into `token`, calling `onChange` when its tokens change or
 * the file cannot be used (the current tokens are then kept: a Secret being rewritten must not
 * lock every member out). Returns the function that stops it.
 */
export function watchClusterTokenFile(file: string, token: ClusterToken, intervalMs: number, onChange: (change: TokenFileChange) => void): () => void {
  let lastError: string | undefined;
  const timer = setInterval(() => {
    let tokens: string[];
    try {
      tokens = parseClusterTokens(readNamedFile(file, 'token file').toString('utf8'));
    } catch (err) {
      const error = (err as Error).message;
      if (error !== lastError) onChange({ error: `${error}; keeping the current token` });
      lastError = error;
      return;
    }
    if (tokens.length === 0) {
      const error = `token file ${file} is empty; keeping the current token`;
      if (error !== lastError) onChange({ error });
      lastError = error;
      return;
    }
    lastError = undefined;
    if (token.replace(tokens)) onChange({ accepted: tokens.length });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
