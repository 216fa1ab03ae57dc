/**
 * Test applications for the loopback fleet: one Overlay API client per member that subscribes to
 * its deliveries and records them, plus a steady traffic generator (broadcasts and point-to-point
 * sends at a fixed rate, destinations drawn from a seeded generator). `auditDeliveries` then says,
 * from what each receiver recorded, which messages were lost or delivered twice (the fault matrix
 * audits the full contract, GAPs included, with src/member/delivery-audit.ts from `events`), and
 * every send the sidecar refused (or that timed out) is tallied by gRPC status with a few examples.
 */
import * as grpc from '@grpc/grpc-js';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { loadProto } from '../rpc/proto.js';
import type { OverlayClient } from '../rpc/generated/topology/v1/Overlay.js';
import type { Delivery__Output } from '../rpc/generated/topology/v1/Delivery.js';
import type { SendReply__Output } from '../rpc/generated/topology/v1/SendReply.js';
import { SeededRandom } from '../overlays/random.js';
import type { ReceivedEvent } from '../member/delivery-audit.js';

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

/**
 * Deadline of an app's Send and Broadcast (ms). A sidecar answers from its own event loop without
 * waiting on the network, so a reply takes milliseconds; 5 s is for a machine so loaded that its
 * processes get a sliver of a core. Wild guess.
 */
export const APP_SEND_DEADLINE_MS = 5_000;
/** Failed sends kept as examples per status code and app: enough to see a pattern, bounded. */
export const SEND_ERROR_SAMPLES = 3;

/** One failed send, as an example for failure messages. */
export interface SendErrorSample {
  readonly method: 'Send' | 'Broadcast';
  /** When the call was made (ms since the Unix epoch). */
  readonly startedAt: number;
  /** How long it took to fail (ms). */
  readonly waitedMs: number;
  /** The status details (grpc-js puts timings of a deadline in them). */
  readonly details: string;
}

/** Failed sends of one gRPC status code: how many, and the first few. */
export interface SendErrorTally {
  count: number;
  readonly samples: SendErrorSample[];
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
  /** Sends that failed, by gRPC status code: every error is accounted for, not only counted. */
  readonly sendErrorsByCode = new Map<grpc.status, SendErrorTally>();
  /** Everything delivered, messages and GAPs, in arrival order (what the contract audit reads). */
  readonly events: ReceivedEvent[] = [];
  /** The session and cursor of the last delivery processed: where a new stream resumes. */
  resumePoint: { readonly session: string; readonly after: number } | undefined;
  /** Subscribe streams opened so far. */
  subscriptions = 0;

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

  /** The members with their pods and tags (App API v2 `member_details`). */
  memberDetails(): Promise<{ address: string; pod: string; tags: Record<string, string> }[]> {
    return new Promise((resolve, reject) =>
      this.client.Members({}, (err, r) =>
        err || !r ? reject(err ?? new Error('no reply')) : resolve(r.memberDetails.map((m) => ({ address: m.address, pod: m.pod, tags: { ...m.tags } }))),
      ),
    );
  }

  /** Failed sends, all codes together. */
  get sendErrors(): number {
    let n = 0;
    for (const t of this.sendErrorsByCode.values()) n += t.count;
    return n;
  }

  /** Forgets the failed sends (a test starting a new ledger). */
  clearSendErrors(): void {
    this.sendErrorsByCode.clear();
  }

  /** Broadcast (`to` undefined) or send; records the id on success, the status on failure. */
  send(to: string | undefined, payload: Buffer): Promise<SentRecord | undefined> {
    const method = to === undefined ? 'Broadcast' : 'Send';
    const startedAt = Date.now();
    const requestedAt = startedAt;
    return new Promise((resolve) => {
      const cb = (err: grpc.ServiceError | null, r?: SendReply__Output): void => {
        if (err || !r) {
          this.recordSendError(err?.code ?? grpc.status.UNKNOWN, { method, startedAt, waitedMs: Date.now() - startedAt, details: err?.details ?? 'no reply' });
          resolve(undefined);
          return;
        }
        const rec: SentRecord = { id: r.id, origin: this.member, to, epoch: r.epoch, sentAt: Date.now(), requestedAt, session: r.session, seq: r.seq };
        this.sent.push(rec);
        resolve(rec);
      };
      const options = { deadline: startedAt + APP_SEND_DEADLINE_MS };
      if (to === undefined) this.client.Broadcast({ payload }, options, cb);
      else this.client.Send({ to, payload }, options, cb);
    });
  }

