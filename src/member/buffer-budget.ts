/**
 * The sidecar's memory budget for what it buffers on behalf of others, in bytes: frames queued on
 * Peer links, frames held for epochs not yet prepared, deliveries waiting for a slow app
 * subscriber. Each kind has its own limit and all together share a total one, so one flooding
 * peer or one stuck subscriber cannot take the memory the others need, and the sum stays under a
 * figure the container limit can hold (the formula is in src/sidecar/README.md).
 *
 * The owners of the buffers keep their own finer limits (per link, per peer, per subscriber) and
 * ask here before buffering: {@link BufferBudget.reserve} says no rather than letting memory
 * grow, and the owner refuses the input (a full link queue is a send failure, a full future buffer
 * refuses that peer's link, a full subscriber is cut off). Pure bookkeeping: no IO, no clock.
 */

/** What is buffered. The values are Prometheus label values: bounded. */
export const BUFFER_KINDS = ['link-queue', 'future-frames', 'subscriber'] as const;

/** One of {@link BUFFER_KINDS}. */
export type BufferKind = (typeof BUFFER_KINDS)[number];

/** Byte limits of a {@link BufferBudget}. */
export interface BufferLimits {
  /** All kinds together. */
  readonly totalBytes: number;
  /** Each kind on its own. */
  readonly kindBytes: Readonly<Record<BufferKind, number>>;
}

/** Bytes reserved per buffer kind, under per-kind and total limits. */
export class BufferBudget {
  private readonly used: Record<BufferKind, number> = { 'link-queue': 0, 'future-frames': 0, subscriber: 0 };
  private usedTotal = 0;
  private readonly refusedCounts: Record<BufferKind, number> = { 'link-queue': 0, 'future-frames': 0, subscriber: 0 };

  constructor(readonly limits: BufferLimits) {}

  /** Reserves `bytes` of `kind`; false (nothing reserved, the refusal counted) when a limit would be exceeded. */
  reserve(kind: BufferKind, bytes: number): boolean {
    if (this.used[kind] + bytes > this.limits.kindBytes[kind] || this.usedTotal + bytes > this.limits.totalBytes) {
      this.refusedCounts[kind]++;
      return false;
    }
    this.used[kind] += bytes;
    this.usedTotal += bytes;
    return true;
  }

  /** Returns `bytes` of `kind` reserved earlier. */
  release(kind: BufferKind, bytes: number): void {
    const n = Math.min(bytes, this.used[kind]);
    this.used[kind] -= n;
    this.usedTotal -= n;
  }

  /** Counts a refusal that a finer limit of the owner made (per link, per peer, per subscriber). */
  countRefusal(kind: BufferKind): void {
    this.refusedCounts[kind]++;
  }

  /** Bytes of `kind` reserved now. */
  bytes(kind: BufferKind): number {
    return this.used[kind];
  }

  /** Bytes reserved now, all kinds. */
  totalBytes(): number {
    return this.usedTotal;
  }

  /** Refusals of `kind` so far. */
  refusals(kind: BufferKind): number {
    return this.refusedCounts[kind];
  }
}

/**
 * Buffers held by several owners at once, counted once: a broadcast's frame is encoded once and
 * queued on every link it goes out on (up to N - 1 in a FullMesh), so charging each link's copy
 * to the budget would refuse a 512 KiB broadcast to 200 members while it occupies 512 KiB.
 */
export class SharedBuffers {
  private readonly holders = new Map<Buffer, number>();

  constructor(
    private readonly budget: BufferBudget,
    private readonly kind: BufferKind,
  ) {}

  /** One more owner of `buf`; the first reserves its bytes. False (nothing retained) when the budget refuses. */
  retain(buf: Buffer): boolean {
    const n = this.holders.get(buf) ?? 0;
    if (n === 0 && !this.budget.reserve(this.kind, buf.length)) return false;
    this.holders.set(buf, n + 1);
    return true;
  }

  /** One owner fewer; the last releases the bytes. Releasing what was never retained does nothing. */
  release(buf: Buffer): void {
    const n = this.holders.get(buf);
    if (n === undefined) return;
    if (n > 1) {
      this.holders.set(buf, n - 1);
      return;
    }
    this.holders.delete(buf);
    this.budget.release(this.kind, buf.length);
  }

  /** Distinct buffers held now. */
  get size(): number {
    return this.holders.size;
  }
}
