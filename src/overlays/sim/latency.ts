/**
 * One-way link latency models for the simulator.
 *
 * A model is plain data (so a scenario can be printed and reproduced) and is sampled through
 * {@link sampleLatency} with the simulator's seeded network generator, never `Math.random`.
 *
 * - `constant`: every message takes `ms`. Good for exact assertions in unit tests.
 * - `uniform`: a draw in [minMs, maxMs).
 * - `lognormal`: long-tailed, `medianMs · exp(sigma · Z)` with Z standard normal, capped at `maxMs`.
 *   With sigma 1 the 99th percentile is about 10× the median, roughly the shape of RPC latency in a
 *   busy cluster.
 *
 * `perLink: true` draws once per directed link instead of per message: the draw comes from a hash of
 * (run seed, sender, receiver), so each link has a stable latency (a network with near and far
 * nodes) without storing anything per link. Per-message jitter never reorders a link: the
 * simulator keeps links FIFO, as a TCP or HTTP/2 stream is.
 */
import { mix32, type Random } from '../random.js';

/** A latency distribution; see the file header for each kind. */
export type LatencyModel =
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number; readonly perLink?: boolean }
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly sigma: number; readonly maxMs?: number; readonly perLink?: boolean };

/**
 * Default model: 1–10 ms uniform per link. Wild guess for pods in one cluster spread over a few
 * zones; low enough that protocol timers (shuffle 10 s, graft timeouts) dominate as in the papers.
 */
export const DEFAULT_LATENCY: LatencyModel = { kind: 'uniform', minMs: 1, maxMs: 10, perLink: true };

/** Checks a model's parameters; throws a RangeError naming the bad field. */
export function validateLatency(model: LatencyModel): void {
  const bad = (field: string, v: number): never => {
    throw new RangeError(`latency ${model.kind}: ${field} must be a finite number >= 0, got ${v}`);
  };
  const check = (field: string, v: number): void => {
    if (!Number.isFinite(v) || v < 0) bad(field, v);
  };
  switch (model.kind) {
    case 'constant':
      check('ms', model.ms);
      return;
    case 'uniform':
      check('minMs', model.minMs);
      check('maxMs', model.maxMs);
      if (model.maxMs < model.minMs) throw new RangeError(`latency uniform: maxMs (${model.maxMs}) < minMs (${model.minMs})`);
      return;
    case 'lognormal':
      check('medianMs', model.medianMs);
      check('sigma', model.sigma);
      if (model.maxMs !== undefined) check('maxMs', model.maxMs);
      return;
  }
}

/**
 * Draws one latency for a message from node index `from` to node index `to`. `random` is the
 * simulator's network stream; `linkSeed` is mixed with the indexes for per-link draws.
 */
export function sampleLatency(model: LatencyModel, random: Random, linkSeed: number, from: number, to: number): number {
  switch (model.kind) {
    case 'constant':
      return model.ms;
    case 'uniform': {
      const u = model.perLink === true ? linkUniform(linkSeed, from, to, 0) : random.float();
      return model.minMs + u * (model.maxMs - model.minMs);
    }
    case 'lognormal': {
      const perLink = model.perLink === true;
      const u1 = perLink ? linkUniform(linkSeed, from, to, 1) : random.float();
      const u2 = perLink ? linkUniform(linkSeed, from, to, 2) : random.float();
      // Box-Muller; 1 - u1 is in (0, 1], so the log is finite.
      const z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
      const ms = model.medianMs * Math.exp(model.sigma * z);
      return model.maxMs === undefined ? ms : Math.min(ms, model.maxMs);
    }
  }
}

/** A uniform [0, 1) value fixed for (seed, from, to, salt): a hash, so nothing is stored per link. */
function linkUniform(seed: number, from: number, to: number, salt: number): number {
  const h = mix32(mix32(mix32(seed ^ from) ^ Math.imul(to, 0x9e3779b1)) ^ salt);
  return h / 4294967296;
}
