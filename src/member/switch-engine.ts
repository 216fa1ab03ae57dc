/**
 * The epoch state machine of the phased switch (make before break), without any IO.
 *
 * A sidecar runs at most two live overlays: the active one and a staged one. `prepare(E)` stages
 * E beside the active overlay, `route(E)` moves this member's own sends to E (or back to the
 * active one), `commit(E)` makes the staged E active and retires the old one, `abort(E)` retires
 * the staged E. A retired overlay is not dropped at once: it *drains* (keeps relaying what is
 * still in flight, sends nothing new of this member's) until the executor sees it quiet and calls
 * `drained(E)`. Receivers accept frames of every live or draining epoch, and the executor de-dups
 * application messages across epochs, so nothing is lost or delivered twice.
 *
 * Every call is idempotent for the same epoch, and an epoch the sidecar already moved past is
 * refused with a reason (the Control service maps it to FAILED_PRECONDITION). The engine only
 * decides; it returns effects (`create`, `drain`) for the executor to carry out.
 *
 * Epochs cannot be bricked: once an epoch is prepared nothing older is ever accepted again, so
 * a single `Prepare(2^53 - 1)` would refuse every later switch of the resource forever. Prepare
 * therefore refuses an epoch above {@link MAX_EPOCH} (INVALID_ARGUMENT) and, once this sidecar
 * prepared any epoch, one more than {@link MAX_PREPARE_JUMP} above the highest it prepared
 * (FAILED_PRECONDITION). A fresh sidecar (highest 0) accepts the resource's current epoch,
 * whatever it is, up to {@link MAX_EPOCH}. Frames follow the same idea with a narrower window:
 * only epochs up to {@link FUTURE_EPOCH_WINDOW} above the highest prepared are held for a later
 * Prepare ('future'); beyond it they are refused ('beyond').
 */

import { MAX_EPOCH_JUMP } from '../api/epoch-bound.js';

/** Epochs are positive integers; 0 means "none". */
export type Epoch = number;

/** What a live overlay is to this sidecar. */
export type EpochRole = 'active' | 'staged' | 'draining';

/** What the executor must do after a successful call. */
export type SwitchEffect = { readonly kind: 'create'; readonly epoch: Epoch } | { readonly kind: 'drain'; readonly epoch: Epoch };

/**
 * Why a call was refused: the argument is invalid whatever the state (`invalid`: INVALID_ARGUMENT),
 * or it does not fit this sidecar's state (`precondition`: FAILED_PRECONDITION).
 */
export type SwitchRefusal = 'invalid' | 'precondition';

/** Outcome of a switch call: refused with a reason, or accepted (possibly as a no-op repeat). */
export type SwitchResult =
  | { readonly ok: true; readonly changed: boolean; readonly effects: readonly SwitchEffect[] }
  | { readonly ok: false; readonly reason: string; readonly refusal: SwitchRefusal };

/**
 * Highest epoch a sidecar accepts: 2^48. Each switch attempt stages one more epoch, so a resource
 * never gets there (a million years at ten attempts a second), and even a member pushing the
 * resource's epochs up by the most the operator trusts ({@link MAX_EPOCH_JUMP} per switch) needs
 * 2^28 switches to exhaust them (and a forged Prepare, {@link MAX_PREPARE_JUMP} at a time, 2^27); while `Prepare(2^53 - 1)`, which used to brick a sidecar, is
 * refused even on a fresh one, and every epoch stays an exact integer in JavaScript and int64.
 */
export const MAX_EPOCH = 2 ** 48;
/**
 * Furthest Prepare may jump above the highest epoch this sidecar prepared: twice MAX_EPOCH_JUMP
 * (src/api/epoch-bound.ts, 2^20), the bound within which the operator trusts the epochs members
 * report. The operator may stage an epoch MAX_EPOCH_JUMP + 1 above what its status knows, and a
 * sidecar may lag that status by the switch attempts it missed (not ready, or aborted before it
 * was prepared), so its own bound is wider than the operator's: a switch the operator plans from
 * trusted epochs is never refused here, while one forged Prepare still cannot move a sidecar more
 * than 2^21 epochs (of {@link MAX_EPOCH}).
 */
export const MAX_PREPARE_JUMP = 2 * MAX_EPOCH_JUMP;

