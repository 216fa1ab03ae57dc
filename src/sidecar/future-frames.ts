/**
 * Frames of epochs not yet prepared here. `Prepare(E)` may reach members in any order, so a peer
 * that was prepared first may already send frames of E; they are held (bounded, all epochs
 * together) and replayed when this member prepares E. Frames of epochs that are then in the past
 * are dropped, since those epochs will never be prepared here.
 */
import type { NodeId, WireMessage } from '../overlays/types.js';

/** Frames of not-yet-prepared epochs held until Prepare (all epochs together); beyond it they are dropped. */
export const DEFAULT_FUTURE_FRAME_LIMIT = 20_000;

/** One held frame: its sender and its decoded message. */
export interface HeldFrame {
  readonly from: NodeId;
  readonly message: WireMessage;
}

/** The frames held for future epochs, at most {@link DEFAULT_FUTURE_FRAME_LIMIT} in all. */
export class FutureFrames {
  private readonly future = new Map<number, HeldFrame[]>();
  private futureFrames = 0;

  /** Holds a frame of `epoch` until it is prepared; false (not held) when the limit is reached. */
  hold(epoch: number, from: NodeId, message: WireMessage): boolean {
    if (this.futureFrames >= DEFAULT_FUTURE_FRAME_LIMIT) return false;
    let list = this.future.get(epoch);
    if (list === undefined) this.future.set(epoch, (list = []));
    list.push({ from, message });
    this.futureFrames++;
    return true;
  }

  /** Hands over (and forgets) the frames held for `epoch`, now prepared, in arrival order. */
  take(epoch: number): HeldFrame[] | undefined {
    const held = this.future.get(epoch);
    if (held === undefined) return undefined;
    this.future.delete(epoch);
    this.futureFrames -= held.length;
    return held;
  }

  /** Drops the frames of epochs before `epoch`: they will never be used. */
  dropBefore(epoch: number): void {
    for (const [e, list] of this.future) {
      if (e < epoch) {
        this.future.delete(e);
        this.futureFrames -= list.length;
      }
    }
  }
}
