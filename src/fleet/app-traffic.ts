/**
 * Test applications for the loopback fleet: one Overlay API client per member that subscribes to
 * its deliveries and records them, plus a steady traffic generator (broadcasts and point-to-point
 * sends at a fixed rate, destinations drawn from a seeded generator). `auditDeliveries` then says,
 * from what each receiver recorded, which messages were lost or delivered twice; the fault matrix
 * audits the full contract, GAPs included, with src/fleet/delivery-audit.ts from `events`.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../rpc/proto.js';
import type { OverlayClient } from '../rpc/generated/topology/v1/Overlay.js';
import type { Delivery__Output } from '../rpc/generated/topology/v1/Delivery.js';
import type { SendReply__Output } from '../rpc/generated/topology/v1/SendReply.js';
import { SeededRandom } from '../overlays/random.js';
import type { ReceivedEvent } from './delivery-audit.js';

/** A message the generator sent, as its sidecar acknowledged it. */
export interface SentRecord {
  readonly id: string;
  readonly origin: string;
  /** Undefined for broadcasts. */
  readonly to: string | undefined;
  readonly epoch: number;
  /** When the reply came (ms, this process's clock). */
  readonly sentAt: number;
  /** When the call was made: the sidecar accepted the message between this and `sentAt`. */
  readonly requestedAt: number;
  /** The origin sidecar's session and the message's seq in its channel (SendReply). */
  readonly session: string;
  readonly seq: number;
}

/** Options of {@link AppClient}. */
export interface AppClientOptions {
  /**
   * Subscribe again, resuming after the last delivery, whenever the stream ends without
   * {@link AppClient.disconnect} or {@link AppClient.close} (its sidecar restarted, say).
   * Default false: a stream that ends stays ended.
   */
  readonly resubscribe?: boolean;
}

/** Wait before subscribing again after a stream ended (ms); the channel's own reconnect backoff does the rest. Wild guess. */
export const RESUBSCRIBE_DELAY_MS = 100;
/**
 * Reconnect backoff of an app that resubscribes (ms): its sidecar is on the same host and back
 * within seconds, so it retries at once and at most every second, not grpc-js's default of up to
 * 120 s. Wild guess.
 */
export const RESUBSCRIBE_BACKOFF_MS = { initial: 100, max: 1_000 } as const;

/** `Delivery.kind` of a GAP, and the prefix of `Gap.reason` names (overlay.proto). */
const GAP_KIND = 'DELIVERY_KIND_GAP';
const GAP_REASON_PREFIX = 'GAP_REASON_';

/** One member's app: Overlay API client and delivery log. */
export class AppClient {
  private readonly client: OverlayClient;
  private stream: grpc.ClientReadableStream<Delivery__Output> | undefined;
  /** Whether a stream should be open (subscribed and neither disconnected nor closed). */
  private wanted = false;
  private retry: NodeJS.Timeout | undefined;
  /** Delivery count per message id (GAPs are not messages and are not counted here). */
  readonly received = new Map<string, number>();
  /** Origin-to-delivery latency samples (ms). */
  readonly latencies: number[] = [];
  readonly sent: SentRecord[] = [];
  /** Everything delivered, messages and GAPs, in arrival order (what the contract audit reads). */
  readonly events: ReceivedEvent[] = [];
  /** The session and cursor of the last delivery processed: where a new stream resumes. */
  resumePoint: { readonly session: string; readonly after: number } | undefined;
  /** Subscribe streams opened so far. */
  subscriptions = 0;
  sendErrors = 0;

  constructor(
    readonly member: string,
    appAddress: string,
    private readonly options: AppClientOptions = {},
  ) {
    const Ctor = loadProto().topology.v1.Overlay;
    const channelOptions: grpc.ChannelOptions =
      options.resubscribe === true
        ? { 'grpc.initial_reconnect_backoff_ms': RESUBSCRIBE_BACKOFF_MS.initial, 'grpc.max_reconnect_backoff_ms': RESUBSCRIBE_BACKOFF_MS.max }
        : {};
    this.client = new Ctor(appAddress, grpc.credentials.createInsecure(), channelOptions);
  }

