/**
 * The Peer transport: one long-lived bidirectional gRPC stream per (neighbour, epoch), each with a
 * bounded send queue, pings for RTT, and a graceful close that loses nothing in flight.
 *
 * Streams: whichever end first needs a link dials it (metadata names the dialer and the epoch, and
 * carries the cluster token; the first frame is a Hello). When both ends dial at once, both keep
 * reading both streams but write only on the one dialed by the smaller NodeId; the other is ended
 * by its dialer. A link fails when its last stream errors or ends without a Goodbye: that is the
 * failure signal HyParView needs (`linkDown`). One link, its streams and its close handshake are
 * peer-link.ts; what the streams carry, and how frames are encoded and checked, is peer-frames.ts.
 *
 * Graceful close: flush the queue, send Goodbye, then the client side half-closes; the server side
 * ends only after the client half-closed, so frames the other end already wrote are still read.
 *
 * Backpressure: frames wait in the link's queue while the stream's buffer is full; a full queue
 * refuses the frame (`send` returns 'full') and the caller feeds `sendFailed` to the overlay. Memory
 * is bounded per link by `queueCapacity` frames and `linkQueueBytes` bytes (queued, or written and
 * not yet flushed), and across links by the `link-queue` kind of the shared {@link BufferBudget}
 * (a frame fanned out to many links counts once there, since they share one buffer).
 *
 * Trust: the transport dials only what its handler allows ({@link TransportHandler.mayDial}: an
 * address learned from this sidecar's own membership) and that is a peer address by the grammar
 * of src/rpc/peer-address.ts, so neither a dial nor the cluster token it carries ever goes
 * anywhere else; a refused dial is counted and `send` returns 'refused' (a send failure to the
 * overlay). An accepted stream must name a valid dialer and an epoch that is live, retired or
 * within the window above the highest prepared one; otherwise it is refused and counted.
 */
import * as grpc from '@grpc/grpc-js';
import type { NodeId, WireMessage } from '../overlays/types.js';
import type { PeerFrame__Output } from '../rpc/generated/topology/v1/PeerFrame.js';
import { tokenMetadata } from '../rpc/auth.js';
import type { ClusterToken } from '../rpc/cluster-token.js';
import { MAX_EPOCH, type FrameDisposition } from '../member/switch-engine.js';
import type { Logger } from './logger.js';
import { parsePeerAddress, addressRefusal } from '../rpc/peer-address.js';
import { SharedBuffers, type BufferBudget } from '../member/buffer-budget.js';
import type { RefusedInput } from './refusals.js';
import { DEFAULT_MAX_FRAME_BYTES, DRAIN_REASON, EPOCH_KEY, FROM_KEY, IDLE_REASON, LINK_METHOD, PeerFrameCodec, type OutgoingFrame } from './peer-frames.js';
import { Link, cancel, endWithStatus, linkKey, type ClientStream, type LinkEvents, type LinkHost, type ServerStream, type Stream } from './peer-link.js';

/** Frames a link may hold unsent: ~a few seconds of a busy neighbour; beyond it sends fail (backpressure). */
export const DEFAULT_QUEUE_CAPACITY = 4096;
/**
 * Bytes one link may hold unsent (`--link-queue-bytes`): four of the largest frames, or ~4,000
 * frames of a typical 1 KiB; beyond it sends fail (backpressure). Wild guess.
 */
export const DEFAULT_LINK_QUEUE_BYTES = 4 << 20;
/** Bytes all links together may hold unsent (`--queue-bytes`): room for 16 links at their limit. Wild guess. */
export const DEFAULT_QUEUE_BYTES = 64 << 20;
/**
 * Interval between ping rounds (ms): RTT freshness vs. chatter. Pings measure RTT for the metrics;
 * they do not decide liveness (a killed peer resets the connection, a silent one fails the HTTP/2
 * keepalive below, and the overlays probe their own neighbours), so they can be rare.
 */
