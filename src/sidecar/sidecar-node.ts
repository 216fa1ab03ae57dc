/**
 * One member's overlays over real gRPC: the executor of the member core (src/member/member-core.ts).
 *
 * Everything a member decides — the switch engine, early and late frames, drains, and the delivery
 * contract (sequence numbers, de-dup, repair, marks, GAPs: docs/delivery.md) — is the pure
 * {@link MemberCore}, which the fault simulator (src/member/sim) runs too. This class only feeds
 * it what happens (Control calls, the app's sends, Peer frames, link failures, refused sends,
 * timers, the clock) and carries out what it returns: sends on the {@link PeerTransport}, link
 * management, timers, and events appended to the app's delivery log (src/member/app-log.ts),
 * which the Subscribe streams read.
 *
 * What stays here is IO and trust: the node dials only members it learned from its membership
 * (dial-policy.ts), refuses an app's send to a non-member, and buffers in bytes against one
 * {@link BufferBudget} (link queues, frames of not-yet-prepared epochs, the delivery log; formula
 * in README.md).
 */
import * as grpc from '@grpc/grpc-js';
import type { ClusterToken } from '../rpc/cluster-token.js';
import { randomBytes } from 'node:crypto';
import type { AnyOverlay } from '../overlays/index.js';
import type { NodeId, OverlayKind, WireMessage } from '../overlays/types.js';
import { PeerTransport, type TransportHandler } from './peer-transport.js';
import {
  DEFAULT_DRAIN_POLICY,
  type DrainPolicy,
  type FrameDisposition,
  type SwitchResult,
  type SwitchSnapshot,
  type EpochRole,
} from '../member/switch-engine.js';
import { MemberCore, PROBE_ACK_TYPE, type CoreAction, type CoreInput, type CoreSendResult, type CoreTimer } from '../member/member-core.js';
import { isMemberType } from '../member/member-wire.js';
import { AppLog } from '../member/app-log.js';
import type { AppEvent, GapReason } from '../member/app-events.js';
import { newSession } from '../member/session.js';
import { EpochStats, epochView, type EpochView, type MetricsSource } from './metrics.js';
import { Fence } from './fencing.js';
import type { Logger } from './logger.js';
import { ProbeRounds, type ProbeOutcome } from './probe-rounds.js';
import { FUTURE_FRAME_PEER_SHARE } from '../member/future-frames.js';
import type { AppSendResult, PrepareSpec } from './node-api.js';
import { BufferBudget, type BufferLimits } from '../member/buffer-budget.js';
import { MemberBook, RefusedDials } from './dial-policy.js';
import { wireMessageBytes } from './wire-codec.js';
import type { MalformedReason } from './refusals.js';
import { quoteValue } from '../rpc/peer-address.js';
import { appEventBytes } from './app-delivery.js';
import { MembershipView, type MembershipChange } from '../member/membership-view.js';
import { memberInfoDigest, type MemberDetails, type Tags } from '../rpc/member-tags.js';
import { AppRequests } from './app-requests.js';
import { wantsMessage, type TopicFilter } from '../member/topics.js';
import type { AppRequest } from '../member/core-api.js';

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

/** Construction parameters. */
export interface SidecarNodeOptions {
  readonly self: NodeId;
  readonly pod: string;
  readonly token: ClusterToken | undefined;
  readonly channelCredentials: grpc.ChannelCredentials;
  /** Extra options of Peer channels (see `PeerTransportOptions.channelOptions`). */
  readonly channelOptions?: grpc.ChannelOptions;
  readonly logger: Logger;
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
  /** Bytes of the delivery log the Subscribe streams read (`--subscriber-buffer-bytes`). */
  readonly appLogBytes: number;
  /** Bytes of sent messages retained for repair (`--retain-bytes`). */
  readonly retainBytes?: number;
  /** This member's own tags (`--tag key=value`), already validated. */
  readonly tags?: Tags;
}

