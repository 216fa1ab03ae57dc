/**
 * One member's epochs and deliveries as a pure state machine: `handle(input, now) → actions`.
 *
 * This is everything that decides what a member does with its overlays and its app's messages —
 * the switch engine (prepare/route/commit/abort), early frames of epochs not yet prepared, drains,
 * late frames of retired epochs, and the delivery contract of docs/delivery.md (sequence numbers,
 * de-dup by channel floors, repair, marks, GAPs) — with no socket, clock, timer or randomness of
 * its own. The sidecar (src/sidecar/sidecar-node.ts) executes its actions over gRPC; the fault
 * simulator (src/member/sim) executes the same actions over the discrete-event network of
 * src/overlays/sim, at a thousand members, with crashes, restarts, partitions and loss.
 *
 * Inputs are Control calls, the app's sends, Peer messages (tagged with the epoch of their link),
 * link failures, refused sends and timers. Timers are values, never cancelled: a stale one is
 * ignored. Actions are sends on an epoch's links, link management, timers, events for the app's
 * delivery log (src/member/app-log.ts), and replies to the call that was handled.
 *
 * Nothing is lost across a switch because (1) while an epoch is staged, the app's messages go over
 * both live overlays; (2) a retired overlay drains until quiet before it closes, and frames still
 * arriving for it afterwards are delivered and carried on over the routed overlay; (3) a broadcast
 * that reaches a draining overlay is re-broadcast over the routed one. Whatever the overlays still
 * lose (a full queue, a broken link, a crash) the channel seqs reveal and repair recovers, or the
 * app is told with a GAP.
 */
import { createOverlay, SeededRandom, hash32, type AnyOverlay, type OverlayMessage, type OverlayTimer } from '../overlays/index.js';
import type { AppMessage, NodeId, OverlayInput, WireMessage } from '../overlays/types.js';
import { SwitchEngine, drainComplete, DEFAULT_DRAIN_POLICY, type DrainPolicy, type EpochRole, type SwitchResult } from './switch-engine.js';
import { FutureFrames, futureFrameLimits } from './future-frames.js';
import { OriginLog, DEFAULT_RETAIN_BYTES, MARK_DELAYS_MS } from './origin-log.js';
import { DeliveryLedger, DEFAULT_LEDGER_CONFIG, type LedgerOutput } from './delivery-ledger.js';
import { decodeMember, encodeMember, isMemberType, markMessage, MARK_PREFIX, type MemberMessage } from './member-wire.js';
import { defaultContacts } from './bootstrap-contacts.js';
import type { SessionId } from './session.js';
import {
  DRAIN_CHECK_INTERVAL_MS,
  LEDGER_TICK_MS,
  PROBE_ACK_TYPE,
  PROBE_PREFIX,
  type AppRequest,
  type CoreAction,
  type CoreEpoch,
  type CoreInput,
  type CoreTimer,
  type EpochSpec,
  type EpochStatsSink,
  type MemberCoreOptions,
} from './core-api.js';

export * from './core-api.js';

/** See the file comment. */
export class MemberCore<S extends EpochStatsSink = EpochStatsSink> {
  readonly engine = new SwitchEngine();
  private readonly runtimes = new Map<number, CoreEpoch<S>>();
  private readonly future: FutureFrames;
  readonly origin: OriginLog;
  readonly ledger: DeliveryLedger;
  private readonly drainPolicy: DrainPolicy;
  private members: readonly NodeId[] = [];
  private out: CoreAction[] = [];
  private now = 0;
  private drainArmed = false;
  private ledgerArmed = false;
  private marksArmed = false;
  private markNonce = 0;
  appDelivered = 0;
  appDuplicates = 0;

  constructor(private readonly o: MemberCoreOptions<S>) {
    this.future = new FutureFrames(o.budget, o.futurePeerBytes);
    this.origin = new OriginLog(o.self, o.session, o.startedAt, o.announce ?? true, o.retainBytes ?? DEFAULT_RETAIN_BYTES);
    this.ledger = new DeliveryLedger(o.self, o.startedAt, o.ledger ?? DEFAULT_LEDGER_CONFIG);
    this.drainPolicy = o.drainPolicy ?? DEFAULT_DRAIN_POLICY;
  }

  get self(): NodeId {
    return this.o.self;
  }

  get session(): SessionId {
    return this.o.session;
  }