  private recordSendError(code: grpc.status, sample: SendErrorSample): void {
    let tally = this.sendErrorsByCode.get(code);
    if (tally === undefined) this.sendErrorsByCode.set(code, (tally = { count: 0, samples: [] }));
    tally.count++;
    if (tally.samples.length < SEND_ERROR_SAMPLES) tally.samples.push(sample);
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
/** Sampling resolution of the generator's event-loop delay histogram (ms): Node's default. */
const LOOP_DELAY_RESOLUTION_MS = 10;

/**
 * How loaded this process was while traffic was on. The apps, their Subscribe streams and the
 * generator share one process: when it is starved, its deadline timers fire late and replies sit
 * unread, so a DEADLINE_EXCEEDED with a large delay here says the client was slow, not a sidecar.
 */
export interface ClientLoad {
  /** Event-loop delay (ms): how late timers and I/O callbacks ran. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** CPU this process used per second of traffic (ms/s; 1000 is one whole core). */
  readonly cpuMsPerSecond: number;
}

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
  private loopDelayHistogram: IntervalHistogram | undefined;
  private started: { readonly at: number; readonly cpu: NodeJS.CpuUsage } | undefined;
  private stopped: { readonly at: number; readonly cpu: NodeJS.CpuUsage } | undefined;

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
    this.loopDelayHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.loopDelayHistogram.enable();
    this.started = { at: performance.now(), cpu: process.cpuUsage() };
    this.stopped = undefined;
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

  /** This process's load from {@link start} to {@link stop} (or now): see {@link ClientLoad}. */
  clientLoad(): ClientLoad {
    const h = this.loopDelayHistogram;
    const from = this.started;
    if (h === undefined || from === undefined) return { loopDelayP99Ms: 0, loopDelayMaxMs: 0, cpuMsPerSecond: 0 };
    const to = this.stopped ?? { at: performance.now(), cpu: process.cpuUsage() };
    const cpuMs = (to.cpu.user + to.cpu.system - from.cpu.user - from.cpu.system) / 1000;
    const seconds = Math.max(1e-3, (to.at - from.at) / 1000);
    const ms = (ns: number): number => (h.count === 0 ? 0 : Math.round(ns / 1e6));
    return { loopDelayP99Ms: ms(h.percentile(99)), loopDelayMaxMs: ms(h.max), cpuMsPerSecond: Math.round(cpuMs / seconds) };
  }

  /** Stops sending and waits for sends in flight to be acknowledged. */
  async stop(): Promise<void> {
    this.loopDelayHistogram?.disable();
    if (this.started !== undefined && this.stopped === undefined) this.stopped = { at: performance.now(), cpu: process.cpuUsage() };
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inflight]);
  }
}

/**
 * The failed sends of `apps`, for a failure message: per gRPC status code, the count and which
 * apps, then the first examples with their time relative to `t0` (ms since the Unix epoch, say
 * when traffic started, so they can be matched with the switches' marks). Empty when none failed.
 */
export function describeSendErrors(apps: readonly AppClient[], t0: number, examples = 5): string {
  const byCode = new Map<grpc.status, { count: number; apps: Map<string, number>; samples: string[] }>();
  for (const app of apps) {
    for (const [code, tally] of app.sendErrorsByCode) {
      let entry = byCode.get(code);
      if (entry === undefined) byCode.set(code, (entry = { count: 0, apps: new Map(), samples: [] }));
      entry.count += tally.count;
      entry.apps.set(app.member, tally.count);
      for (const s of tally.samples) entry.samples.push(`${app.member} ${s.method} at +${s.startedAt - t0} ms failed after ${s.waitedMs} ms: ${s.details}`);
    }
  }
  const lines: string[] = [];
  for (const [code, e] of [...byCode].sort((a, b) => b[1].count - a[1].count)) {
    const who = [...e.apps].map(([m, n]) => `${m} ×${n}`).join(', ');
    lines.push(`${grpc.status[code] ?? code} ×${e.count} (${who})`);
    for (const s of e.samples.slice(0, examples)) lines.push(`  ${s}`);
  }
  return lines.join('\n');
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
 * receiver). Pure. The happy-path audit: with no fault injected, docs/delivery.md promises every
 * message exactly once with no GAP, so a loss is a loss here even when a GAP told of it; runs
 * with faults, where a told loss keeps the contract, are audited by src/member/delivery-audit.ts.
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
