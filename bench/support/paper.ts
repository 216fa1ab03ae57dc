/**
 * The published numbers the benchmark prints next to ours (from `notes/papers.md`: HyParView, DSN
 * 2007, and Epidemic Broadcast Trees, SRDS 2007, both PeerSim at 10,000 nodes; read from plots,
 * about ±0.1 of an axis unit). FullMesh and ClientServer have no paper: their column shows what the
 * design guarantees.
 */
import type { OverlayKind } from '../../src/overlays/types.js';

/** Reference values for one overlay; absent fields were not published. */
export interface PaperNumbers {
  readonly source: string;
  readonly reliability?: number;
  readonly rmr?: number;
  readonly rmrSeries?: readonly number[];
  readonly ldh?: number;
  /** Connections per member (active view, or the design's formula). */
  readonly connections?: string;
  /** First broadcast's reliability right after X% crash, by X. */
  readonly firstAfterFailure?: Readonly<Record<number, number>>;
  /** Broadcasts until reliability is back to 1, by X. */
  readonly toFull?: Readonly<Record<number, string>>;
}

/** Published (or by-design) numbers per overlay. */
export const PAPER: Readonly<Record<OverlayKind, PaperNumbers>> = {
  FullMesh: {
    source: 'by design',
    reliability: 1,
    rmr: 0,
    ldh: 1,
    connections: 'N-1',
    firstAfterFailure: { 20: 1, 50: 1, 80: 1 },
    toFull: { 20: '1', 50: '1', 80: '1' },
  },
  ClientServer: { source: 'by design', reliability: 1, rmr: 0, ldh: 3, connections: 'S per client' },
  HyParView: {
    source: 'HyParView DSN07 (flooding over the active view)',
    reliability: 1,
    rmr: 3,
    ldh: 8.9,
    connections: '5 (99.8% full)',
    // 20 and 50: "eager" column of the Plumtree paper (flooding on HyParView); 80: HyParView paper, message by message.
    firstAfterFailure: { 20: 0.9998, 50: 0.9495, 80: 0.016 },
    toFull: { 20: '1-2', 50: '1-2', 80: '~6' },
  },
  PubSub: {
    source: 'Plumtree SRDS07 (many senders: LDH 59, optimised 17)',
    reliability: 1,
    rmr: 0,
    rmrSeries: [2.03, 0.89, 0.04, 0.02, 0.01, 0],
    ldh: 17,
    connections: '5',
    firstAfterFailure: { 20: 1, 50: 0.9531 },
    toFull: { 20: '1', 50: '1-2', 80: '2-3' },
  },
};