/** Called with the membership's changes, and when this sidecar learned of them (ms since the Unix epoch). */
export type MembershipListener = (changes: readonly MembershipChange[], at: number) => void;

/** A member's overlays, switch state and app-facing delivery: the executor of its {@link MemberCore}. */
export class SidecarNode implements TransportHandler, MetricsSource {
  readonly core: MemberCore<EpochStats>;
  readonly transport: PeerTransport;
  /** What the node buffers, in bytes; shared by link queues, future frames and the delivery log. */
  readonly budget: BufferBudget;
  /** What the app's Subscribe streams read (app-service.ts). */
  readonly appLog: AppLog;
  /** Whom the membership named: what may be dialed, and sent to (dial-policy.ts). */
  private readonly book = new MemberBook();
  private readonly refused: RefusedDials;
  private readonly appListeners = new Set<() => void>();
  private readonly membershipListeners = new Set<MembershipListener>();
  /** The operator's member list with pods and tags: what WatchMembers and `member_details` report. */
  readonly membership: MembershipView;
  /** Digest of the member_info last pushed ('' when none was): GetState reports it so the operator pushes level-based. */
  memberInfoDigest = '';
  /** Requests, queries and acknowledged sends (App API v2). */
  readonly requests: AppRequests;
  /** The topic filters of the open Subscribe streams (app-service.ts adds and removes them). */
  readonly subscriberFilters = new Set<TopicFilter>();
  private readonly probes: ProbeRounds;
  private readonly overlayTimers = new Map<number, Set<NodeJS.Timeout>>();
  private readonly coreTimers = new Set<NodeJS.Timeout>();
  private readonly membersTimer: NodeJS.Timeout;
  private stopped = false;
  /** Replies of the call being handled (a switch call or an app send). */
  private switchReply: SwitchResult | undefined;
  private sendReply: CoreSendResult | undefined;
  private preparing: PrepareSpec | undefined;
  unauthenticated = 0;
  readonly malformed = new Map<MalformedReason, number>();
  readonly gaps = new Map<GapReason, number>();
  /** The operator leader this sidecar obeys (fencing.ts); Control calls pass it in grpc-servers.ts. */
  readonly fence = new Fence();
  readonly startedAt = Date.now();
  readonly session = newSession(this.startedAt, randomBytes(4).toString('hex'));

  constructor(private readonly options: SidecarNodeOptions) {
    this.budget = new BufferBudget(options.bufferLimits);
    this.refused = new RefusedDials(options.logger);
    this.appLog = new AppLog(this.session, options.appLogBytes);
    this.membership = new MembershipView(options.self, options.pod, options.tags ?? {});
    this.requests = new AppRequests({
      self: options.self,
      session: this.session,
      send: (to, payload, topic, request) => this.appSend(to, payload, topic, request),
      reply: (to, reply) => this.feed({ kind: 'reply', to, reply }),
      hasSubscriberFor: (m) => [...this.subscriberFilters].some((f) => wantsMessage(f, m)),
    });
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
    this.core = new MemberCore({
      self: options.self,
      session: this.session,
      startedAt: this.startedAt,
      budget: this.budget,
      futurePeerBytes: Math.max(1, Math.floor(options.bufferLimits.kindBytes['future-frames'] * FUTURE_FRAME_PEER_SHARE)),
      frameBytes: wireMessageBytes,
      queuedFrames: (epoch) => this.transport.queued(epoch),
      newStats: () => new EpochStats(),
      drainPolicy: options.drainPolicy ?? DEFAULT_DRAIN_POLICY,
      ...(options.retainBytes !== undefined ? { retainBytes: options.retainBytes } : {}),
    });
    this.probes = new ProbeRounds(options.self, this.session);
    this.membersTimer = setInterval(() => {
      this.reapIdleLinks();
      this.feed({ kind: 'refresh' });
    }, MEMBERS_REFRESH_MS);
    this.membersTimer.unref();
  }

