/**
 * One member's overlays over real gRPC: the executor of the overlays' outputs, driven by the
 * switch engine, with exactly-once delivery to the app across epochs.
 *
 * The overlays are IO-less; this class carries out what they ask (send over the Peer transport,
 * disconnect, set timers: overlay-executor.ts; deliver to the app's Subscribe streams: here) and
 * feeds back what happens (peer messages, link failures, full queues, timers). It holds up to two
 * live overlays (active and staged) plus any that are draining, as the {@link SwitchEngine}
 * decides. Frames of epochs not yet prepared wait in future-frames.ts; probe rounds are
 * probe-rounds.ts; bootstrap contacts bootstrap-contacts.ts.
 *
 * Exactly once: every application message id goes through one bounded {@link SeenIds} before it
 * reaches the app, whichever epoch it came over. Nothing is lost across a switch because (1) while
 * an epoch is staged, the app's messages go over both live overlays (the routed one is the one the
 * reply names); (2) a retired overlay drains until quiet before it closes, and frames still
 * arriving for it afterwards (a slower peer flushing) are delivered and carried on over the routed
 * overlay; (3) a broadcast that reaches a draining overlay is re-broadcast over the routed one. The
 * de-dup makes every extra copy free of duplicates.
 *
 * Trust and memory: the node dials only members it learned from its membership (dial-policy.ts),
 * refuses an app's send to a non-member, and buffers in bytes against one {@link BufferBudget}
 * (link queues, frames of not-yet-prepared epochs, slow subscribers; formula in README.md).
 */
import * as grpc from '@grpc/grpc-js';
import type { ClusterToken } from '../rpc/cluster-token.js';
import { randomBytes } from 'node:crypto';
import { createOverlay, SeenIds, SeededRandom, hash32, DEFAULT_DEDUP_CAPACITY } from '../overlays/index.js';
import type { AnyOverlay, OverlayMessage, OverlayTimer } from '../overlays/index.js';
import type { AppMessage, NodeId, OverlayInput, OverlayKind, WireMessage } from '../overlays/types.js';
import { PeerTransport, type TransportHandler } from './peer-transport.js';
import {
  SwitchEngine,
  drainComplete,
  DEFAULT_DRAIN_POLICY,
  type DrainPolicy,
  type FrameDisposition,
  type SwitchResult,
  type SwitchSnapshot,
  type EpochRole,
} from './switch-engine.js';
import { carriesAppTraffic } from './wire-codec.js';
import { EpochStats, epochView, type EpochView, type MetricsSource } from './metrics.js';
import { Fence } from './fencing.js';
import type { Logger } from './logger.js';
import { defaultContacts } from './bootstrap-contacts.js';
import { PROBE_ACK_TYPE, PROBE_PREFIX, ProbeRounds, type ProbeOutcome } from './probe-rounds.js';
import { FUTURE_FRAME_PEER_SHARE, FutureFrames, futureFrameLimits } from './future-frames.js';
import type { AppDelivery, AppSendResult, PrepareSpec } from './node-api.js';
import { OverlayExecutor, type EpochRuntime } from './overlay-executor.js';
import { BufferBudget, type BufferLimits } from './buffer-budget.js';
import { MemberBook, RefusedDials } from './dial-policy.js';
import { wireMessageBytes } from './wire-codec.js';
import type { MalformedReason } from './refusals.js';
import { quoteValue } from '../rpc/peer-address.js';

/**
 * How often the operator's member list is fed again to the overlays it drives (FullMesh,
 * ClientServer) and to gossip overlays that are isolated: FullMesh/ClientServer drop a peer on
 * `linkDown` until a members update, so a transient link failure heals within this period instead
 * of at the next membership change. Wild guess: 2 s.
 */
export const MEMBERS_REFRESH_MS = 2_000;
/**
 * A link that carried nothing but pings this long, to a peer outside the overlay's active view, is
 * closed (see {@link PeerTransport.reapIdle}). Long enough that a HyParView join or neighbour
 * request in progress is not cut and that the links carrying the operator's probe
 * acknowledgements survive from one verification to the next (a fresh connection costs ~2.5 ms
 * of CPU at both ends), short enough that gossip's transient links do not pile up.
 */
export const DEFAULT_IDLE_LINK_MS = 30_000;
/** How often draining overlays are checked for completion. */
export const DRAIN_CHECK_INTERVAL_MS = 100;