export const DEFAULT_PING_INTERVAL_MS = 5000;
/** HTTP/2 keepalive ping interval on Peer channels (ms). */
export const KEEPALIVE_TIME_MS = 30_000;
/** How long a keepalive ping may go unanswered before the channel is declared dead (ms). */
export const KEEPALIVE_TIMEOUT_MS = 20_000;
/**
 * Pings per ping interval, across all links of a sidecar: with many links (a 200-member FullMesh
 * has 199 per epoch) pinging every link every interval costs more frames than the app sends, so
 * links take turns (each is pinged every ceil(links / budget) intervals). Measured: a frame costs
 * a sidecar that runs alone in its process ~0.9 ms of CPU (wake-up included) on our 2-core
 * machine, so 50 FullMesh sidecars pinging 10 links every 2 s spent ~0.9 cores on pings alone.
 * Idle, pings were the largest share of a formed overlay's frames (profile of 30 HyParView
 * members: 1 ping and 1 pong received per member per second, of 3.3 frames): one per 5 s keeps a
 * HyParView link's RTT (5 per member) fresh every 25 s.
 */
export const DEFAULT_PINGS_PER_INTERVAL = 1;
/**
 * How long the larger NodeId of a pair waits for the smaller one to dial a link
 * ({@link PeerTransport.connect}) before dialing itself: one connection per pair instead of two.
 * Generous: a 200-member FullMesh forming on two cores takes tens of seconds to complete its
 * ~20,000 handshakes, and a second dial per pair would double that work.
 */
export const CONNECT_GRACE_MS = 10_000;
/**
 * Eager dials ({@link PeerTransport.connect}) made per event-loop turn: a FullMesh member list
 * names every member at once, and ~100 dials in one go (a connection costs ~2.5 ms of CPU, both
 * ends) would hold up Control calls and app traffic behind them.
 */
export const DIALS_PER_TURN = 8;

/** What the transport reports to its owner (the sidecar node): what its links report (messages, failures, malformed frames, bytes), and how to treat an epoch. */
export interface TransportHandler extends LinkEvents {
  /** How to treat a new stream or frame of `epoch`. */
  disposition(epoch: number): FrameDisposition;
  /** Whether this sidecar learned `peer` from its own membership, so it may dial it (and send it the token). */
  mayDial(peer: NodeId): boolean;
  /** A dial of `peer` was refused (counted by the handler). */
  onDialRefused(peer: NodeId, reason: string): void;
}

/** Construction parameters. */
export interface PeerTransportOptions {
  readonly self: NodeId;
  readonly pod: string;
  /** The cluster token, sent on every link it opens (the current one, as the file is re-read). */
  readonly token: ClusterToken | undefined;
  readonly credentials: grpc.ChannelCredentials;
  /**
   * Extra options of every Peer channel, merged over the transport's own (keepalive, backoff,
   * message size); e.g. the TLS server name all peers' certificates are verified against.
   */
  readonly channelOptions?: grpc.ChannelOptions;
  readonly handler: TransportHandler;
  readonly logger: Logger;
  readonly queueCapacity?: number;
  readonly pingIntervalMs?: number;
  readonly pingsPerInterval?: number;
  readonly maxFrameBytes?: number;
  /** See {@link DEFAULT_LINK_QUEUE_BYTES}. */
  readonly linkQueueBytes?: number;
  /** The sidecar's byte budget; links reserve the `link-queue` kind from it. */
  readonly budget: BufferBudget;
}

/** Outcome of queueing a frame: queued, refused by a full queue, or refused because the peer may not be dialed. */
export type SendOutcome = 'queued' | 'full' | 'refused';

/** Per-link figures for metrics. */
export interface LinkStats {
  readonly peer: NodeId;
  readonly queueLength: number;
  readonly rttEwmaMs: number;
  readonly rttP99Ms: number;
}

/** Every Peer link of this sidecar, across epochs. */
export class PeerTransport {
  private readonly links = new Map<string, Link>();
  private readonly channels = new Map<NodeId, { client: grpc.Client; users: number }>();
  private readonly codec: PeerFrameCodec;
  /** What every link of this transport reports to and asks of it. */
  private readonly linkHost: LinkHost;
  private readonly maxFrameBytes: number;
  /** The frame buffers links hold: a fan-out shares one, and the budget counts it once. */
  private readonly frames: SharedBuffers;
  private readonly pingTimer: NodeJS.Timeout;
  private nonce = 0;
  /** Links pinged so far, modulo the link count: where the next ping round starts. */
  private pingCursor = 0;
  private readonly pingsPerInterval: number;
  /** Links waiting for their eager dial, oldest first. */
  private readonly dialQueue: Link[] = [];
  private dialScheduled = false;
  private closed = false;