  /** Feeds one input at `now` and returns what to do. */
  handle(input: CoreInput, now: number): CoreAction[] {
    this.now = now;
    this.out = [];
    switch (input.kind) {
      case 'prepare':
        this.prepare(input.spec);
        break;
      case 'route':
        this.switched('route', input.epoch, this.engine.routeTo(input.epoch));
        break;
      case 'commit':
      case 'abort':
        this.switched(input.kind, input.epoch, this.applyDrains(input.kind === 'commit' ? this.engine.commit(input.epoch) : this.engine.abort(input.epoch)));
        break;
      case 'members':
        this.setMembers(input.members);
        break;
      case 'refresh':
        this.refresh();
        break;
      case 'message':
        this.onMessage(input.epoch, input.from, input.message);
        break;
      case 'linkDown':
        for (const rt of this.runtimes.values())
          if (input.epoch === undefined || rt.epoch === input.epoch) this.run(rt, { kind: 'linkDown', peer: input.peer });
        break;
      case 'sendFailed': {
        const rt = this.runtimes.get(input.epoch);
        if (rt !== undefined) {
          rt.stats.sendFailures++;
          this.run(rt, { kind: 'sendFailed', peer: input.peer, message: input.message as OverlayMessage });
        }
        break;
      }
      case 'timer':
        this.onTimer(input.timer);
        break;
      case 'appSend':
        this.appSend(input.to, input.payload, input.topic, input.request);
        break;
      case 'reply':
        this.memberSend(input.to, { kind: 'reply', reply: input.reply });
        break;
      case 'probe':
        this.probe(input.epoch, input.ids);
        break;
      case 'leave':
        for (const rt of this.runtimes.values()) if (rt.drainStartedAt === undefined) this.run(rt, { kind: 'leave' });
        break;
    }
    return this.out;
  }

  // ---- views for the executor ----------------------------------------------------------------

  /** The runtime of `epoch`, if live here. */
  epoch(epoch: number): CoreEpoch<S> | undefined {
    return this.runtimes.get(epoch);
  }

  /** Live runtimes with their roles. */
  live(): { rt: CoreEpoch<S>; role: EpochRole }[] {
    const out = [];
    for (const rt of this.runtimes.values()) {
      const role = this.engine.roleOf(rt.epoch);
      if (role !== undefined) out.push({ rt, role });
    }
    return out;
  }

  /** The overlays of live epochs that do not drain. */
  *liveOverlays(): Iterable<AnyOverlay> {
    for (const rt of this.runtimes.values()) if (rt.drainStartedAt === undefined) yield rt.overlay;
  }

  /** The routed runtime, if any. */
  routed(): CoreEpoch<S> | undefined {
    return this.runtimes.get(this.engine.routeEpoch());
  }

  // ---- switch ------------------------------------------------------------------------------

  private prepare(spec: EpochSpec): void {
    let overlay: AnyOverlay;
    try {
      const random = new SeededRandom((spec.seed ^ hash32(this.o.self)) >>> 0);
      overlay = createOverlay(spec.kind, { self: this.o.self, random: random.fork('overlay'), ...spec.params });
    } catch (err) {
      this.switched('prepare', spec.epoch, { ok: false, refusal: 'invalid', reason: `the overlay refuses its parameters: ${(err as Error).message}` });
      return;
    }
    const result = this.engine.prepare(spec.epoch);
    // The reply goes first: the executor records the new membership before the overlay's first sends.
    this.switched('prepare', spec.epoch, result);
    if (!result.ok || !result.changed) return;
    const rt: CoreEpoch<S> = {
      epoch: spec.epoch,
      kind: spec.kind,
      overlay,
      stats: this.o.newStats(),
      drainStartedAt: undefined,
      lastTrafficAt: 0,
      closed: false,
    };
    this.runtimes.set(spec.epoch, rt);
    if (spec.members.length > 0) {
      const gaps: LedgerOutput[] = [];
      this.ledger.members(spec.members, this.now, gaps);
      this.ledgerOutputs(gaps);
    }
    const contacts = spec.contacts.length > 0 ? spec.contacts.filter((m) => m !== this.o.self) : defaultContacts(this.o.self, spec.members);
    this.run(rt, { kind: 'join', contacts, members: spec.members });
    if (spec.members.length > 0) this.run(rt, { kind: 'members', members: spec.members });
    for (const f of this.future.take(spec.epoch) ?? []) this.onMessage(spec.epoch, f.from, f.message);
    // Frames for epochs now in the past will never be used.
    this.future.dropBefore(spec.epoch);
    this.out.push({ kind: 'epochs' });
    // The session's hello (origin-log.ts) goes out once an overlay can carry it.
    this.arm('marks', MARK_DELAYS_MS[0]);
    this.log('info', 'overlay prepared', { epoch: spec.epoch, topology: spec.kind, members: spec.members.length, contacts: contacts.length });
  }

