/**
 * One Peer link: the link to one neighbour on one epoch, its streams (one, or two while both ends
 * dial at once), its send queue and its close handshake. The transport (peer-transport.ts) holds
 * every link, dials and accepts their streams and pings them; a link moves frames.
 *
 * Two streams: both are read to their end, but only the one dialed by the smaller NodeId carries
 * frames; the other is ended by its dialer. The link fails when its last stream errors or ends
 * without a Goodbye: that is the failure signal HyParView needs (`linkDown`).
 *
 * Graceful close: flush the queue, send Goodbye, then the client side half-closes; the server side
 * ends only after the client half-closed, so frames the other end already wrote are still read.
 *
 * Backpressure: frames wait in the queue while the stream's buffer is full; {@link Link.enqueue}
 * refuses a frame beyond the link's frame capacity or byte limit, or when the transport's byte
 * budget says no. A link holds a frame's bytes from the moment it is queued until gRPC reports it
 * written (the write callback), or until its stream or the link is gone.
 *
 * Input: a frame the guarded deserializer refused (a {@link RefusedInput}: oversized or
 * undecodable, already counted) ends its stream with the status it carries.
 */
import type * as grpc from '@grpc/grpc-js';
import type { NodeId, WireMessage } from '../overlays/types.js';
import type { PeerFrame__Output } from '../rpc/generated/topology/v1/PeerFrame.js';
import { decodeWireMessage } from './wire-codec.js';
import { LatencyWindow } from './latency-window.js';
import { DRAIN_REASON, type FrameEvents, type OutgoingFrame } from './peer-frames.js';
import type { Logger } from './logger.js';
import { isRefused, type RefusedInput } from './refusals.js';

/** The client (dialing) side of a Peer stream. */
export type ClientStream = grpc.ClientDuplexStream<OutgoingFrame, PeerFrame__Output>;
/** The server (accepting) side of a Peer stream. */
export type ServerStream = grpc.ServerDuplexStream<PeerFrame__Output, OutgoingFrame>;

/** What a link reports to the transport's handler (see `TransportHandler`). */
export interface LinkEvents extends FrameEvents {
  /** A decoded overlay message from `from` on `epoch`. */
  onMessage(epoch: number, from: NodeId, message: WireMessage): void;
  /** The link to `peer` on `epoch` failed or was closed by the peer (not during a drain). */
  onLinkDown(epoch: number, peer: NodeId): void;
}

/** What a link needs from the transport that holds it. */
export interface LinkHost {
  /** This sidecar's NodeId: of two streams, the one dialed by the smaller NodeId carries frames. */
  readonly self: NodeId;
  readonly events: LinkEvents;
  readonly logger: Logger;
  /** The transport shut down: a lost link is no longer reported. */
  isClosed(): boolean;
  /** Forgets `link`, if it is still the transport's link of its epoch and peer (and releases what it still holds). */
  removeLink(link: Link): void;
  /** Most frames one link may queue. */
  readonly queueCapacity: number;
  /** Most bytes one link may hold (queued, or written and not yet flushed). */
  readonly linkQueueBytes: number;
  /** Accounts `frame` entering a link (the transport's byte budget; one frame shared by many links counts once); false refuses it. */
  retainFrame(frame: Buffer): boolean;
  /** `frame` left a link: written and flushed, or dropped. */
  releaseFrame(frame: Buffer): void;
}

/** One stream of a link, and how far its close handshake went. */
export interface Stream {
  readonly direction: 'out' | 'in';
  readonly call: ClientStream | ServerStream;
  gone: boolean;
  /** We wrote Goodbye on it. */
  saidGoodbye: boolean;
  /** The client side half-closed (inbound streams only). */
  clientEnded: boolean;
  /** The peer wrote Goodbye on it: nothing more is written on it. */
  peerGoodbye: boolean;
  /** Frames written on it whose write gRPC has not reported done (their bytes are still held). */
  inflight?: Buffer[];
}

/** Longest round trip a pong may report (ms); one claiming more did not echo our timestamp. Generous: a starved peer answers late. */
export const MAX_PONG_RTT_MS = 60_000;

/** The key of the link to `peer` on `epoch` in the transport's map. */
export function linkKey(epoch: number, peer: NodeId): string {
  return `${epoch} ${peer}`;
}

/** The link to one neighbour on one epoch; see the file comment. */
export class Link {
  readonly streams: Stream[] = [];
  /** Encoded overlay frames waiting for the stream. */
  readonly queue: Buffer[] = [];
  /** Bytes of the frames this link holds: queued, plus written and not yet flushed. */
  heldBytes = 0;
  blockedOn: Stream | undefined;
  /** Closing gracefully: once the queue is flushed, Goodbye and end. */
  closing: { readonly reason: string } | undefined;
  /** The peer said Goodbye: not a failure. */
  peerSaidGoodbye: string | undefined;
  /** A frame came from the peer: the link is up end to end (a dialed stream alone is not). */
  established = false;
  /** Last time a non-ping frame was queued or received (ms, performance clock). */
  lastUsedAt = performance.now();
  readonly rtt = new LatencyWindow(128);
  constructor(
    readonly epoch: number,
    readonly peer: NodeId,
    private readonly host: LinkHost,
  ) {}

