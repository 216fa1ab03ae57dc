/**
 * Seeded pseudo-random numbers for the overlays and the simulator.
 *
 * Overlays never draw from the global random source: one seed has to reproduce a whole run, byte
 * for byte.
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counter, from PractRand), seeded through
 * splitmix32 so that nearby seeds give unrelated streams. It is fast, passes PractRand to 2^40+ bytes
 * and its state is four 32-bit words, cheap enough for one generator per simulated node.
 */

/** A source of uniform random numbers; injected into every overlay. */
export interface Random {
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [0, n); n must be a positive integer. */
  int(n: number): number;
}

/** Mixes a 32-bit value (splitmix32 finaliser); used to derive seeds. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hashes a string to 32 bits (FNV-1a); used to derive per-node seeds from a run seed and a node id. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** sfc32 generator implementing {@link Random}. */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x1234567);
    this.c = mix32(this.b ^ 0x89abcdef);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next32();
  }

  /** Next raw 32-bit unsigned value. */
  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  float(): number {
    return this.next32() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A generator for a sub-stream (e.g. one per node), independent of this one's future draws. */
  fork(label: string): SeededRandom {
    return new SeededRandom(mix32(this.next32() ^ hash32(label)));
  }
}

/** Picks one element uniformly; undefined for an empty list. */
export function pickOne<T>(random: Random, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[random.int(items.length)];
}

/**
 * Picks up to `k` distinct elements uniformly (partial Fisher-Yates on a copy), in draw order.
 * O(n) copy; callers pass views of bounded size.
 */
export function sample<T>(random: Random, items: readonly T[], k: number): T[] {
  const copy = items.slice();
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + random.int(copy.length - i);
    const tmp = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = tmp;
  }
  copy.length = n;
  return copy;
}