/**
 * Epochs above the highest prepared one whose frames are held until their Prepare: the next one
 * (a peer prepared first, Prepare reaches members in any order) and the one after (this member
 * missed a Prepare that was then aborted). Frames of epochs further ahead are refused, not held.
 */
export const FUTURE_EPOCH_WINDOW = 2;

/** How the executor treats a frame tagged with `epoch`. */
export type FrameDisposition =
  /** Feed it to the overlay of that epoch (active, staged or draining). */
  | 'live'
  /** Not prepared here yet (a faster member already formed it), within {@link FUTURE_EPOCH_WINDOW}: hold it until Prepare. */
  | 'future'
  /** Not prepared here, and further above the highest prepared epoch than {@link FUTURE_EPOCH_WINDOW}: refuse it. */
  | 'beyond'
  /** Retired and fully drained, or aborted: refuse it. */
  | 'stale';

/** Snapshot of the engine, for GetState and replies. */
export interface SwitchSnapshot {
  readonly active: Epoch;
  readonly staged: Epoch;
  readonly route: Epoch;
  readonly draining: readonly Epoch[];
}

/** How many retired epochs to remember for idempotent repeats of Abort. */
const REMEMBERED_ABORTS = 16;

/** The pure epoch state machine. */
export class SwitchEngine {
  private active: Epoch = 0;
  private staged: Epoch = 0;
  private route: Epoch = 0;
  /** Highest epoch ever prepared: anything at or below it that is not live is in the past. */
  private highest: Epoch = 0;
  private readonly draining = new Set<Epoch>();
  private readonly aborted: Epoch[] = [];

  /** Stages `epoch` beside the active overlay. */
  prepare(epoch: Epoch): SwitchResult {
    if (!validEpoch(epoch)) return invalid(epoch);
    if (epoch > MAX_EPOCH) return { ok: false, refusal: 'invalid', reason: `epoch ${epoch} exceeds the maximum epoch ${MAX_EPOCH}` };
    if (epoch === this.staged || epoch === this.active) return unchanged();
    if (epoch <= this.highest) return refuse(`epoch ${epoch} is older than epoch ${this.highest} this sidecar already prepared`);
    if (this.highest > 0 && epoch - this.highest > MAX_PREPARE_JUMP)
      return refuse(
        `epoch ${epoch} is ${epoch - this.highest} above epoch ${this.highest}, the highest this sidecar prepared; the limit is ${MAX_PREPARE_JUMP} above it (at most ${this.highest + MAX_PREPARE_JUMP})`,
      );
    if (this.staged !== 0) return refuse(`epoch ${this.staged} is still staged; commit or abort it before preparing epoch ${epoch}`);
    this.staged = epoch;
    this.highest = epoch;
    return { ok: true, changed: true, effects: [{ kind: 'create', epoch }] };
  }

  /** Routes this member's own sends over `epoch` (the staged one, or back to the active one). */
  routeTo(epoch: Epoch): SwitchResult {
    if (!validEpoch(epoch)) return invalid(epoch);
    if (epoch !== this.active && epoch !== this.staged) return refuse(this.describeNotLive(epoch, 'route over'));
    if (this.route === epoch) return unchanged();
    this.route = epoch;
    return { ok: true, changed: true, effects: [] };
  }

  /** Makes the staged `epoch` active; the previous active one starts draining. */
  commit(epoch: Epoch): SwitchResult {
    if (!validEpoch(epoch)) return invalid(epoch);
    if (epoch === this.active) return unchanged();
    if (epoch !== this.staged) return refuse(this.describeNotLive(epoch, 'commit'));
    const old = this.active;
    this.active = epoch;
    this.staged = 0;
    this.route = epoch;
    if (old === 0) return { ok: true, changed: true, effects: [] };
    this.draining.add(old);
    return { ok: true, changed: true, effects: [{ kind: 'drain', epoch: old }] };
  }