  /** Queues an encoded frame; false (nothing queued) when the frame capacity, the byte limit or the budget refuses it. */
  enqueue(frame: Buffer): boolean {
    if (this.queue.length >= this.host.queueCapacity || this.heldBytes + frame.length > this.host.linkQueueBytes) return false;
    if (!this.host.retainFrame(frame)) return false;
    this.heldBytes += frame.length;
    this.queue.push(frame);
    return true;
  }

  /** Drops what the link still holds (its queue, and the frames in flight on its streams): the link is gone. */
  discard(): void {
    for (const frame of this.queue.splice(0)) this.dropHeld(frame);
    for (const s of this.streams) this.releaseInflight(s);
  }

  /** Adds a dialed or accepted stream: its frames are read, its end is watched. */
  attach(stream: Stream): void {
    this.streams.push(stream);
    const call = stream.call;
    call.on('data', (frame: PeerFrame__Output | RefusedInput) => {
      // A stream already ended (refused, cancelled) may still hand over frames gRPC had read
      // ahead; answering one (a pong) would write after the end and lose the stream's status.
      if (stream.gone) return;
      if (isRefused(frame)) this.refuse(stream, frame);
      else this.onFrame(stream, frame);
    });
    call.on('error', (err: Error) => {
      this.host.logger.debug('peer stream error', { epoch: this.epoch, peer: this.peer, error: err.message });
      this.streamGone(stream);
    });
    if (stream.direction === 'out') {
      call.on('end', () => this.streamGone(stream));
    } else {
      call.on('end', () => {
        stream.clientEnded = true;
        this.maybeEndInbound(stream);
      });
      (call as ServerStream).on('cancelled', () => this.streamGone(stream));
      call.on('close', () => this.streamGone(stream));
    }
    this.retireExtraStreams();
    this.pump();
  }

  /** With two streams, only the one dialed by the smaller NodeId carries frames; its twin is ended by its dialer. */
  preferred(): Stream | undefined {
    const live = this.streams.filter((s) => !s.gone && !s.saidGoodbye && !s.peerGoodbye);
    if (live.length <= 1) return live[0];
    const want: 'out' | 'in' = this.host.self < this.peer ? 'out' : 'in';
    return live.find((s) => s.direction === want) ?? live[0];
  }

  private retireExtraStreams(): void {
    const keep = this.preferred();
    for (const s of this.streams) {
      if (s === keep || s.gone || s.direction !== 'out' || s.saidGoodbye) continue;
      // Our own twin stream: half-close it quietly; the peer reads to its end and ends too.
      s.saidGoodbye = true;
      s.call.end();
    }
  }

  /** Writes queued frames until the stream's buffer is full; on a closing link, then closes. */
  pump(): void {
    for (;;) {
      const writer = this.preferred();
      if (writer === undefined) return;
      if (this.blockedOn !== undefined && !this.blockedOn.gone && this.blockedOn === writer) return;
      this.blockedOn = undefined;
      const frame = this.queue.shift();
      if (frame === undefined) break;
      this.host.events.onBytes('out', this.epoch, frame.length);
      (writer.inflight ??= []).push(frame);
      const more = writer.call.write(frame, () => this.flushed(writer, frame));
      if (!more) {
        this.blockedOn = writer;
        writer.call.once('drain', () => {
          if (this.blockedOn === writer) this.blockedOn = undefined;
          this.pump();
        });
        return;
      }
    }
    if (this.closing !== undefined || this.peerSaidGoodbye !== undefined) this.finishClose();
  }

  /** Queue flushed on a closing link: Goodbye on every stream, then end what we may end. */
  private finishClose(): void {
    const reason = this.closing?.reason ?? this.peerSaidGoodbye ?? 'closed';
    for (const s of this.streams) {
      if (s.gone) continue;
      if (!s.saidGoodbye) {
        s.saidGoodbye = true;
        if (this.peerSaidGoodbye === undefined) s.call.write({ epoch: this.epoch, goodbye: { reason } });
        if (s.direction === 'out') s.call.end();
      }
      if (s.direction === 'in') this.maybeEndInbound(s);
    }
    if (this.streams.every((s) => s.gone)) this.host.removeLink(this);
  }

  /** A server stream ends only after its client half-closed (so nothing the client wrote is lost) and after our Goodbye. */
  private maybeEndInbound(s: Stream): void {
    if (s.gone || !s.clientEnded) return;
    // The client half-closed: it writes nothing more. Frames still queued move to the twin stream, if any.
    s.saidGoodbye = true;
    (s.call as ServerStream).end();
    if (this.queue.length > 0) this.pump();
  }