/** Construction parameters. */
export interface SidecarNodeOptions {
  readonly self: NodeId;
  readonly pod: string;
  readonly token: ClusterToken | undefined;
  readonly channelCredentials: grpc.ChannelCredentials;
  /** Extra options of Peer channels (see `PeerTransportOptions.channelOptions`). */
  readonly channelOptions?: grpc.ChannelOptions;
  readonly logger: Logger;
  readonly dedupCapacity?: number;
  readonly drainPolicy?: DrainPolicy;
  readonly queueCapacity?: number;
  readonly pingIntervalMs?: number;
  readonly maxFrameBytes?: number;
  /** See {@link DEFAULT_IDLE_LINK_MS}. */
  readonly idleLinkMs?: number;
  /** Byte limits of what the node buffers (see buffer-budget.ts); the kinds' limits are the flags'. */
  readonly bufferLimits: BufferLimits;
  /** Most bytes one link may hold (`--link-queue-bytes`). */
  readonly linkQueueBytes?: number;
}

/** A member's overlays, switch state and app-facing delivery. */
export class SidecarNode implements TransportHandler, MetricsSource {
  readonly engine = new SwitchEngine();
  readonly transport: PeerTransport;
  private readonly runtimes = new Map<number, EpochRuntime>();
  /** What the node buffers, in bytes; shared by link queues, future frames and subscribers. */
  readonly budget: BufferBudget;
  private readonly future: FutureFrames;
  /** Whom the membership named: what may be dialed, and sent to (dial-policy.ts). */
  private readonly book = new MemberBook();
  private readonly refused: RefusedDials;
  private readonly seen: SeenIds;
  private readonly subscribers = new Set<(d: AppDelivery) => void>();
  private readonly probes: ProbeRounds;
  private readonly executor: OverlayExecutor;
  private readonly drainPolicy: DrainPolicy;
  /** Runs only while an overlay drains: an idle sidecar should not wake ten times a second. */
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly membersTimer: NodeJS.Timeout;
  private readonly bootId = randomBytes(4).toString('hex');
  private seq = 0;
  unauthenticated = 0;
  readonly malformed = new Map<MalformedReason, number>();
  /** The operator leader this sidecar obeys (fencing.ts); Control calls pass it in grpc-servers.ts. */
  readonly fence = new Fence();
  appDelivered = 0;
  appDuplicates = 0;
  readonly startedAt = Date.now();

  constructor(private readonly options: SidecarNodeOptions) {
    this.seen = new SeenIds(options.dedupCapacity ?? DEFAULT_DEDUP_CAPACITY);
    this.drainPolicy = options.drainPolicy ?? DEFAULT_DRAIN_POLICY;
    this.budget = new BufferBudget(options.bufferLimits);
    this.refused = new RefusedDials(options.logger);
    this.future = new FutureFrames(this.budget, Math.max(1, Math.floor(options.bufferLimits.kindBytes['future-frames'] * FUTURE_FRAME_PEER_SHARE)));
    this.transport = new PeerTransport({
      self: options.self,
      pod: options.pod,
      token: options.token,
      credentials: options.channelCredentials,
      ...(options.channelOptions !== undefined ? { channelOptions: options.channelOptions } : {}),
      handler: this,
      logger: options.logger,
      ...(options.queueCapacity !== undefined ? { queueCapacity: options.queueCapacity } : {}),
      ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
      ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
      ...(options.linkQueueBytes !== undefined ? { linkQueueBytes: options.linkQueueBytes } : {}),
      budget: this.budget,
    });
    this.probes = new ProbeRounds(options.self, this.bootId);
    this.executor = new OverlayExecutor({
      transport: this.transport,
      logger: options.logger,
      countMalformed: (reason) => this.countMalformed(reason),
      deliver: (rt, message, hops) => this.deliver(rt, message, hops),
    });
    this.membersTimer = setInterval(() => this.refreshMembers(), MEMBERS_REFRESH_MS);
    this.membersTimer.unref();
  }

  get self(): NodeId {
    return this.options.self;
  }

  get pod(): string {
    return this.options.pod;
  }

  // ---- switch calls (Control) ------------------------------------------------------------

