/**
 * What happened to one application message in a simulation: who delivered it, when, over how many
 * hops, and how many payload copies the network carried for it. Benchmarks and scenario tests read
 * reliability, RMR, LDH and latency from it (see `metrics.ts`).
 */
import type { MessageId, NodeId } from '../types.js';

/** Deliveries of one message, in delivery order. */
export class DeliveryRecord {
  /** Nodes that delivered it, in delivery order. */
  readonly receivers: NodeId[] = [];
  /** Virtual time of each delivery, parallel to {@link receivers}. */
  readonly times: number[] = [];
  /** Hops of each delivery, parallel to {@link receivers}. */
  readonly hops: number[] = [];
  /** Deliveries beyond the first at the same node: must stay 0 (exactly once). */
  duplicates = 0;
  /** Payload messages carrying it that reached a live node (the m of RMR). */
  payloadReceived = 0;
  private readonly seen = new Set<NodeId>();

  constructor(
    readonly id: MessageId,
    readonly origin: NodeId,
    /** Destination of a point-to-point send; undefined for a broadcast. */
    readonly to: NodeId | undefined,
    /** Virtual time the origin handed it over. */
    readonly sentAt: number,
    /** Nodes alive when it was sent, the origin included. */
    readonly aliveAtSend: number,
  ) {}

  /** Records a delivery at `node`; a repeat counts as a duplicate. */
  add(node: NodeId, time: number, hops: number): void {
    if (this.seen.has(node)) {
      this.duplicates++;
      return;
    }
    this.seen.add(node);
    this.receivers.push(node);
    this.times.push(time);
    this.hops.push(hops);
  }

  /** Number of distinct nodes that delivered it. */
  get count(): number {
    return this.receivers.length;
  }

  /** Whether `node` delivered it. */
  has(node: NodeId): boolean {
    return this.seen.has(node);
  }
}
