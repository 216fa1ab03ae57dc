/**
 * Protocol metrics of the papers, computed from a simulation's delivery records.
 *
 * - reliability: share of the members alive at measurement time (origin excluded) that delivered.
 * - RMR (relative message redundancy, Plumtree paper §4): m / (n − 1) − 1, where m is the number of
 *   payload messages received for one broadcast and n the members alive when it was sent. 0 means
 *   every member received exactly one copy; flooding a 5-regular graph gives about 3.
 * - LDH (last delivery hop): hops travelled by the copy that reached the last receiver.
 * - latency: virtual ms from hand-over to each delivery.
 */
import type { DeliveryRecord } from './delivery-record.js';

/** The metrics of one broadcast. */
export interface BroadcastStats {
  readonly reliability: number;
  readonly rmr: number;
  readonly ldh: number;
  /** Members (origin excluded) that were expected to deliver. */
  readonly expected: number;
  /** Of those, members that delivered. */
  readonly delivered: number;
  /** Deliveries beyond the first at one member (must be 0). */
  readonly duplicates: number;
}

/**
 * Measures one broadcast. `isAlive` tells whether a member is alive now, `aliveNow` how many are
 * (the origin included if alive).
 */
export function broadcastStats(record: DeliveryRecord, aliveNow: number, isAlive: (id: string) => boolean): BroadcastStats {
  let delivered = 0;
  for (const receiver of record.receivers) if (receiver !== record.origin && isAlive(receiver)) delivered++;
  const expected = Math.max(0, aliveNow - (isAlive(record.origin) ? 1 : 0));
  const n = record.aliveAtSend;
  const lastHops = record.hops.length === 0 ? 0 : (record.hops[record.hops.length - 1] as number);
  return {
    reliability: expected === 0 ? 1 : delivered / expected,
    rmr: n <= 1 || record.payloadReceived === 0 ? 0 : record.payloadReceived / (n - 1) - 1,
    ldh: lastHops,
    expected,
    delivered,
    duplicates: record.duplicates,
  };
}

/** Nearest-rank percentile (p in 0..100) of `values`; 0 for an empty list. Sorts a copy. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Arithmetic mean; 0 for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
