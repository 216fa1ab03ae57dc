/**
 * Bounded memory of message ids already seen, so that each application message is delivered once.
 *
 * A set plus a ring of insertion order: when full, the oldest id is forgotten. Memory is
 * `capacity` ids whatever the traffic. An id can be delivered twice only if a copy of it arrives
 * after `capacity` newer ids have been seen; size the capacity to cover the messages that can be in
 * flight at once (the default covers 65,536, e.g. 200 members × 300 messages in flight each).
 */

/** Default number of ids remembered. */
export const DEFAULT_DEDUP_CAPACITY = 65_536;

/** A bounded set of recently seen ids, evicting the oldest first. */
export class SeenIds {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number = DEFAULT_DEDUP_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`SeenIds capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<string | undefined>(capacity);
  }

  /** True if `id` was already seen; otherwise records it and returns false. */
  checkAndAdd(id: string): boolean {
    if (this.ids.has(id)) return true;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.ids.delete(evicted);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
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