  /**
   * Stages the overlay of `spec.epoch`. The overlay is built before the engine moves, so
   * parameters the overlay refuses leave the switch state as it was (INVALID_ARGUMENT).
   */
  prepare(spec: PrepareSpec): SwitchResult {
    let overlay: AnyOverlay;
    try {
      overlay = this.buildOverlay(spec);
    } catch (err) {
      const result: SwitchResult = { ok: false, refusal: 'invalid', reason: `the overlay refuses its parameters: ${(err as Error).message}` };
      this.logSwitch('prepare', spec.epoch, result);
      return result;
    }
    const result = this.engine.prepare(spec.epoch);
    if (result.ok && result.changed) {
      this.book.prepare(spec.epoch, spec.members, [...spec.contacts, ...(spec.params.clientServer?.servers ?? [])], this.isLive);
      this.create(spec, overlay);
    }
    this.logSwitch('prepare', spec.epoch, result);
    return result;
  }

  /** Routes this member's sends over `epoch`. */
  route(epoch: number): SwitchResult {
    const result = this.engine.routeTo(epoch);
    this.logSwitch('route', epoch, result);
    return result;
  }

  /** Commits `epoch`; the previous active overlay drains. */
  commit(epoch: number): SwitchResult {
    const result = this.applyEffects(this.engine.commit(epoch));
    this.logSwitch('commit', epoch, result);
    return result;
  }

  /** Aborts the staged `epoch`; it drains. */
  abort(epoch: number): SwitchResult {
    const result = this.applyEffects(this.engine.abort(epoch));
    this.logSwitch('abort', epoch, result);
    return result;
  }

  /** The operator's list of ready members, fed to every live overlay that is not draining. */
  setMembers(members: readonly NodeId[]): void {
    this.book.setMembers(members, this.isLive);
    for (const rt of this.runtimes.values()) if (rt.drainStartedAt === undefined) this.run(rt, { kind: 'members', members: this.book.members });
  }

  /** Switch state. */
  snapshot(): SwitchSnapshot {
    return this.engine.snapshot();
  }

  /** The member list last pushed. */
  members(): readonly NodeId[] {
    return this.book.members;
  }

  /** The part of `epoch`'s active view this member has a working link to: what convergence checks. */
  connectedView(epoch: number, active: readonly NodeId[]): NodeId[] {
    return active.filter((p) => this.transport.established(epoch, p));
  }

  /** Live overlays with their roles. */
  overlays(): { epoch: number; kind: OverlayKind; role: EpochRole; overlay: AnyOverlay; connections: number }[] {
    const out = [];
    for (const rt of this.runtimes.values()) {
      const role = this.engine.roleOf(rt.epoch);
      if (role !== undefined) out.push({ epoch: rt.epoch, kind: rt.kind, role, overlay: rt.overlay, connections: this.transport.connections(rt.epoch) });
    }
    return out;
  }

  // ---- app API (Overlay service) ----------------------------------------------------------

  /** Members the routed overlay knows of. */
  appMembers(): { epoch: number; members: readonly NodeId[] } {
    const rt = this.runtimes.get(this.engine.routeEpoch());
    return rt === undefined ? { epoch: 0, members: [] } : { epoch: rt.epoch, members: rt.overlay.members() };
  }

  /**
   * True when `peer` is a member: named by the operator (member list, contacts, servers) or known to a live overlay. What
   * the app may send to; anything else would be a dial the app chose.
   */
  isMember(peer: NodeId): boolean {
    return this.book.isMember(peer, this.liveOverlays());
  }

  /** Sends `payload` to one member (`to`, already a peer address) or to all (`to` undefined) over the routed overlay. */
  appSend(to: NodeId | undefined, payload: Uint8Array): AppSendResult {
    const rt = this.runtimes.get(this.engine.routeEpoch());
    if (rt === undefined) return { ok: false, code: grpc.status.UNAVAILABLE, reason: 'no overlay is routed yet on this member (waiting for the operator)' };
    if (to !== undefined && to === this.self)
      return { ok: false, code: grpc.status.INVALID_ARGUMENT, reason: 'Send.to names this member itself', counted: 'bad-request' };
    if (to !== undefined && !this.isMember(to))
      return {
        ok: false,
        code: grpc.status.NOT_FOUND,
        reason: `Send.to ${quoteValue(to)}: no member of this overlay has that address (see Members)`,
        counted: 'unknown-member',
      };
    const id = `${this.self}/${this.bootId}-${++this.seq}`;
    this.seen.checkAndAdd(id);
    const message: AppMessage =
      to === undefined ? { id, origin: this.self, payload, sentAt: Date.now() } : { id, origin: this.self, to, payload, sentAt: Date.now() };
    const input: OverlayInput<OverlayMessage, OverlayTimer> = to === undefined ? { kind: 'broadcast', message } : { kind: 'send', message };
    this.run(rt, input);
    // During a switch (an epoch staged beside the active one) the message also goes over the other
    // live overlay: it is delivered unless both lose it, whichever overlay the receivers' sidecars
    // close first, and the receivers' de-dup makes the second copy free. After commit or abort
    // only one overlay is live again.
    const { active, staged } = this.engine.snapshot();
    const other = staged === 0 ? undefined : this.runtimes.get(rt.epoch === active ? staged : active);
    if (other !== undefined && other !== rt && other.drainStartedAt === undefined) this.run(other, input);
    return { ok: true, id, epoch: rt.epoch };
  }