  /** Drops the staged `epoch` (it drains); sends routed over it go back to the active overlay. */
  abort(epoch: Epoch): SwitchResult {
    if (!validEpoch(epoch)) return invalid(epoch);
    if (this.aborted.includes(epoch)) return unchanged();
    if (epoch === this.active) return refuse(`epoch ${epoch} is active and cannot be aborted; prepare and commit a new epoch instead`);
    if (epoch !== this.staged) return refuse(this.describeNotLive(epoch, 'abort'));
    this.staged = 0;
    if (this.route === epoch) this.route = this.active;
    this.aborted.push(epoch);
    if (this.aborted.length > REMEMBERED_ABORTS) this.aborted.shift();
    this.draining.add(epoch);
    return { ok: true, changed: true, effects: [{ kind: 'drain', epoch }] };
  }

  /** The executor reports that draining `epoch` has finished and its overlay is gone. */
  drained(epoch: Epoch): void {
    this.draining.delete(epoch);
  }

  /** Epoch this member's own sends go over; 0 when none is routable yet. */
  routeEpoch(): Epoch {
    return this.route;
  }

  /** How to treat an incoming frame of `epoch`. */
  disposition(epoch: Epoch): FrameDisposition {
    if (epoch === this.active || epoch === this.staged || this.draining.has(epoch)) return epoch === 0 ? 'stale' : 'live';
    if (epoch <= this.highest) return 'stale';
    return epoch - this.highest <= FUTURE_EPOCH_WINDOW ? 'future' : 'beyond';
  }

  /** Role of a live epoch, or undefined. */
  roleOf(epoch: Epoch): EpochRole | undefined {
    if (epoch === 0) return undefined;
    if (epoch === this.active) return 'active';
    if (epoch === this.staged) return 'staged';
    return this.draining.has(epoch) ? 'draining' : undefined;
  }

  /** Current epochs. */
  snapshot(): SwitchSnapshot {
    return { active: this.active, staged: this.staged, route: this.route, draining: [...this.draining] };
  }

  private describeNotLive(epoch: Epoch, verb: string): string {
    if (this.aborted.includes(epoch)) return `cannot ${verb} epoch ${epoch}: it was aborted (active ${this.active || 'none'})`;
    if (epoch < this.active || (epoch <= this.highest && epoch !== this.staged))
      return `cannot ${verb} epoch ${epoch}: it is older than the current epoch ${this.active} (staged ${this.staged || 'none'})`;
    return `cannot ${verb} epoch ${epoch}: it has not been prepared (active ${this.active || 'none'}, staged ${this.staged || 'none'})`;
  }
}

function validEpoch(epoch: Epoch): boolean {
  return Number.isSafeInteger(epoch) && epoch > 0;
}

function invalid(epoch: Epoch): SwitchResult {
  return { ok: false, refusal: 'invalid', reason: `epoch must be a positive integer up to ${MAX_EPOCH}, got ${epoch}` };
}

function refuse(reason: string): SwitchResult {
  return { ok: false, refusal: 'precondition', reason };
}

function unchanged(): SwitchResult {
  return { ok: true, changed: false, effects: [] };
}

/** When a retired overlay may close. */
export interface DrainPolicy {
  /** Close once no application traffic (payloads, IHAVE/GRAFT ids) moved on the epoch for this long. */
  readonly quietMs: number;
  /** Close after this long whatever the traffic: a wedged peer must not keep an overlay alive. */
  readonly maxMs: number;
}

/**
 * Defaults for {@link DrainPolicy}. Quiet 1 s: longer than a flood takes on a LAN (ms) and than
 * Plumtree's lazy-push + graft round trip with its default timers (hundreds of ms), so a message
 * still in flight finishes over the old overlay. Max 15 s: wild guess, well under the operator's
 * progress deadline.
 */
export const DEFAULT_DRAIN_POLICY: DrainPolicy = { quietMs: 1000, maxMs: 15_000 };

/** Observations about one draining epoch, sampled by the executor. */
export interface DrainObservation {
  readonly startedAt: number;
  readonly lastTrafficAt: number;
  readonly queuedFrames: number;
  readonly now: number;
}

/** True when the draining overlay may close: its queues are empty and it has been quiet long enough, or it hit the cap. */
export function drainComplete(o: DrainObservation, policy: DrainPolicy = DEFAULT_DRAIN_POLICY): boolean {
  if (o.now - o.startedAt >= policy.maxMs) return true;
  if (o.queuedFrames > 0) return false;
  return o.now - Math.max(o.startedAt, o.lastTrafficAt) >= policy.quietMs;
}