  get self(): NodeId {
    return this.options.self;
  }

  get pod(): string {
    return this.options.pod;
  }

  /** This member's own tags (`--tag`), as GetState reports them. */
  get ownTags(): Tags {
    return this.options.tags ?? {};
  }

  get appDelivered(): number {
    return this.core.appDelivered;
  }

  get appDuplicates(): number {
    return this.core.appDuplicates;
  }

  // ---- switch calls (Control) ------------------------------------------------------------

  /** Stages the overlay of `spec.epoch` (parameters the overlay refuses leave the switch state as it was: INVALID_ARGUMENT). */
  prepare(spec: PrepareSpec): SwitchResult {
    this.preparing = spec;
    try {
      return this.switchCall({ kind: 'prepare', spec });
    } finally {
      this.preparing = undefined;
    }
  }

  /** Routes this member's sends over `epoch`. */
  route(epoch: number): SwitchResult {
    return this.switchCall({ kind: 'route', epoch });
  }

  /** Commits `epoch`; the previous active overlay drains. */
  commit(epoch: number): SwitchResult {
    return this.switchCall({ kind: 'commit', epoch });
  }

  /** Aborts the staged `epoch`; it drains. */
  abort(epoch: number): SwitchResult {
    return this.switchCall({ kind: 'abort', epoch });
  }

  /** The operator's list of ready members, fed to every live overlay that is not draining; `info`: their pods and tags. */
  setMembers(members: readonly NodeId[], info?: readonly MemberDetails[]): void {
    this.book.setMembers(members, this.isLive);
    this.feed({ kind: 'members', members: this.book.members });
    // A list without details (an older operator) leaves no digest: it could not vouch for this list.
    this.memberInfoDigest = info === undefined ? '' : memberInfoDigest(info);
    this.membershipChanged(this.membership.update(members, info));
  }

  /** Calls `listener` with every later change of the membership; returns its removal. */
  onMembership(listener: MembershipListener): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  private membershipChanged(changes: readonly MembershipChange[]): void {
    if (changes.length === 0) return;
    // Only a member that left fails the calls waiting on it (one the overlays know but the operator's list never named does not).
    const left = new Set(changes.filter((c) => c.kind === 'left').map((c) => c.member.address));
    if (left.size > 0) this.requests.membersChanged((m) => !left.has(m));
    const at = Date.now();
    for (const l of [...this.membershipListeners]) l(changes, at);
  }

  /** Switch state. */
  snapshot(): SwitchSnapshot {
    return this.core.engine.snapshot();
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
    return this.core
      .live()
      .map(({ rt, role }) => ({ epoch: rt.epoch, kind: rt.kind, role, overlay: rt.overlay, connections: this.transport.connections(rt.epoch) }));
  }

  // ---- app API (Overlay service) ----------------------------------------------------------

  /** Members the routed overlay knows of. */
  appMembers(): { epoch: number; members: readonly NodeId[] } {
    const rt = this.core.routed();
    return rt === undefined ? { epoch: 0, members: [] } : { epoch: rt.epoch, members: rt.overlay.members() };
  }

  /**
   * True when `peer` is a member: named by the operator (member list, contacts, servers) or known to a live overlay. What
   * the app may send to; anything else would be a dial the app chose.
   */
  isMember(peer: NodeId): boolean {
    return this.book.isMember(peer, this.core.liveOverlays());
  }