  /**
   * Opens the Subscribe stream, resuming after {@link resumePoint} when there is one, and resolves
   * once the sidecar has it (or could not be reached).
   */
  subscribe(): Promise<void> {
    this.wanted = true;
    clearTimeout(this.retry);
    this.stream?.cancel();
    const stream = this.client.Subscribe(
      this.resumePoint === undefined ? {} : { resumeSession: this.resumePoint.session, resumeAfter: this.resumePoint.after },
    );
    this.stream = stream;
    this.subscriptions++;
    stream.on('data', (d: Delivery__Output) => this.record(d));
    const ended = (): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (this.wanted && this.options.resubscribe === true) this.retry = setTimeout(() => void this.subscribe(), RESUBSCRIBE_DELAY_MS);
    };
    stream.on('error', ended);
    stream.on('end', ended);
    return new Promise((resolve) => {
      stream.on('metadata', () => resolve());
      // Servers send headers on first write; a Members round trip orders us after registration.
      this.client.Members({}, () => resolve());
    });
  }

  /** Whether the app wants a stream open: subscribed, and neither disconnected nor closed since. */
  get subscribed(): boolean {
    return this.wanted;
  }

  /** Ends the stream, as an app that goes away; {@link subscribe} later resumes where it left off. */
  disconnect(): void {
    this.wanted = false;
    clearTimeout(this.retry);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
  }

  /** Stops reading the stream (gRPC flow control then holds the sidecar back): a slow app. */
  pauseReading(): void {
    this.stream?.pause();
  }

  /** Reads the stream again after {@link pauseReading}. */
  resumeReading(): void {
    this.stream?.resume();
  }

  /** Members the routed overlay knows. */
  members(): Promise<{ epoch: number; members: string[] }> {
    return new Promise((resolve, reject) =>
      this.client.Members({}, (err, r) => (err || !r ? reject(err ?? new Error('no reply')) : resolve({ epoch: r.epoch, members: r.members }))),
    );
  }

  /** Broadcast (`to` undefined) or send; records the id, session and seq on success. */
  send(to: string | undefined, payload: Buffer): Promise<SentRecord | undefined> {
    const requestedAt = Date.now();
    return new Promise((resolve) => {
      const cb = (err: grpc.ServiceError | null, r?: SendReply__Output): void => {
        if (err || !r) {
          this.sendErrors++;
          resolve(undefined);
          return;
        }
        const rec: SentRecord = { id: r.id, origin: this.member, to, epoch: r.epoch, sentAt: Date.now(), requestedAt, session: r.session, seq: r.seq };
        this.sent.push(rec);
        resolve(rec);
      };
      if (to === undefined) this.client.Broadcast({ payload }, { deadline: Date.now() + 5000 }, cb);
      else this.client.Send({ to, payload }, { deadline: Date.now() + 5000 }, cb);
    });
  }

  close(): void {
    this.disconnect();
    this.client.close();
  }

  private record(d: Delivery__Output): void {
    this.resumePoint = { session: d.session, after: d.cursor };
    if (d.kind === GAP_KIND) {
      const gap = d.gap;
      this.events.push({
        kind: 'gap',
        reason: (gap?.reason ?? '').replace(GAP_REASON_PREFIX, ''),
        ranges: (gap?.ranges ?? []).map((r) => ({ origin: r.origin, originSession: r.originSession, direct: r.direct, fromSeq: r.fromSeq, toSeq: r.toSeq })),
        session: d.session,
        cursor: d.cursor,
        deliveredAt: d.deliveredAtMs,
      });
      return;
    }
    this.received.set(d.id, (this.received.get(d.id) ?? 0) + 1);
    this.latencies.push(d.deliveredAtMs - d.sentAtMs);
    this.events.push({
      kind: 'message',
      id: d.id,
      origin: d.origin,
      originSession: d.originSession,
      seq: d.seq,
      direct: d.to !== '',
      sentAt: d.sentAtMs,
      session: d.session,
      cursor: d.cursor,
    });
  }
}

/** Options of {@link TrafficGenerator}. */
export interface TrafficOptions {
  /** Messages per second per member (half broadcasts, half point-to-point). */
  readonly ratePerMember: number;
  readonly seed: number;
  readonly payloadBytes?: number;
}

/** Shortest interval between generator ticks (ms): finer spreading costs timer wake-ups for nothing. */
export const MIN_TICK_MS = 5;