  /** gRPC wrote `frame` on `s`: its bytes are no longer held (unless `s` is gone and released them already). */
  private flushed(s: Stream, frame: Buffer): void {
    if (s.gone || s.inflight === undefined) return;
    const i = s.inflight.indexOf(frame);
    if (i < 0) return;
    s.inflight.splice(i, 1);
    this.dropHeld(frame);
  }

  private releaseInflight(s: Stream): void {
    const inflight = s.inflight;
    s.inflight = undefined;
    for (const frame of inflight ?? []) this.dropHeld(frame);
  }

  private dropHeld(frame: Buffer): void {
    this.heldBytes -= frame.length;
    this.host.releaseFrame(frame);
  }

  /** Ends `s` with the status of a frame its deserializer refused (counted there). */
  private refuse(s: Stream, refused: RefusedInput): void {
    this.host.logger.warn('refused a peer frame', { epoch: this.epoch, peer: this.peer, code: refused.code, reason: refused.details });
    endWithStatus(s, refused.code, refused.details);
  }

  private streamGone(s: Stream): void {
    if (s.gone) return;
    s.gone = true;
    this.releaseInflight(s);
    const i = this.streams.indexOf(s);
    if (i >= 0) this.streams.splice(i, 1);
    if (this.streams.some((x) => !x.gone)) {
      this.pump();
      return;
    }
    const graceful = this.closing !== undefined || this.peerSaidGoodbye !== undefined;
    this.host.removeLink(this);
    if (this.host.isClosed()) return;
    if (!graceful || (this.closing === undefined && this.peerSaidGoodbye !== DRAIN_REASON)) {
      this.host.events.onLinkDown(this.epoch, this.peer);
    }
  }

  private onFrame(s: Stream, frame: PeerFrame__Output): void {
    if (frame.epoch !== this.epoch) {
      this.host.events.onMalformed('epoch-mismatch');
      return;
    }
    this.established = true;
    switch (frame.body) {
      case 'message': {
        this.lastUsedAt = performance.now();
        if (frame.message === undefined || frame.message === null) break;
        const decoded = decodeWireMessage(frame.message);
        if (!decoded.ok) {
          this.host.events.onMalformed(decoded.counted);
          this.host.logger.warn('refused malformed overlay message', { epoch: this.epoch, peer: this.peer, reason: decoded.reason });
          return;
        }
        this.host.events.onMessage(this.epoch, this.peer, decoded.value);
        return;
      }
      case 'ping':
        if (frame.ping && !s.saidGoodbye && !s.gone) s.call.write({ epoch: this.epoch, pong: { nonce: frame.ping.nonce, sentAtMs: frame.ping.sentAtMs } });
        return;
      case 'pong': {
        if (!frame.pong) return;
        // Our own timestamp echoed: anything else (a forged or garbled pong) would poison the RTT figures.
        const rtt = performance.now() - frame.pong.sentAtMs;
        if (Number.isFinite(rtt) && rtt >= 0 && rtt <= MAX_PONG_RTT_MS) this.rtt.add(rtt);
        else this.host.events.onMalformed('bad-number');
        return;
      }
      case 'goodbye':
        s.peerGoodbye = true;
        if (this.streams.some((x) => x !== s && !x.gone && !x.saidGoodbye && !x.peerGoodbye)) {
          // The peer closed one stream of a link that goes on over another: the peer closed an
          // idle link and, in the same breath, dialed a fresh one that arrived first. Only this
          // stream ends; the queue moves to the live one.
          if (s.direction === 'out' && !s.saidGoodbye) {
            s.saidGoodbye = true;
            s.call.end();
          }
          this.pump();
          return;
        }
        this.peerSaidGoodbye = frame.goodbye?.reason || 'goodbye';
        if (s.direction === 'out' && !s.saidGoodbye) {
          // Peer closing: flush our queue on this stream, then half-close.
          this.pump();
          this.finishClose();
        }
        return;
      case 'hello':
        if (frame.hello && frame.hello.from !== this.peer) this.host.events.onMalformed('hello-mismatch');
        return;
      default:
        this.host.events.onMalformed('empty-frame');
    }
  }
}

/** Hard stop of one stream: the client side is cancelled, the server side ended. */
export function cancel(s: Stream): void {
  if (s.gone) return;
  s.gone = true;
  if (s.direction === 'out') (s.call as ClientStream).cancel();
  else (s.call as ServerStream).end();
}

/**
 * Ends `s` because of what the peer sent: an accepted stream ends with `code` and `details` (the
 * peer reads them as the call's status), a dialed one is cancelled (a client cannot send a status).
 */
export function endWithStatus(s: Stream, code: grpc.status, details: string): void {
  if (s.gone) return;
  if (s.direction === 'out') (s.call as ClientStream).cancel();
  else (s.call as ServerStream).emit('error', Object.assign(new Error(details), { code, details }));
}