  /**
   * Sends `payload` to one member (`to`, already a peer address) or to all (`to` undefined) over
   * the routed overlay; `topic` and `request` as the core's `appSend` takes them (App API v2).
   */
  appSend(to: NodeId | undefined, payload: Uint8Array, topic?: string, request?: AppRequest): AppSendResult {
    const checked = to === undefined ? this.checkRouted() : this.checkDestination('Send.to', to);
    if (!checked.ok) return checked;
    this.sendReply = undefined;
    this.feed({ kind: 'appSend', to, payload, ...(topic !== undefined && topic !== '' ? { topic } : {}), ...(request !== undefined ? { request } : {}) });
    const r = this.sendReply as CoreSendResult | undefined;
    this.sendReply = undefined;
    if (r === undefined || !r.ok) return { ok: false, code: grpc.status.UNAVAILABLE, reason: r?.reason ?? 'not accepted' };
    return { ok: true, id: r.id, epoch: r.epoch, session: r.session, seq: r.seq };
  }

  /** Refuses while no overlay is routed (UNAVAILABLE). */
  checkRouted(): AppSendResult | { ok: true } {
    if (this.core.routed() === undefined)
      return { ok: false, code: grpc.status.UNAVAILABLE, reason: 'no overlay is routed yet on this member (waiting for the operator)' };
    return { ok: true };
  }

  /** Whether the app may send to `to` (named in `field`): a member other than this one, over a routed overlay. */
  checkDestination(field: string, to: NodeId): AppSendResult | { ok: true } {
    const routed = this.checkRouted();
    if (!routed.ok) return routed;
    if (to === this.self) return { ok: false, code: grpc.status.INVALID_ARGUMENT, reason: `${field} names this member itself`, counted: 'bad-request' };
    if (!this.isMember(to))
      return {
        ok: false,
        code: grpc.status.NOT_FOUND,
        reason: `${field} ${quoteValue(to)}: no member of this overlay has that address (see Members)`,
        counted: 'unknown-member',
      };
    return { ok: true };
  }

  /** Calls `listener` whenever the delivery log grows; returns its removal. */
  onAppEvent(listener: () => void): () => void {
    this.appListeners.add(listener);
    return () => this.appListeners.delete(listener);
  }

  /** Probe broadcasts over `epoch`; resolves when all of `expect` acknowledged every probe, or at the timeout. */
  async probe(epoch: number, count: number, timeoutMs: number, expect: readonly NodeId[]): Promise<ProbeOutcome | { error: string }> {
    const rt = this.core.epoch(epoch);
    if (rt === undefined || rt.drainStartedAt !== undefined) return { error: `epoch ${epoch} is not live on ${this.self}` };
    const expected = (expect.length > 0 ? expect : rt.overlay.members()).filter((m) => m !== this.self);
    const ids: string[] = [];
    for (let i = 0; i < Math.max(1, count); i++) ids.push(this.probes.start());
    this.feed({ kind: 'probe', epoch, ids });
    return this.probes.collect(epoch, ids, expected, timeoutMs);
  }

  // ---- metrics -----------------------------------------------------------------------------

  epochs(): EpochView[] {
    return this.core.live().map(({ rt, role }) => epochView(rt, role, this.transport));
  }

  /** Counts a GAP handed to the app (the ledger's, and those a lagging Subscribe stream is given). */
  countGap(reason: GapReason): void {
    this.gaps.set(reason, (this.gaps.get(reason) ?? 0) + 1);
  }

  /** The delivery contract's own figures, for metrics. */
  delivery(): { repairRequests: number; channels: number; retainedBytes: number } {
    return { repairRequests: this.core.ledger.counts.nacks, channels: this.core.ledger.channelCount, retainedBytes: this.core.origin.bytes };
  }

  /** Counts a refused call or frame. */
  countMalformed(reason: MalformedReason): void {
    this.malformed.set(reason, (this.malformed.get(reason) ?? 0) + 1);
  }

  // ---- transport callbacks ----------------------------------------------------------------

  disposition(epoch: number): FrameDisposition {
    return this.core.engine.disposition(epoch);
  }