/**
 * Sends steady traffic from every app until stopped. The apps take turns, spread evenly over each
 * period (1 / rate): 200 members at 0.2 msg/s send one message every 25 ms, not 200 at once every
 * 5 s, so what is measured is the overlay's latency and not the queueing of a synchronized burst.
 * Which app sends, and whether a broadcast or a send and to whom, depend only on the seed.
 */
export class TrafficGenerator {
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Sends issued so far; the next one is from apps[issued % apps.length]. */
  private issued = 0;

  constructor(
    private readonly apps: readonly AppClient[],
    private readonly options: TrafficOptions,
  ) {}

  /** Starts sending. Destinations are drawn among the apps' members. */
  start(): void {
    const random = new SeededRandom(this.options.seed);
    const payload = Buffer.alloc(this.options.payloadBytes ?? 64, 7);
    const n = this.apps.length;
    if (n === 0) return;
    const periodMs = 1000 / this.options.ratePerMember;
    const t0 = performance.now();
    const tick = (): void => {
      // Sends due by now at n per period; a late timer catches up rather than lowering the rate.
      const due = Math.floor(((performance.now() - t0) / periodMs) * n) + 1;
      while (this.issued < due) {
        const round = Math.floor(this.issued / n);
        const app = this.apps[this.issued % n] as AppClient;
        this.issued++;
        const broadcast = (round + random.int(2)) % 2 === 0;
        let to: string | undefined;
        if (!broadcast) {
          const others = this.apps.filter((a) => a !== app);
          to = others[random.int(others.length)]?.member;
        }
        const p = app.send(to, payload);
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
      }
    };
    tick();
    this.timer = setInterval(tick, Math.max(MIN_TICK_MS, periodMs / n));
  }

  /** Stops sending and waits for sends in flight to be acknowledged. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inflight]);
  }
}

/** Result of checking deliveries against what was sent. */
export interface DeliveryAudit {
  readonly sent: number;
  readonly expectedDeliveries: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  /** A few examples, for failure messages. */
  readonly lostExamples: string[];
  readonly duplicateExamples: string[];
}

/**
 * Audits deliveries: every broadcast must reach each receiver in `receivers` other than its
 * origin exactly once; every point-to-point message its destination exactly once (if that is a
 * receiver). Pure.
 */
export function auditDeliveries(
  sent: readonly Pick<SentRecord, 'id' | 'origin' | 'to' | 'epoch'>[],
  receivers: ReadonlyMap<string, ReadonlyMap<string, number>>,
): DeliveryAudit {
  let expected = 0;
  let delivered = 0;
  let lost = 0;
  let duplicated = 0;
  const lostExamples: string[] = [];
  const duplicateExamples: string[] = [];
  for (const s of sent) {
    const targets = s.to === undefined ? [...receivers.keys()].filter((r) => r !== s.origin) : receivers.has(s.to) ? [s.to] : [];
    for (const r of targets) {
      expected++;
      const n = receivers.get(r)?.get(s.id) ?? 0;
      if (n === 0) {
        lost++;
        if (lostExamples.length < 5) lostExamples.push(`${s.id} (epoch ${s.epoch}) → ${r}`);
      } else {
        delivered++;
        if (n > 1) {
          duplicated += n - 1;
          if (duplicateExamples.length < 5) duplicateExamples.push(`${s.id} ×${n} at ${r}`);
        }
      }
    }
  }
  return { sent: sent.length, expectedDeliveries: expected, delivered, lost, duplicated, lostExamples, duplicateExamples };
}

/**
 * The audit once the last deliveries have landed: polls until nothing is missing or `timeoutMs`
 * passed, then returns the audit either way (the caller asserts on it, with the lost messages).
 */
export async function auditWhenSettled(
  sent: () => readonly SentRecord[],
  received: () => ReadonlyMap<string, ReadonlyMap<string, number>>,
  timeoutMs: number,
  pollMs = 50,
): Promise<ReturnType<typeof auditDeliveries>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const audit = auditDeliveries(sent(), received());
    if (audit.lost === 0 || Date.now() > deadline) return audit;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Waits until `check` holds, polling every `pollMs`; throws, saying what it waited for, when
 * `timeoutMs` pass first (a wait whose result could be ignored would let a test go on from a
 * precondition that never held). `what` may be a function, so the message can describe the
 * state at the timeout.
 */
export async function waitUntil(what: string | (() => string), check: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