  constructor(private readonly options: PeerTransportOptions) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.pingsPerInterval = Math.max(1, options.pingsPerInterval ?? DEFAULT_PINGS_PER_INTERVAL);
    this.codec = new PeerFrameCodec(this.maxFrameBytes, options.handler);
    this.frames = new SharedBuffers(options.budget, 'link-queue');
    this.linkHost = {
      self: options.self,
      events: options.handler,
      logger: options.logger,
      isClosed: () => this.closed,
      removeLink: (link) => this.removeLink(link),
      queueCapacity: options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY,
      linkQueueBytes: options.linkQueueBytes ?? DEFAULT_LINK_QUEUE_BYTES,
      retainFrame: (frame) => this.frames.retain(frame),
      releaseFrame: (frame) => this.frames.release(frame),
    };
    this.pingTimer = setInterval(() => this.pingAll(), options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** The serializer of both ends of a Peer stream (the server side's response serializer too); see {@link PeerFrameCodec.encodeFrame}. */
  encodeFrame(f: OutgoingFrame): Buffer {
    return this.codec.encodeFrame(f);
  }

  /** The wrapped deserializer, also used for the server side of the Peer service; see {@link PeerFrameCodec.decodeFrame}. */
  decodeFrame(buf: Buffer, deserialize: (b: Buffer) => PeerFrame__Output): PeerFrame__Output | RefusedInput {
    return this.codec.decodeFrame(buf, deserialize);
  }

  /** Queues `message` for `peer` on `epoch`, dialing the link if there is none (and if `peer` may be dialed). */
  send(epoch: number, peer: NodeId, message: WireMessage): SendOutcome {
    if (this.closed) return 'full';
    const key = linkKey(epoch, peer);
    let link = this.links.get(key);
    if (link !== undefined && (link.closing !== undefined || link.peerSaidGoodbye !== undefined)) {
      // That link is on its way out (one end disconnected it); the overlay wants the peer again: a fresh link.
      this.links.delete(key);
      link = undefined;
    }
    const mustDial = link === undefined || link.streams.length === 0;
    if (mustDial && !this.dialAllowed(peer)) return 'refused';
    const created = link === undefined;
    link ??= this.linkFor(epoch, peer);
    if (!link.enqueue(this.codec.encodeMessage(epoch, message))) {
      if (created) this.removeLink(link);
      return 'full';
    }
    link.lastUsedAt = performance.now();
    if (mustDial && !this.dial(link)) {
      this.removeLink(link);
      return 'refused';
    }
    link.pump();
    return 'queued';
  }

  /**
   * Opens the link to `peer` on `epoch` ahead of any message (FullMesh and ClientServer links are
   * made when the member list names the peer, not at the first message, so the new overlay is
   * connected before traffic is routed over it: make before break). The smaller NodeId dials; the
   * larger dials only if no stream arrived within {@link CONNECT_GRACE_MS}.
   */
  connect(epoch: number, peer: NodeId): void {
    if (this.closed || peer === this.options.self) return;
    const existing = this.links.get(linkKey(epoch, peer));
    if (existing !== undefined && existing.streams.length > 0) return;
    if (!this.dialAllowed(peer)) return;
    if (this.options.self < peer) {
      const link = this.linkFor(epoch, peer);
      if (link.streams.length === 0) this.queueDial(link);
      return;
    }
    const timer = setTimeout(() => {
      if (this.closed || this.options.handler.disposition(epoch) !== 'live') return;
      const link = this.links.get(linkKey(epoch, peer));
      if ((link === undefined || link.streams.length === 0) && this.dialAllowed(peer)) {
        const l = this.linkFor(epoch, peer);
        if (!this.dial(l) && l.queue.length === 0) this.removeLink(l);
      }
    }, CONNECT_GRACE_MS);
    timer.unref();
  }

  private queueDial(link: Link): void {
    this.dialQueue.push(link);
    if (this.dialScheduled) return;
    this.dialScheduled = true;
    setImmediate(() => this.dialSome());
  }

  /** Dials the next {@link DIALS_PER_TURN} queued links still without a stream, then yields. */
  private dialSome(): void {
    this.dialScheduled = false;
    let dialed = 0;
    while (dialed < DIALS_PER_TURN && !this.closed) {
      const link = this.dialQueue.shift();
      if (link === undefined) return;
      if (this.links.get(linkKey(link.epoch, link.peer)) !== link || link.streams.length > 0 || link.closing !== undefined) continue;
      if (this.options.handler.disposition(link.epoch) !== 'live') {
        // The epoch went away before its turn: forget the never-dialed link (if nothing is queued on it).
        if (link.queue.length === 0) this.removeLink(link);
        continue;
      }
      if (!this.dialAllowed(link.peer) || !this.dial(link)) {
        this.removeLink(link);
        continue;
      }
      dialed++;
    }
    if (this.dialQueue.length > 0 && !this.closed) {
      this.dialScheduled = true;
      setImmediate(() => this.dialSome());
    }
  }

  /** True when the link to `peer` on `epoch` is up end to end (the peer's Hello or any frame arrived). */
  established(epoch: number, peer: NodeId): boolean {
    const link = this.links.get(linkKey(epoch, peer));
    return link !== undefined && link.established && link.streams.length > 0 && link.closing === undefined;
  }

  /**
   * Closes links that carried nothing but pings for `idleMs` and that `keep` does not claim (the
   * overlay's neighbours): the transient links of gossip (shuffle replies, direct sends, probe
   * acknowledgements) would otherwise pile up, each with its pings, until a member holds a link
   * to most others. The peer sees an `idle` Goodbye; either end dials again when it needs the link.
   */
  reapIdle(idleMs: number, keep: (epoch: number, peer: NodeId) => boolean): number {
    const cutoff = performance.now() - idleMs;
    let closed = 0;
    for (const link of [...this.links.values()]) {
      if (link.closing !== undefined || link.peerSaidGoodbye !== undefined || link.queue.length > 0 || link.lastUsedAt > cutoff) continue;
      if (keep(link.epoch, link.peer)) continue;
      this.disconnect(link.epoch, link.peer, IDLE_REASON);
      closed++;
    }
    return closed;
  }

  /** Closes the link to `peer` on `epoch` once its queue is flushed. */
  disconnect(epoch: number, peer: NodeId, reason = 'disconnect'): void {
    const link = this.links.get(linkKey(epoch, peer));
    if (link === undefined || link.closing !== undefined) return;
    if (link.streams.length === 0) {
      // Never dialed (an eager dial still waiting its turn) or already down: nothing to say goodbye on.
      this.removeLink(link);
      return;
    }
    link.closing = { reason };
    link.pump();
  }

  /** Gracefully closes every link of `epoch` (a drained overlay): the peers see a drain Goodbye. */
  closeEpoch(epoch: number): void {
    for (const link of [...this.links.values()]) if (link.epoch === epoch) this.disconnect(epoch, link.peer, DRAIN_REASON);
  }

  /** Frames waiting in `epoch`'s queues. */
  queued(epoch: number): number {
    let n = 0;
    for (const link of this.links.values()) if (link.epoch === epoch) n += link.queue.length;
    return n;
  }

  /** Links of `epoch` with at least one open stream. */
  connections(epoch: number): number {
    let n = 0;
    for (const link of this.links.values()) if (link.epoch === epoch && link.streams.length > 0) n++;
    return n;
  }

  /** Per-link figures of `epoch`. */
  linkStats(epoch: number): LinkStats[] {
    const out: LinkStats[] = [];
    for (const link of this.links.values()) {
      if (link.epoch !== epoch) continue;
      out.push({ peer: link.peer, queueLength: link.queue.length, rttEwmaMs: link.rtt.ewma(), rttP99Ms: link.rtt.quantile(0.99) });
    }
    return out;
  }

  /**
   * Closes the link to `peer` on `epoch` at once because of what the peer sent (say, it flooded
   * a buffer): accepted streams end with `code` and `details`, dialed ones are cancelled. The
   * peer sees a failed link; whatever was queued for it is dropped.
   */
  refuseLink(epoch: number, peer: NodeId, code: grpc.status, details: string): void {
    const link = this.links.get(linkKey(epoch, peer));
    if (link === undefined) return;
    for (const s of [...link.streams]) endWithStatus(s, code, details);
  }

  /** Server handler of `Peer.Link` (after authentication). */
  acceptStream(call: ServerStream): void {
    const refuse = (reason: 'bad-link-metadata' | 'bad-address' | 'self-link' | 'far-future-epoch', code: grpc.status, details: string): void => {
      this.options.handler.onMalformed(reason);
      this.options.logger.warn('refused a Peer link', { reason, details });
      call.emit('error', { code, details });
    };
    const fromValues = call.metadata.get(FROM_KEY);
    const epochValues = call.metadata.get(EPOCH_KEY);
    const from = fromValues[0];
    const epochText = epochValues[0];
    if (fromValues.length !== 1 || typeof from !== 'string') {
      refuse('bad-link-metadata', grpc.status.INVALID_ARGUMENT, `Link needs exactly one ${FROM_KEY} metadata value (the dialer's host:port)`);
      return;
    }
    const address = parsePeerAddress(from);
    if (!address.ok) {
      refuse('bad-address', grpc.status.INVALID_ARGUMENT, addressRefusal(`Link metadata ${FROM_KEY}`, from, address.reason));
      return;
    }
    if (from === this.options.self) {
      refuse('self-link', grpc.status.INVALID_ARGUMENT, `Link metadata ${FROM_KEY} names this sidecar itself (${from})`);
      return;
    }
    const epoch = typeof epochText === 'string' && /^[1-9][0-9]{0,15}$/.test(epochText) ? Number(epochText) : NaN;
    if (epochValues.length !== 1 || !Number.isSafeInteger(epoch) || epoch > MAX_EPOCH) {
      refuse('bad-link-metadata', grpc.status.INVALID_ARGUMENT, `Link metadata ${EPOCH_KEY} must be one epoch from 1 to ${MAX_EPOCH}`);
      return;
    }
    if (this.closed) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: `${this.options.self} is shutting down` });
      return;
    }
    if (this.options.handler.disposition(epoch) === 'beyond') {
      refuse(
        'far-future-epoch',
        grpc.status.FAILED_PRECONDITION,
        `Link epoch ${epoch} is too far above the highest epoch prepared on ${this.options.self}: frames are held only for the next few epochs`,
      );
      return;
    }
    // A stream for an epoch already retired here is still accepted: a slower peer may be flushing
    // application messages of it, which the handler delivers and carries on (late frames).
    if (this.options.handler.disposition(epoch) === 'stale') this.options.logger.debug('late stream for a retired epoch', { epoch, peer: from });
    let link = this.linkFor(epoch, from);
    if (link.closing !== undefined || link.peerSaidGoodbye !== undefined) {
      // The old link is on its way out; this stream starts a fresh one rather than being closed with it.
      this.links.delete(linkKey(epoch, from));
      link = this.linkFor(epoch, from);
    }
    const stream: Stream = { direction: 'in', call, gone: false, saidGoodbye: false, clientEnded: false, peerGoodbye: false };
    link.attach(stream);
    call.write({ epoch, hello: { from: this.options.self, pod: this.options.pod } });
  }

  /** Closes every link at once (shutdown) after flushing what can be flushed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const link of this.links.values()) {
      link.closing = { reason: 'shutdown' };
      link.pump();
    }
  }

  /** Hard stop: cancels streams and closes channels. */
  destroy(): void {
    this.close();
    for (const link of this.links.values()) {
      for (const s of link.streams) cancel(s);
      link.discard();
    }
    this.links.clear();
    for (const { client } of this.channels.values()) client.close();
    this.channels.clear();
  }

  /** The link to `peer` on `epoch`, created (undialed) if there is none. */
  private linkFor(epoch: number, peer: NodeId): Link {
    const key = linkKey(epoch, peer);
    let link = this.links.get(key);
    if (link === undefined) {
      link = new Link(epoch, peer, this.linkHost);
      this.links.set(key, link);
    }
    return link;
  }

  /**
   * Whether `peer` may be dialed: a peer address (so `new grpc.Client` cannot throw on it, and it
   * names no resolver scheme), not this sidecar, and learned from its own membership. A refusal is
   * reported to the handler, which counts it.
   */
  private dialAllowed(peer: NodeId): boolean {
    const address = parsePeerAddress(peer);
    let reason: string | undefined;
    if (!address.ok) reason = addressRefusal('peer', peer, address.reason);
    else if (peer === this.options.self) reason = 'this sidecar itself';
    else if (!this.options.handler.mayDial(peer)) reason = 'not a member this sidecar learned from its membership';
    if (reason === undefined) return true;
    this.options.handler.onDialRefused(peer, reason);
    return false;
  }

  private channel(peer: NodeId): grpc.Client {
    let entry = this.channels.get(peer);
    if (entry === undefined) {
      const client = new grpc.Client(peer, this.options.credentials, {
        'grpc.max_receive_message_length': this.maxFrameBytes * 2,
        // Keepalive only for silent network failures (a killed peer resets the connection at
        // once); generous so a CPU-starved peer is not declared dead and its frames dropped.
        'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
        'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2_000,
        // A Peer stream is never retried (a lost link is an overlay event), so grpc-js need not
        // keep every written frame for a retry until the call commits.
        'grpc.enable_retries': 0,
        ...this.options.channelOptions,
      });
      entry = { client, users: 0 };
      this.channels.set(peer, entry);
    }
    entry.users++;
    return entry.client;
  }

  private releaseChannel(peer: NodeId): void {
    const entry = this.channels.get(peer);
    if (entry === undefined) return;
    entry.users--;
    if (entry.users <= 0) {
      entry.client.close();
      this.channels.delete(peer);
    }
  }

  /** Opens a stream of `link` (its peer already allowed by {@link dialAllowed}); false when gRPC refused to (counted). */
  private dial(link: Link): boolean {
    const md = tokenMetadata(this.options.token?.send);
    md.set(FROM_KEY, this.options.self);
    md.set(EPOCH_KEY, String(link.epoch));
    let client: grpc.Client;
    let call: ClientStream;
    try {
      client = this.channel(link.peer);
    } catch (err) {
      this.options.handler.onDialRefused(link.peer, `gRPC refused the target: ${(err as Error).message}`);
      return false;
    }
    try {
      call = client.makeBidiStreamRequest<OutgoingFrame, PeerFrame__Output | RefusedInput>(
        LINK_METHOD,
        (f) => this.encodeFrame(f),
        this.codec.deserializeFrame,
        md,
        {},
      ) as ClientStream;
    } catch (err) {
      this.releaseChannel(link.peer);
      this.options.handler.onDialRefused(link.peer, `gRPC refused the call: ${(err as Error).message}`);
      return false;
    }
    const stream: Stream = { direction: 'out', call, gone: false, saidGoodbye: false, clientEnded: false, peerGoodbye: false };
    call.write({ epoch: link.epoch, hello: { from: this.options.self, pod: this.options.pod } });
    link.attach(stream);
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        this.releaseChannel(link.peer);
      }
    };
    call.on('status', release);
    call.on('error', release);
    return true;
  }

  private removeLink(link: Link): void {
    const key = linkKey(link.epoch, link.peer);
    if (this.links.get(key) === link) this.links.delete(key);
    link.discard();
  }

  /** Pings the next {@link DEFAULT_PINGS_PER_INTERVAL} established links, round robin. */
  private pingAll(): void {
    const now = performance.now();
    const links = [...this.links.values()];
    if (links.length === 0) return;
    const budget = Math.min(this.pingsPerInterval, links.length);
    const start = this.pingCursor % links.length;
    this.pingCursor = start + budget;
    for (let k = 0; k < budget; k++) {
      const link = links[(start + k) % links.length] as Link;
      if (!link.established || link.closing !== undefined || link.queue.length > 0) continue;
      const w = link.preferred();
      if (w === undefined) continue;
      w.call.write({ epoch: link.epoch, ping: { nonce: ++this.nonce, sentAtMs: now } });
    }
  }
}
