/**
 * A {@link MemberCore} as a node of the discrete-event simulator (src/overlays/sim): the second
 * executor of the core's actions, beside the sidecar's. Frames carry their epoch (the sidecar's
 * links are per epoch; the simulator has one link per pair), timers come back as inputs, and
 * events for the app go to the member's {@link AppLog}, which a simulated app reads (fast, slow,
 * or not at all for a while).
 *
 * Two faults are the executor's to make, as the sidecar's transport would: a full queue (a send
 * refused at once, fed back as `sendFailed`, with probability `refuseRate`), and none other —
 * crashes, partitions, loss, delay and reordering are the simulator's.
 */
import type { NodeId, Overlay, OverlayInput, OverlayKind, OverlayOutput, OverlayViews, OverlayCounters, WireMessage } from '../../overlays/types.js';
import { newCounters } from '../../overlays/types.js';
import type { Random } from '../../overlays/random.js';
import { MemberCore, type CoreAction, type CoreInput, type CoreSendResult, type CoreTimer, type EpochStatsSink } from '../member-core.js';
import { BufferBudget } from '../buffer-budget.js';
import { AppLog } from '../app-log.js';
import type { AppEvent } from '../app-events.js';
import type { SwitchResult } from '../switch-engine.js';
import { newSession } from '../session.js';

/** A frame on the simulated network: the epoch of the link it would travel on, and the message. */
export interface EpochFrame extends WireMessage {
  readonly type: 'epoch.frame';
  readonly epoch: number;
  readonly inner: WireMessage;
}

/** Counters a simulated epoch keeps (the sidecar's also count bytes and latency). */
class SimEpochStats implements EpochStatsSink {
  messagesIn = 0;
  messagesOut = 0;
  duplicatesDropped = 0;
  delivered = 0;
  neighborLoss = 0;
  sendFailures = 0;
  readonly deliveryLatency = { add: (): void => undefined };
}

/** Byte limits of a simulated member: generous; the delivery log's are the scenario's. */
const SIM_BUDGET = new BufferBudget({ totalBytes: 1 << 30, kindBytes: { 'link-queue': 1 << 28, 'future-frames': 1 << 26, subscriber: 1 << 28 } });

/** Options of {@link CoreNode}. */
export interface CoreNodeOptions {
  readonly id: NodeId;
  readonly startedAt: number;
  /** Whether the session announces itself (a restarted member does; one of the first does not need to). */
  readonly announce: boolean;
  /** The node's seeded stream (the session nonce and the full-queue draws come from it). */
  readonly random: Random;
  /** Events the delivery log holds (a small one makes a slow app lag). */
  readonly appLogEvents: number;
  /** Probability that one overlay send is refused as by a full queue. */
  readonly refuseRate: () => number;
  /** Called with every event appended to the delivery log. */
  readonly onEvent?: (node: NodeId, cursor: number, event: AppEvent) => void;
}

/** See the file comment. */
export class CoreNode implements Overlay<EpochFrame, CoreTimer> {
  readonly core: MemberCore<SimEpochStats>;
  readonly log: AppLog;
  /** Reply of the last switch call and app send. */
  lastSwitch: SwitchResult | undefined;
  lastSend: CoreSendResult | undefined;
  refusedSends = 0;
  private readonly counts: OverlayCounters = newCounters();

  constructor(private readonly o: CoreNodeOptions) {
    const session = newSession(o.startedAt, o.random.int(0x7fffffff).toString(16));
    this.core = new MemberCore({
      self: o.id,
      session,
      startedAt: o.startedAt,
      announce: o.announce,
      budget: SIM_BUDGET,
      futurePeerBytes: 1 << 24,
      frameBytes: () => 256,
      queuedFrames: () => 0,
      newStats: () => new SimEpochStats(),
    });
    this.log = new AppLog(session, Number.MAX_SAFE_INTEGER, o.appLogEvents);
  }

  get self(): NodeId {
    return this.o.id;
  }

  /** The routed overlay's kind (FullMesh before any is). */
  get kind(): OverlayKind {
    return this.core.routed()?.kind ?? 'FullMesh';
  }

  /** Feeds a core input now (the harness's calls: switch steps, app sends) and returns the outputs. */
  call(input: CoreInput, now: number): OverlayOutput<EpochFrame, CoreTimer>[] {
    return this.execute(this.core.handle(input, now), now);
  }

  handle(input: OverlayInput<EpochFrame, CoreTimer>, now: number): OverlayOutput<EpochFrame, CoreTimer>[] {
    switch (input.kind) {
      case 'join':
      case 'broadcast':
      case 'send':
        // Epochs are formed by Prepare, and the app sends through `call`: nothing to do.
        return [];
      case 'members':
        return this.call({ kind: 'members', members: input.members }, now);
      case 'message':
        return this.call({ kind: 'message', epoch: input.message.epoch, from: input.from, message: input.message.inner }, now);
      case 'linkDown':
        return this.call({ kind: 'linkDown', epoch: undefined, peer: input.peer }, now);
      case 'sendFailed':
        return this.call({ kind: 'sendFailed', epoch: input.message.epoch, peer: input.peer, message: input.message.inner }, now);
      case 'timer':
        return this.call({ kind: 'timer', timer: input.timer }, now);
      case 'leave':
        return this.call({ kind: 'leave' }, now);
    }
  }

  views(): OverlayViews {
    return this.core.routed()?.overlay.views() ?? { active: [], passive: [] };
  }

  members(): readonly NodeId[] {
    return this.core.routed()?.overlay.members() ?? [this.o.id];
  }

  counters(): Readonly<OverlayCounters> {
    return this.counts;
  }

  /** Carries out the core's actions; refused sends (a full queue) are fed back at once, once per peer. */
  private execute(actions: readonly CoreAction[], now: number): OverlayOutput<EpochFrame, CoreTimer>[] {
    const out: OverlayOutput<EpochFrame, CoreTimer>[] = [];
    let failed: Map<string, CoreInput> | undefined;
    for (const a of actions) {
      switch (a.kind) {
        case 'send': {
          const overlaySend = !a.message.type.startsWith('member.') && a.message.type !== 'sidecar.probe-ack';
          if (overlaySend && this.o.refuseRate() > 0 && this.o.random.float() < this.o.refuseRate()) {
            this.refusedSends++;
            failed ??= new Map();
            const key = `${a.epoch}\u0000${a.to}`;
            if (!failed.has(key)) failed.set(key, { kind: 'sendFailed', epoch: a.epoch, peer: a.to, message: a.message });
            break;
          }
          out.push({ kind: 'send', to: a.to, message: { type: 'epoch.frame', epoch: a.epoch, inner: a.message } });
          break;
        }
        case 'timer':
          out.push({ kind: 'timer', afterMs: a.afterMs, timer: a.timer });
          break;
        case 'app': {
          const cursor = this.log.append(a.event, 0);
          this.o.onEvent?.(this.o.id, cursor, a.event);
          break;
        }
        case 'switched':
          this.lastSwitch = a.result;
          break;
        case 'accepted':
          this.lastSend = a.result;
          break;
        // Links are the simulator's (one per pair, shared by every epoch): connecting is implicit,
        // and an epoch's disconnect or refusal must not break the link other epochs use.
        case 'connect':
        case 'disconnect':
        case 'refuseLink':
        case 'closeEpoch':
        case 'probeAck':
        case 'epochs':
        case 'refused':
        case 'log':
          break;
      }
    }
    if (failed !== undefined) for (const next of failed.values()) out.push(...this.call(next, now));
    return out;
  }
}
