/**
 * Frames of epochs not yet prepared here. `Prepare(E)` may reach members in any order, so a peer
 * that was prepared first may already send frames of E; they are held and replayed when this
 * member prepares E. Frames of epochs that are then in the past are dropped, since those epochs
 * will never be prepared here.
 *
 * Bounded three ways, all checked before anything is held: only epochs within the switch
 * engine's window above the highest prepared one are held at all (the caller asks the engine:
 * far-future epochs are refused, not buffered); at most {@link DEFAULT_FUTURE_FRAME_LIMIT} frames;
 * and in bytes, at most `peerBytes` from one peer and what the shared {@link BufferBudget} grants
 * the `future-frames` kind for all. A frame over a limit is not held: the caller refuses that
 * peer's link, so the peer sees a failed link (and retries) instead of a silent loss.
 */
import type { NodeId, WireMessage } from '../overlays/types.js';
import type { BufferBudget } from './buffer-budget.js';

/** Frames of not-yet-prepared epochs held until Prepare (all epochs and peers together). */
export const DEFAULT_FUTURE_FRAME_LIMIT = 20_000;
/**
 * Default bytes held for not-yet-prepared epochs, all peers together (`--future-frame-bytes`):
 * the first second or so of a busy neighbour's traffic for an epoch prepared there first. Wild guess.
 */
export const DEFAULT_FUTURE_FRAME_BYTES = 16 << 20;
/** Share of the future-frame bytes one peer may take: a quarter, so one flooding peer leaves room for three others. */
export const FUTURE_FRAME_PEER_SHARE = 0.25;

/** One held frame: its sender, its decoded message, and the bytes it was counted as. */
export interface HeldFrame {
  readonly from: NodeId;
  readonly message: WireMessage;
  readonly bytes: number;
}

/** Outcome of {@link FutureFrames.hold}: held, or which limit refused it. */
export type HoldOutcome = 'held' | 'frame-limit' | 'peer-bytes' | 'total-bytes';

/** The frames held for future epochs; see the file comment. */
export class FutureFrames {
  private readonly future = new Map<number, HeldFrame[]>();
  private readonly bytesByPeer = new Map<NodeId, number>();
  private frames = 0;

  /** `peerBytes`: most bytes held from one peer; the total is the budget's `future-frames` limit. */
  constructor(
    private readonly budget: BufferBudget,
    private readonly peerBytes: number,
  ) {}

  /** Holds a frame of `epoch` (counted as `bytes`) until it is prepared, or says which limit refused it. */
  hold(epoch: number, from: NodeId, message: WireMessage, bytes: number): HoldOutcome {
    if (this.frames >= DEFAULT_FUTURE_FRAME_LIMIT) {
      this.budget.countRefusal('future-frames');
      return 'frame-limit';
    }
    const fromPeer = this.bytesByPeer.get(from) ?? 0;
    if (fromPeer + bytes > this.peerBytes) {
      this.budget.countRefusal('future-frames');
      return 'peer-bytes';
    }
    if (!this.budget.reserve('future-frames', bytes)) return 'total-bytes';
    let list = this.future.get(epoch);
    if (list === undefined) this.future.set(epoch, (list = []));
    list.push({ from, message, bytes });
    this.bytesByPeer.set(from, fromPeer + bytes);
    this.frames++;
    return 'held';
  }

  /** Hands over (and forgets) the frames held for `epoch`, now prepared, in arrival order. */
  take(epoch: number): HeldFrame[] | undefined {
    const held = this.future.get(epoch);
    if (held === undefined) return undefined;
    this.forget(epoch, held);
    return held;
  }

  /** Drops the frames of epochs before `epoch`: they will never be used. */
  dropBefore(epoch: number): void {
    for (const [e, list] of [...this.future]) if (e < epoch) this.forget(e, list);
  }

  /** Frames held now, all epochs. */
  count(): number {
    return this.frames;
  }

  private forget(epoch: number, list: readonly HeldFrame[]): void {
    this.future.delete(epoch);
    this.frames -= list.length;
    for (const f of list) {
      this.budget.release('future-frames', f.bytes);
      const left = (this.bytesByPeer.get(f.from) ?? 0) - f.bytes;
      if (left > 0) this.bytesByPeer.set(f.from, left);
      else this.bytesByPeer.delete(f.from);
    }
  }
}

/** The future-frame limits given `totalBytes` (`--future-frame-bytes`), for the refusal a flooding peer reads. */
export function futureFrameLimits(totalBytes: number): string {
  return `${Math.floor(totalBytes * FUTURE_FRAME_PEER_SHARE)} bytes per peer, ${totalBytes} bytes in all`;
}
