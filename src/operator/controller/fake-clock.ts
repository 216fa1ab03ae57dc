/**
 * A manually advanced clock for deterministic tests of anything that takes a {@link Clock}.
 *
 * Time moves only when the test calls `advance` (or `step`); due timers then fire in order of
 * their due time, ties in the order they were set (like a discrete-event simulator). Lives in
 * `src/` so other modules' unit tests can use it too.
 */
import { sleepWith, type Clock, type Timer } from './clock.js';

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A {@link Clock} whose time is set by the test. */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  /** Starts at `startMs` (defaults to 1,000,000 so "0" is never a valid timestamp by accident). */
  constructor(startMs = 1_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Number of timers that have not fired or been cancelled. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Due time of the earliest pending timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    const next = this.sorted()[0];
    return next?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer due up to the new time in order; a timer set by
   * a firing callback fires in the same call if it is due.
   */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.sorted()[0];
      if (next === undefined || next.at > target) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.current = target;
  }

  /** Jumps to the earliest pending timer and fires it (and any timers due at the same time). */
  step(): boolean {
    const at = this.nextTimerAt();
    if (at === undefined) return false;
    this.advance(at - this.current);
    return true;
  }

  private sorted(): PendingTimer[] {
    this.timers = this.timers.filter((t) => !t.cancelled);
    return [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}
