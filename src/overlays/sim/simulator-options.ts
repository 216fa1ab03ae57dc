/**
 * What a {@link Simulator} run is configured with (the network model, with documented defaults)
 * and what it counts.
 */
import type { NodeId, OverlayOutput, WireMessage } from '../types.js';
import type { LatencyModel } from './latency.js';

/** Network model and bookkeeping options; every field but `seed` has a documented default. */
export interface SimulatorOptions {
  /** Seed of the whole run. */
  readonly seed: number;
  /** One-way latency; default {@link DEFAULT_LATENCY}. */
  readonly latency?: LatencyModel;
  /** Probability that a message is silently lost, 0..1. Default 0 (streams are reliable). */
  readonly lossRate?: number;
  /** Delay before a send on a broken link reports `linkDown` to the sender. Default {@link DEFAULT_SEND_FAILURE_DETECT_MS}. */
  readonly sendFailureDetectMs?: number;
  /** Delay before an idle link to a crashed or cut-off peer reports `linkDown`. Default {@link DEFAULT_IDLE_FAILURE_DETECT_MS}; `Infinity` disables it. */
  readonly idleFailureDetectMs?: number;
  /**
   * Whether links are FIFO per direction, like a gRPC stream (default true). False lets a later
   * message overtake an earlier one on the same link, for tests of reordering.
   */
  readonly fifo?: boolean;
  /** Called for every output of every node (tests observe `neighborUp`, ...). */
  readonly observe?: (node: NodeId, output: OverlayOutput<WireMessage, unknown>, now: number) => void;
}

/** Wild guess: a connection reset or refused connect is noticed within about one short RTT. */
export const DEFAULT_SEND_FAILURE_DETECT_MS = 20;

/** Wild guess: gRPC keepalive of 5 s plus a 5 s ack timeout on an otherwise idle stream. */
export const DEFAULT_IDLE_FAILURE_DETECT_MS = 10_000;

/** Network-level counters of a run. */
export interface SimulatorStats {
  /** Events processed. */
  events: number;
  /** Messages handed to the network by overlays. */
  messagesSent: number;
  /** Messages that reached a live receiver's `handle`. */
  messagesReceived: number;
  /** Of those, payload messages (with `app` set): the numerator of RMR. */
  payloadReceived: number;
  /** Messages dropped by `lossRate`. */
  messagesLost: number;
  /** Messages dropped because the receiver had crashed or was unreachable. */
  messagesUndeliverable: number;
  /** `linkDown` inputs delivered. */
  linkDowns: number;
  /** `timer` inputs delivered. */
  timersFired: number;
}