  private switched(call: 'prepare' | 'route' | 'commit' | 'abort', epoch: number, result: SwitchResult): void {
    this.out.push({ kind: 'switched', call, epoch, result });
  }

  private applyDrains(result: SwitchResult): SwitchResult {
    if (!result.ok) return result;
    for (const effect of result.effects) {
      if (effect.kind !== 'drain') continue;
      const rt = this.runtimes.get(effect.epoch);
      if (rt === undefined) {
        this.engine.drained(effect.epoch);
        continue;
      }
      rt.drainStartedAt = this.now;
      this.arm('drain', DRAIN_CHECK_INTERVAL_MS);
      this.log('info', 'overlay draining', { epoch: effect.epoch, topology: rt.kind });
    }
    return result;
  }

  private checkDrains(): void {
    let draining = false;
    for (const rt of [...this.runtimes.values()]) {
      if (rt.drainStartedAt === undefined) continue;
      const done = drainComplete(
        { startedAt: rt.drainStartedAt, lastTrafficAt: rt.lastTrafficAt, queuedFrames: this.o.queuedFrames(rt.epoch), now: this.now },
        this.drainPolicy,
      );
      if (!done) {
        draining = true;
        continue;
      }
      rt.closed = true;
      this.runtimes.delete(rt.epoch);
      this.engine.drained(rt.epoch);
      this.out.push({ kind: 'closeEpoch', epoch: rt.epoch }, { kind: 'epochs' });
      this.log('info', 'overlay closed', { epoch: rt.epoch, topology: rt.kind, drainMs: this.now - rt.drainStartedAt });
    }
    if (draining) this.arm('drain', DRAIN_CHECK_INTERVAL_MS);
  }

  // ---- membership ----------------------------------------------------------------------------

  private setMembers(members: readonly NodeId[]): void {
    this.members = members;
    const gaps: LedgerOutput[] = [];
    this.ledger.members(members, this.now, gaps);
    this.ledgerOutputs(gaps);
    for (const rt of this.runtimes.values()) if (rt.drainStartedAt === undefined) this.run(rt, { kind: 'members', members });
  }

  private refresh(): void {
    if (this.members.length === 0) return;
    for (const rt of this.runtimes.values()) {
      if (rt.drainStartedAt !== undefined) continue;
      // Gossip overlays use the list only as contacts: offered again while isolated (say, the
      // bootstrap contact died), so they rejoin instead of waiting for their own repair.
      const driven = rt.kind === 'FullMesh' || rt.kind === 'ClientServer';
      if (driven || rt.overlay.views().active.length === 0) this.run(rt, { kind: 'members', members: this.members });
    }
  }

  // ---- the app's sends ---------------------------------------------------------------------

  private appSend(to: NodeId | undefined, payload: Uint8Array, topic: string | undefined, request: AppRequest | undefined): void {
    const rt = this.routed();
    if (rt === undefined) {
      this.out.push({ kind: 'accepted', result: { ok: false, reason: 'no overlay is routed yet on this member (waiting for the operator)' } });
      return;
    }
    const message = this.origin.next(to, payload, this.now, topic, request);
    this.overBoth(rt, to === undefined ? { kind: 'broadcast', message } : { kind: 'send', message });
    this.arm('marks', MARK_DELAYS_MS[0]);
    this.out.push({ kind: 'accepted', result: { ok: true, id: message.id, epoch: rt.epoch, session: this.o.session, seq: message.seq ?? 0 } });
  }

  /**
   * Feeds `input` to the routed overlay and, during a switch (an epoch staged beside the active
   * one), to the other live overlay too: the message is delivered unless both lose it, whichever
   * overlay the receivers close first, and the receivers' ledger makes the second copy free.
   */
  private overBoth(rt: CoreEpoch<S>, input: OverlayInput<OverlayMessage, OverlayTimer>): void {
    this.run(rt, input);
    const { active, staged } = this.engine.snapshot();
    const other = staged === 0 ? undefined : this.runtimes.get(rt.epoch === active ? staged : active);
    if (other !== undefined && other !== rt && other.drainStartedAt === undefined) this.run(other, input);
  }

