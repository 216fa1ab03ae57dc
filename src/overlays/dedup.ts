/**
 * Bounded memory of message ids already seen, so that each application message is delivered once.
 *
 * A set plus a ring of insertion order: when full, the oldest id is forgotten. Memory grows with
 * the ids seen, up to `capacity` ids whatever the traffic (the ring is not allocated up front, so
 * ten thousand simulated members with a large capacity cost only what they use). An id can be delivered twice only if a copy of it arrives
 * after `capacity` newer ids have been seen; size the capacity to cover the messages that can be in
 * flight at once (the default covers 65,536, e.g. 200 members × 300 messages in flight each).
 */

/** Default number of ids remembered. */
export const DEFAULT_DEDUP_CAPACITY = 65_536;

/** A bounded set of recently seen ids, evicting the oldest first. */
export class SeenIds {
  private readonly ids = new Set<string>();
  private readonly ring: string[] = [];
  private next = 0;

  constructor(readonly capacity: number = DEFAULT_DEDUP_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`SeenIds capacity must be a positive integer, got ${capacity}`);
  }

  /** True if `id` was already seen; otherwise records it and returns false. */
  checkAndAdd(id: string): boolean {
    if (this.ids.has(id)) return true;
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
    } else {
      this.ids.delete(this.ring[this.next] as string);
      this.ring[this.next] = id;
      this.next = (this.next + 1) % this.capacity;
    }
    this.ids.add(id);
    return false;
  }

  /** True if `id` is remembered. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Number of ids remembered (at most `capacity`). */
  get size(): number {
    return this.ids.size;
  }
}