  /** Registers an app delivery listener; returns its removal. */
  subscribe(listener: (d: AppDelivery) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Probe broadcasts over `epoch`; resolves when all of `expect` acknowledged every probe, or at the timeout. */
  async probe(epoch: number, count: number, timeoutMs: number, expect: readonly NodeId[]): Promise<ProbeOutcome | { error: string }> {
    const rt = this.runtimes.get(epoch);
    if (rt === undefined || rt.drainStartedAt !== undefined) return { error: `epoch ${epoch} is not live on ${this.self}` };
    const expected = (expect.length > 0 ? expect : rt.overlay.members()).filter((m) => m !== this.self);
    const ids: string[] = [];
    for (let i = 0; i < Math.max(1, count); i++) {
      const id = this.probes.start();
      ids.push(id);
      this.seen.checkAndAdd(id);
      this.run(rt, { kind: 'broadcast', message: { id, origin: this.self, payload: new Uint8Array(0), sentAt: Date.now() } });
    }
    return this.probes.collect(epoch, ids, expected, timeoutMs);
  }

  // ---- metrics -----------------------------------------------------------------------------

  epochs(): EpochView[] {
    const out: EpochView[] = [];
    for (const rt of this.runtimes.values()) {
      const role = this.engine.roleOf(rt.epoch);
      if (role !== undefined) out.push(epochView(rt, role, this.transport));
    }
    return out;
  }

  /** Counts a refused call or frame. */
  countMalformed(reason: MalformedReason): void {
    this.malformed.set(reason, (this.malformed.get(reason) ?? 0) + 1);
  }

  // ---- transport callbacks ----------------------------------------------------------------

  disposition(epoch: number): FrameDisposition {
    return this.engine.disposition(epoch);
  }

  mayDial(peer: NodeId): boolean {
    return this.book.mayDial(
      peer,
      [...this.runtimes.values()].map((rt) => rt.overlay),
    );
  }

  onDialRefused(peer: NodeId, reason: string): void {
    this.refused.record(peer, reason);
  }

  /** Dials refused because the address was not learned from this sidecar's membership (or is no address). */
  get refusedDials(): number {
    return this.refused.count;
  }

  onMessage(epoch: number, from: NodeId, message: WireMessage): void {
    // The link's dialer and every address in its message come from an authenticated member: dialable from now on.
    this.book.learnFrame(from, message, this.self);
    if (message.type === PROBE_ACK_TYPE) {
      this.probes.onAck(from, message);
      return;
    }
    const rt = this.runtimes.get(epoch);
    if (rt === undefined) {
      const disposition = this.engine.disposition(epoch);
      if (disposition === 'beyond') {
        this.countMalformed('far-future-epoch');
        this.transport.refuseLink(epoch, from, grpc.status.FAILED_PRECONDITION, `epoch ${epoch} is too far above the highest epoch prepared on ${this.self}`);
        return;
      }
      if (disposition !== 'future') {
        this.onLateFrame(epoch, message);
        return;
      }
      const held = this.future.hold(epoch, from, message, wireMessageBytes(message));
      if (held !== 'held') {
        // Not buffered: that peer's link is refused, so it sees a failure (and retries) rather than a silent loss.
        this.countMalformed('future-overflow');
        this.transport.refuseLink(
          epoch,
          from,
          grpc.status.RESOURCE_EXHAUSTED,
          `${this.self} holds no more frames for epoch ${epoch}, not prepared here yet (${held}: limits ${futureFrameLimits(this.options.bufferLimits.kindBytes['future-frames'])})`,
        );
      }
      return;
    }
    rt.stats.messagesIn++;
    if (carriesAppTraffic(message)) rt.lastTrafficAt = Date.now();
    this.run(rt, { kind: 'message', from, message: message as OverlayMessage });
  }

  onLinkDown(epoch: number, peer: NodeId): void {
    const rt = this.runtimes.get(epoch);
    if (rt !== undefined) this.run(rt, { kind: 'linkDown', peer });
  }

  onMalformed(reason: MalformedReason): void {
    this.countMalformed(reason);
  }

  onBytes(direction: 'in' | 'out', epoch: number, bytes: number): void {
    const rt = this.runtimes.get(epoch);
    if (rt === undefined) return;
    if (direction === 'in') rt.stats.bytesIn += bytes;
    else rt.stats.bytesOut += bytes;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Leaves every overlay (tells neighbours), flushes and closes links. */
  shutdown(): void {
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    clearInterval(this.membersTimer);
    for (const rt of this.runtimes.values()) {
      if (rt.drainStartedAt === undefined) this.run(rt, { kind: 'leave' });
      for (const t of rt.timers) clearTimeout(t);
      rt.timers.clear();
      rt.closed = true;
    }
    this.transport.close();
  }

  /** Hard stop after {@link shutdown}. */
  destroy(): void {
    this.transport.destroy();
  }

  // ---- internals -----------------------------------------------------------------------------

  /** The overlay `spec` asks for (throws a RangeError naming the parameter the overlay refuses). */
  private buildOverlay(spec: PrepareSpec): AnyOverlay {
    const random = new SeededRandom((spec.seed ^ hash32(this.self)) >>> 0);
    return createOverlay(spec.kind, { self: this.self, random: random.fork('overlay'), ...spec.params });
  }

  /** Whether `epoch` is live here (active, staged or draining). */
  private readonly isLive = (epoch: number): boolean => this.engine.roleOf(epoch) !== undefined;

  /** The overlays of live, not draining epochs. */
  private *liveOverlays(): Iterable<AnyOverlay> {
    for (const rt of this.runtimes.values()) if (rt.drainStartedAt === undefined) yield rt.overlay;
  }

  private create(spec: PrepareSpec, overlay: AnyOverlay): void {
    const rt: EpochRuntime = {
      epoch: spec.epoch,
      kind: spec.kind,
      overlay,
      stats: new EpochStats(),
      timers: new Set(),
      drainStartedAt: undefined,
      lastTrafficAt: 0,
      closed: false,
    };
    this.runtimes.set(spec.epoch, rt);
    const contacts = spec.contacts.length > 0 ? spec.contacts.filter((m) => m !== this.self) : defaultContacts(this.self, spec.members);
    this.run(rt, { kind: 'join', contacts, members: spec.members });
    if (spec.members.length > 0) this.run(rt, { kind: 'members', members: spec.members });
    const held = this.future.take(spec.epoch);
    if (held !== undefined) for (const f of held) this.onMessage(spec.epoch, f.from, f.message);
    // Frames for epochs now in the past will never be used.
    this.future.dropBefore(spec.epoch);
    this.book.refresh(this.isLive);
    this.options.logger.info('overlay prepared', { epoch: spec.epoch, topology: spec.kind, members: spec.members.length, contacts: contacts.length });
  }

  private applyEffects(result: SwitchResult): SwitchResult {
    if (!result.ok) return result;
    for (const effect of result.effects) {
      if (effect.kind === 'drain') {
        const rt = this.runtimes.get(effect.epoch);
        if (rt === undefined) {
          this.engine.drained(effect.epoch);
          continue;
        }
        rt.drainStartedAt = Date.now();
        if (this.drainTimer === undefined) {
          this.drainTimer = setInterval(() => this.checkDrains(), DRAIN_CHECK_INTERVAL_MS);
          this.drainTimer.unref();
        }
        this.options.logger.info('overlay draining', { epoch: effect.epoch, topology: rt.kind });
      }
    }
    return result;
  }

  private refreshMembers(): void {
    this.reapIdleLinks();
    const members = this.book.members;
    if (members.length === 0) return;
    for (const rt of this.runtimes.values()) {
      if (rt.drainStartedAt !== undefined) continue;
      // Gossip overlays use the list only as contacts: offered again while isolated (say, the
      // bootstrap contact died), so they rejoin instead of waiting for their own repair.
      const driven = rt.kind === 'FullMesh' || rt.kind === 'ClientServer';
      if (driven || rt.overlay.views().active.length === 0) this.run(rt, { kind: 'members', members });
    }
  }

  /** Closes idle links that no live overlay counts as a neighbour (links of draining or future epochs stay). */
  private reapIdleLinks(): void {
    const neighbours = new Map<number, Set<NodeId>>();
    this.transport.reapIdle(this.options.idleLinkMs ?? DEFAULT_IDLE_LINK_MS, (epoch, peer) => {
      if (this.engine.disposition(epoch) === 'future') return true;
      const rt = this.runtimes.get(epoch);
      if (rt === undefined) return false;
      if (rt.drainStartedAt !== undefined) return true;
      let set = neighbours.get(epoch);
      if (set === undefined) neighbours.set(epoch, (set = new Set(rt.overlay.views().active)));
      return set.has(peer);
    });
  }

  private checkDrains(): void {
    const now = Date.now();
    for (const rt of [...this.runtimes.values()]) {
      if (rt.drainStartedAt === undefined) continue;
      if (
        !drainComplete({ startedAt: rt.drainStartedAt, lastTrafficAt: rt.lastTrafficAt, queuedFrames: this.transport.queued(rt.epoch), now }, this.drainPolicy)
      )
        continue;
      rt.closed = true;
      for (const t of rt.timers) clearTimeout(t);
      rt.timers.clear();
      this.transport.closeEpoch(rt.epoch);
      this.runtimes.delete(rt.epoch);
      this.engine.drained(rt.epoch);
      this.book.refresh(this.isLive);
      this.options.logger.info('overlay closed', { epoch: rt.epoch, topology: rt.kind, drainMs: now - rt.drainStartedAt });
    }
    if (![...this.runtimes.values()].some((rt) => rt.drainStartedAt !== undefined)) {
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
    }
  }

  /** Feeds one input to `rt`'s overlay and carries out its outputs (see {@link OverlayExecutor.run}). */
  private run(rt: EpochRuntime, first: OverlayInput<OverlayMessage, OverlayTimer>): void {
    this.executor.run(rt, first);
  }

  private deliver(rt: EpochRuntime, message: AppMessage, hops: number): void {
    rt.lastTrafficAt = Date.now();
    if (message.id.startsWith(PROBE_PREFIX)) {
      if (message.origin !== this.self) this.transport.send(rt.epoch, message.origin, { type: PROBE_ACK_TYPE, id: message.id });
      return;
    }
    if (message.origin === this.self) return;
    if (this.seen.checkAndAdd(message.id)) {
      rt.stats.duplicatesDropped++;
      this.appDuplicates++;
      return;
    }
    const now = Date.now();
    rt.stats.delivered++;
    rt.stats.deliveryLatency.add(now - message.sentAt);
    this.appDelivered++;
    const delivery: AppDelivery = { message, epoch: rt.epoch, hops, deliveredAt: now };
    for (const s of this.subscribers) s(delivery);
    // A straggler on a draining overlay: carry it on over the routed one too.
    if (rt.drainStartedAt !== undefined && message.to === undefined) {
      const routed = this.runtimes.get(this.engine.routeEpoch());
      if (routed !== undefined && routed !== rt) this.run(routed, { kind: 'broadcast', message });
    }
  }

  /**
   * A frame of an epoch whose overlay already closed here, still arriving on a link the peer is
   * flushing before it closes (the peer may have been slower to drain). Its application message
   * is not lost: delivered if it is for this member, and carried on over the routed overlay.
   */
  private onLateFrame(epoch: number, message: WireMessage): void {
    const app = message.app;
    if (app === undefined || app.id.startsWith(PROBE_PREFIX)) return;
    const routed = this.runtimes.get(this.engine.routeEpoch());
    if (app.to === undefined || app.to === this.self) {
      if (app.origin === this.self || this.seen.checkAndAdd(app.id)) {
        this.appDuplicates++;
        return;
      }
      this.appDelivered++;
      const delivery: AppDelivery = { message: app, epoch, hops: (message.hops ?? 0) + 1, deliveredAt: Date.now() };
      for (const s of this.subscribers) s(delivery);
      if (app.to === undefined && routed !== undefined) this.run(routed, { kind: 'broadcast', message: app });
      return;
    }
    // Point-to-point for someone else, caught mid-relay: forward it over the routed overlay.
    if (routed !== undefined) this.run(routed, { kind: 'send', message: app });
  }

  private logSwitch(call: string, epoch: number, result: SwitchResult): void {
    const s = this.engine.snapshot();
    if (result.ok) this.options.logger.info(`switch ${call}`, { epoch, changed: result.changed, active: s.active, staged: s.staged, route: s.route });
    else this.options.logger.warn(`switch ${call} refused`, { epoch, reason: result.reason });
  }
}