  private sendMarks(): void {
    const { due, nextAt } = this.origin.dueMarks(this.now);
    const rt = this.routed();
    if (rt !== undefined) {
      for (const d of due) {
        const mark = markMessage(this.o.self, this.o.session, d.kind, d.to, d.seq, d.lastSentAt, ++this.markNonce, this.now);
        if (d.to === undefined) this.overBoth(rt, { kind: 'broadcast', message: mark });
        else this.memberSend(d.to, { kind: 'mark', app: mark });
      }
    }
    if (nextAt !== undefined) this.arm('marks', Math.max(0, nextAt - this.now));
  }

  private probe(epoch: number, ids: readonly string[]): void {
    const rt = this.runtimes.get(epoch);
    if (rt === undefined || rt.drainStartedAt !== undefined) return;
    for (const id of ids) this.run(rt, { kind: 'broadcast', message: { id, origin: this.o.self, payload: new Uint8Array(0), sentAt: this.now } });
  }

  // ---- frames from peers -------------------------------------------------------------------

  private onMessage(epoch: number, from: NodeId, message: WireMessage): void {
    if (isMemberType(message.type)) {
      const m = decodeMember(message);
      if (m === undefined) this.out.push({ kind: 'refused', reason: 'bad-message' });
      else this.onMember(from, m);
      return;
    }
    if (message.type === PROBE_ACK_TYPE) {
      this.out.push({ kind: 'probeAck', from, message });
      return;
    }
    const rt = this.runtimes.get(epoch);
    if (rt === undefined) {
      const disposition = this.engine.disposition(epoch);
      if (disposition === 'beyond') {
        this.out.push({ kind: 'refused', reason: 'far-future-epoch' });
        this.out.push({
          kind: 'refuseLink',
          epoch,
          peer: from,
          code: 'precondition',
          reason: `epoch ${epoch} is too far above the highest epoch prepared on ${this.o.self}`,
        });
      } else if (disposition !== 'future') this.onLateFrame(epoch, message);
      else {
        const held = this.future.hold(epoch, from, message, this.o.frameBytes(message));
        // Not buffered: that peer's link is refused, so it sees a failure (and retries) rather than a silent loss.
        if (held !== 'held') {
          this.out.push({ kind: 'refused', reason: 'future-overflow' });
          const limits = futureFrameLimits(this.o.budget.limits.kindBytes['future-frames']);
          this.out.push({
            kind: 'refuseLink',
            epoch,
            peer: from,
            code: 'exhausted',
            reason: `${this.o.self} holds no more frames for epoch ${epoch}, not prepared here yet (${held}: limits ${limits})`,
          });
        }
      }
      return;
    }
    rt.stats.messagesIn++;
    if (carriesAppTraffic(message)) rt.lastTrafficAt = this.now;
    this.run(rt, { kind: 'message', from, message: message as OverlayMessage });
  }

  /**
   * A frame of an epoch whose overlay already closed here, still arriving on a link the peer is
   * flushing before it closes (the peer may have been slower to drain). Its application message
   * is not lost: delivered if it is for this member, and carried on over the routed overlay.
   */
  private onLateFrame(epoch: number, message: WireMessage): void {
    const app = message.app;
    if (app === undefined || app.id.startsWith(PROBE_PREFIX)) return;
    const routed = this.routed();
    if (app.to === undefined || app.to === this.o.self) {
      const delivered = this.toApp(app, epoch, (message.hops ?? 0) + 1, undefined);
      if (delivered && app.to === undefined && routed !== undefined) this.run(routed, { kind: 'broadcast', message: app });
      return;
    }
    // Point-to-point for someone else, caught mid-relay: forward it over the routed overlay.
    if (routed !== undefined) this.run(routed, { kind: 'send', message: app });
  }