  mayDial(peer: NodeId): boolean {
    return this.book.mayDial(
      peer,
      this.core.live().map(({ rt }) => rt.overlay),
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
    this.feed({ kind: 'message', epoch, from, message });
  }

  onLinkDown(epoch: number, peer: NodeId): void {
    this.feed({ kind: 'linkDown', epoch, peer });
  }

  onMalformed(reason: MalformedReason): void {
    this.countMalformed(reason);
  }

  onBytes(direction: 'in' | 'out', epoch: number, bytes: number): void {
    const stats = this.core.epoch(epoch)?.stats;
    if (stats === undefined) return;
    if (direction === 'in') stats.bytesIn += bytes;
    else stats.bytesOut += bytes;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Leaves every overlay (tells neighbours), flushes and closes links. */
  shutdown(): void {
    clearInterval(this.membersTimer);
    this.requests.close();
    this.feed({ kind: 'leave' });
    this.stopped = true;
    for (const set of this.overlayTimers.values()) for (const t of set) clearTimeout(t);
    this.overlayTimers.clear();
    for (const t of this.coreTimers) clearTimeout(t);
    this.coreTimers.clear();
    this.transport.close();
  }

  /** Hard stop after {@link shutdown}. */
  destroy(): void {
    this.transport.destroy();
  }

  // ---- the executor --------------------------------------------------------------------------

  /** Whether `epoch` is live here (active, staged or draining). */
  private readonly isLive = (epoch: number): boolean => this.core.engine.roleOf(epoch) !== undefined;

  private switchCall(input: CoreInput): SwitchResult {
    this.switchReply = undefined;
    this.feed(input);
    const r = this.switchReply as SwitchResult | undefined;
    this.switchReply = undefined;
    return r ?? { ok: false, refusal: 'precondition', reason: 'the member core gave no answer' };
  }

  /** Feeds one input to the core at the current time and carries out its actions. */
  private feed(input: CoreInput): void {
    if (this.stopped) return;
    const actions = this.core.handle(input, Date.now());
    // A full queue is reported once per peer per input: an overlay that answers sendFailed by
    // sending to the same peer again must not spin.
    let failed: Map<string, CoreInput> | undefined;
    for (const a of actions) {
      const f = this.execute(a);
      if (f !== undefined) {
        failed ??= new Map();
        const key = `${f.epoch}\u0000${f.peer}`;
        if (!failed.has(key)) failed.set(key, { kind: 'sendFailed', epoch: f.epoch, peer: f.peer, message: f.message });
      }
    }
    if (failed !== undefined) for (const next of failed.values()) this.feed(next);
  }

  /** Carries out one action; returns the send that failed, when an overlay's send did. */
  private execute(a: CoreAction): { epoch: number; peer: NodeId; message: WireMessage } | undefined {
    switch (a.kind) {
      case 'send': {
        // A full queue and a refused dial (a peer not learned from the membership) are both a send failure to the overlay.
        const outcome = this.transport.send(a.epoch, a.to, a.message);
        if (outcome !== 'queued' && !isMemberType(a.message.type) && a.message.type !== PROBE_ACK_TYPE)
          return { epoch: a.epoch, peer: a.to, message: a.message };
        return undefined;
      }
      case 'connect':
        this.transport.connect(a.epoch, a.peer);
        return undefined;
      case 'disconnect':
        this.transport.disconnect(a.epoch, a.peer);
        return undefined;
      case 'refuseLink':
        this.transport.refuseLink(a.epoch, a.peer, a.code === 'exhausted' ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.FAILED_PRECONDITION, a.reason);
        return undefined;
      case 'closeEpoch':
        for (const t of this.overlayTimers.get(a.epoch) ?? []) clearTimeout(t);
        this.overlayTimers.delete(a.epoch);
        this.transport.closeEpoch(a.epoch);
        return undefined;
      case 'timer':
        this.schedule(a.afterMs, a.timer);
        return undefined;
      case 'app':
        this.appendEvent(a.event);
        return undefined;
      case 'probeAck':
        this.probes.onAck(a.from, a.message);
        return undefined;
      case 'reply':
        this.requests.onReply(a.from, a.reply);
        return undefined;
      case 'switched':
        this.switchReply = a.result;
        if (a.call === 'prepare' && a.result.ok && a.result.changed && this.preparing !== undefined) {
          const spec = this.preparing;
          this.book.prepare(spec.epoch, spec.members, [...spec.contacts, ...(spec.params.clientServer?.servers ?? [])], this.isLive);
          // The same members whatever overlay connects them: a switch changes nothing here unless the list did.
          this.membershipChanged(this.membership.update(spec.members));
        }
        this.logSwitch(a.call, a.epoch, a.result);
        return undefined;
      case 'accepted':
        this.sendReply = a.result;
        return undefined;
      case 'epochs':
        this.book.refresh(this.isLive);
        return undefined;
      case 'refused':
        this.countMalformed(a.reason);
        return undefined;
      case 'log':
        if (a.level === 'warn') this.options.logger.warn(a.message, a.fields);
        else this.options.logger.info(a.message, a.fields);
        return undefined;
    }
  }

  private schedule(afterMs: number, timer: CoreTimer): void {
    const set = timer.kind === 'overlay' ? this.overlayTimerSet(timer.epoch) : this.coreTimers;
    const handle = setTimeout(() => {
      set.delete(handle);
      this.feed({ kind: 'timer', timer });
    }, afterMs);
    // The core's own timers (drain checks, repair, marks) must not keep a stopping process alive.
    if (timer.kind !== 'overlay') handle.unref();
    set.add(handle);
  }

  private overlayTimerSet(epoch: number): Set<NodeJS.Timeout> {
    let set = this.overlayTimers.get(epoch);
    if (set === undefined) this.overlayTimers.set(epoch, (set = new Set()));
    return set;
  }

  /** Appends to the delivery log, keeping the budget's `subscriber` bytes equal to what the log holds. */
  private appendEvent(event: AppEvent): void {
    if (event.kind === 'gap') this.countGap(event.gap.reason);
    // A request no subscribed app can answer is refused to its origin instead (app-requests.ts).
    else if (!this.requests.incoming(event.message, event.deliveredAt)) return;
    const reserved = this.budget.bytes('subscriber');
    this.appLog.append(event, appEventBytes(event));
    const held = this.appLog.heldBytes;
    if (held < reserved) this.budget.release('subscriber', reserved - held);
    else if (held > reserved && !this.budget.reserve('subscriber', held - reserved)) {
      // The shared budget is full: the log gives up its oldest events (a reader that lags gets a GAP naming them).
      this.appLog.shrink(reserved);
      const after = this.appLog.heldBytes;
      if (after < reserved) this.budget.release('subscriber', reserved - after);
      else if (after > reserved) this.budget.reserve('subscriber', after - reserved);
    }
    for (const l of this.appListeners) l();
  }

  /** Closes idle links that no live overlay counts as a neighbour (links of draining or future epochs stay). */
  private reapIdleLinks(): void {
    const neighbours = new Map<number, Set<NodeId>>();
    this.transport.reapIdle(this.options.idleLinkMs ?? DEFAULT_IDLE_LINK_MS, (epoch, peer) => {
      if (this.core.engine.disposition(epoch) === 'future') return true;
      const rt = this.core.epoch(epoch);
      if (rt === undefined) return false;
      if (rt.drainStartedAt !== undefined) return true;
      let set = neighbours.get(epoch);
      if (set === undefined) neighbours.set(epoch, (set = new Set(rt.overlay.views().active)));
      return set.has(peer);
    });
  }

  private logSwitch(call: string, epoch: number, result: SwitchResult): void {
    const s = this.core.engine.snapshot();
    if (result.ok) this.options.logger.info(`switch ${call}`, { epoch, changed: result.changed, active: s.active, staged: s.staged, route: s.route });
    else this.options.logger.warn(`switch ${call} refused`, { epoch, reason: result.reason });
  }
}