  /** Repair requests and answers, and point-to-point marks (member-wire.ts). */
  private onMember(from: NodeId, m: MemberMessage): void {
    const out: LedgerOutput[] = [];
    switch (m.kind) {
      case 'nack': {
        if (m.session !== this.o.session) {
          this.memberSend(from, { kind: 'gone', session: m.session, direct: m.direct, seqs: m.seqs });
          break;
        }
        const answer = this.origin.repair(m.direct ? 'd' : 'b', m.direct ? from : undefined, m.seqs, this.now);
        for (const app of answer.found) this.memberSend(from, { kind: 'repair', app });
        if (answer.gone.length > 0) this.memberSend(from, { kind: 'gone', session: m.session, direct: m.direct, seqs: answer.gone });
        break;
      }
      case 'since': {
        if (m.session !== this.o.session) {
          this.memberSend(from, { kind: 'base', session: m.session, direct: m.direct, below: m.below, first: 1 });
          break;
        }
        const answer = this.origin.since(m.direct ? 'd' : 'b', m.direct ? from : undefined, m.since, m.below, this.now);
        for (const app of answer.found) this.memberSend(from, { kind: 'repair', app });
        if (answer.gone.length > 0) this.memberSend(from, { kind: 'gone', session: m.session, direct: m.direct, seqs: answer.gone });
        this.memberSend(from, { kind: 'base', session: m.session, direct: m.direct, below: m.below, first: answer.first });
        break;
      }
      case 'repair':
        if (m.app.origin === from && (m.app.to === undefined || m.app.to === this.o.self)) this.toApp(m.app, this.engine.routeEpoch(), 1, undefined);
        break;
      case 'gone':
        this.ledger.gone(from, m.session, m.direct, m.seqs, this.now, out);
        break;
      case 'base':
        this.ledger.base(from, m.session, m.direct, m.below, m.first, this.now, out);
        break;
      case 'mark':
        if (m.app.origin === from && m.app.to === this.o.self)
          this.ledger.mark(from, m.app.session ?? '', true, m.app.seq ?? 0, m.app.prevSentAt ?? 0, this.now, out);
        break;
      case 'reply':
        this.out.push({ kind: 'reply', from, reply: m.reply });
        break;
    }
    this.ledgerOutputs(out);
  }

  /** Sends a member message straight to `to`, over a link of the routed epoch. */
  private memberSend(to: NodeId, m: MemberMessage): void {
    const epoch = this.engine.routeEpoch() || this.engine.snapshot().active;
    if (epoch === 0 || to === this.o.self) return;
    this.out.push({ kind: 'send', epoch, to, message: encodeMember(m) });
  }

  // ---- delivery ----------------------------------------------------------------------------

  /** An application message an overlay delivered (or a late frame or a repair carried): through the ledger to the app. */
  private toApp(message: AppMessage, epoch: number, hops: number, rt: CoreEpoch<S> | undefined): boolean {
    if (message.id.startsWith(MARK_PREFIX)) {
      if (message.origin !== this.o.self && message.to === undefined) {
        const out: LedgerOutput[] = [];
        this.ledger.mark(message.origin, message.session ?? '', false, message.seq ?? 0, message.prevSentAt ?? 0, this.now, out);
        this.ledgerOutputs(out);
      }
      return false;
    }
    if (message.origin === this.o.self) return false;
    if (message.session === undefined || message.seq === undefined || message.seq < 1) {
      this.out.push({ kind: 'refused', reason: 'bad-message' });
      return false;
    }
    const out: LedgerOutput[] = [];
    const verdict = this.ledger.receive(message, this.now, out);
    if (verdict === 'deliver') {
      this.appDelivered++;
      if (rt !== undefined) {
        rt.stats.delivered++;
        rt.stats.deliveryLatency.add(this.now - message.sentAt);
      }
      this.out.push({ kind: 'app', event: { kind: 'message', message, epoch, hops, deliveredAt: this.now } });
    } else if (verdict === 'duplicate') {
      this.appDuplicates++;
      if (rt !== undefined) rt.stats.duplicatesDropped++;
    }
    this.ledgerOutputs(out);
    return verdict === 'deliver';
  }

  private deliverFromOverlay(rt: CoreEpoch<S>, message: AppMessage, hops: number): void {
    rt.lastTrafficAt = this.now;
    if (message.id.startsWith(PROBE_PREFIX)) {
      if (message.origin !== this.o.self)
        this.out.push({ kind: 'send', epoch: rt.epoch, to: message.origin, message: { type: PROBE_ACK_TYPE, id: message.id } });
      return;
    }
    const delivered = this.toApp(message, rt.epoch, hops, rt);
    // A straggler on a draining overlay: carry it on over the routed one too.
    if (delivered && rt.drainStartedAt !== undefined && message.to === undefined) {
      const routed = this.routed();
      if (routed !== undefined && routed !== rt) this.run(routed, { kind: 'broadcast', message });
    }
  }

  private ledgerOutputs(outputs: readonly LedgerOutput[]): void {
    for (const o of outputs) {
      switch (o.kind) {
        case 'gap':
          this.out.push({ kind: 'app', event: { kind: 'gap', gap: o.gap, deliveredAt: this.now } });
          break;
        case 'nack':
          this.memberSend(o.origin, { kind: 'nack', session: o.session, direct: o.direct, seqs: [...o.seqs] });
          break;
        case 'since':
          this.memberSend(o.origin, { kind: 'since', session: o.session, direct: o.direct, since: o.since, below: o.below });
          break;
      }
    }
    if (this.ledger.outstanding) this.arm('ledger', LEDGER_TICK_MS);
  }

  // ---- timers and overlays -----------------------------------------------------------------

  private onTimer(timer: CoreTimer): void {
    switch (timer.kind) {
      case 'overlay': {
        const rt = this.runtimes.get(timer.epoch);
        if (rt !== undefined && !rt.closed) this.run(rt, { kind: 'timer', timer: timer.timer });
        return;
      }
      case 'drain':
        this.drainArmed = false;
        this.checkDrains();
        return;
      case 'ledger': {
        this.ledgerArmed = false;
        const out: LedgerOutput[] = [];
        this.ledger.tick(this.now, out);
        this.ledgerOutputs(out);
        return;
      }
      case 'marks':
        this.marksArmed = false;
        this.sendMarks();
        return;
    }
  }

  /** Schedules one of the core's own timers unless it is already armed (a flag, never a cancel). */
  private arm(kind: 'drain' | 'ledger' | 'marks', afterMs: number): void {
    if (kind === 'drain') {
      if (this.drainArmed) return;
      this.drainArmed = true;
    } else if (kind === 'ledger') {
      if (this.ledgerArmed) return;
      this.ledgerArmed = true;
    } else {
      if (this.marksArmed) return;
      this.marksArmed = true;
    }
    this.out.push({ kind: 'timer', afterMs, timer: { kind } });
  }

  /** Feeds one input to `rt`'s overlay and turns its outputs into actions, breadth-first. */
  private run(rt: CoreEpoch<S>, first: OverlayInput<OverlayMessage, OverlayTimer>): void {
    const pending: OverlayInput<OverlayMessage, OverlayTimer>[] = [first];
    while (pending.length > 0 && !rt.closed) {
      const input = pending.shift() as OverlayInput<OverlayMessage, OverlayTimer>;
      let outputs;
      try {
        outputs = rt.overlay.handle(input, this.now);
      } catch (err) {
        this.out.push({ kind: 'refused', reason: 'overlay-rejected' });
        this.log('warn', 'overlay threw on input', { epoch: rt.epoch, input: input.kind, error: (err as Error).message });
        continue;
      }
      for (const o of outputs) {
        switch (o.kind) {
          case 'send':
            rt.stats.messagesOut++;
            if (carriesAppTraffic(o.message)) rt.lastTrafficAt = this.now;
            this.out.push({ kind: 'send', epoch: rt.epoch, to: o.to, message: o.message });
            break;
          case 'disconnect':
            this.out.push({ kind: 'disconnect', epoch: rt.epoch, peer: o.peer });
            break;
          case 'timer':
            this.out.push({ kind: 'timer', afterMs: Math.max(0, o.afterMs), timer: { kind: 'overlay', epoch: rt.epoch, timer: o.timer } });
            break;
          case 'deliver':
            this.deliverFromOverlay(rt, o.message, o.hops);
            break;
          case 'neighborUp':
            // A neighbour has a link before the first message needs it (make before break).
            this.out.push({ kind: 'connect', epoch: rt.epoch, peer: o.peer });
            break;
          case 'neighborDown':
            rt.stats.neighborLoss++;
            break;
        }
      }
    }
  }

  private log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    this.out.push({ kind: 'log', level, message, fields });
  }
}

/** True when a message concerns application traffic (a payload, or ids of payloads): drain watches these. */
export function carriesAppTraffic(m: WireMessage): boolean {
  return m.app !== undefined || m.id !== undefined || (m.ids !== undefined && m.ids.length > 0);
}
