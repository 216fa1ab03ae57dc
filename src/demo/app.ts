/**
 * The demo app: what an application does with its sidecar's Overlay API (proto/topology/v1/
 * overlay.proto), in ~150 lines. It
 * - subscribes to deliveries (re-subscribing when the sidecar restarts),
 * - broadcasts a small JSON heartbeat every `heartbeatMs`,
 * - asks for the member list every few seconds,
 * - counts what it received (per origin, per epoch, duplicates: there must be none, as the sidecar
 *   de-duplicates across the two overlays of a switch),
 * and reports it as JSON log lines and on `GET /stats`. The app never knows which overlay carries
 * its messages: a live switch shows up only as a new epoch number in the deliveries.
 */
import { createServer, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../rpc/proto.js';
import type { OverlayClient } from '../rpc/generated/topology/v1/Overlay.js';
import type { Delivery__Output } from '../rpc/generated/topology/v1/Delivery.js';

/** Settings of the demo app (see main.ts for the environment variables). */
export interface DemoAppConfig {
  /** Name in logs and heartbeats (the pod name). */
  name: string;
  /** The sidecar's Overlay API, host:port. */
  appAddress: string;
  /** host:port of the /stats HTTP endpoint; port 0 picks one. */
  statsAddress: string;
  heartbeatMs: number;
  membersEveryMs: number;
  logEveryMs: number;
  log: (line: Record<string, unknown>) => void;
}

/** What `/stats` returns. */
export interface DemoStats {
  name: string;
  startedAt: string;
  connected: boolean;
  sent: number;
  sendErrors: number;
  received: number;
  duplicates: number;
  /** GAP deliveries (messages the sidecar reports lost, docs/delivery.md), by reason. */
  gaps: Record<string, number>;
  /** Heartbeats received per origin. */
  byOrigin: Record<string, number>;
  /** Deliveries per overlay epoch (a switch adds an epoch). */
  byEpoch: Record<string, number>;
  members: string[];
  membersEpoch: number;
  lastLatencyMs?: number;
  maxHops: number;
}

/** The running demo app. */
export class DemoApp {
  private readonly client: OverlayClient;
  private stream: grpc.ClientReadableStream<Delivery__Output> | undefined;
  private readonly seen = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private server: Server | undefined;
  private seq = 0;
  private stopped = false;
  /** The last delivery processed, to resume the subscription after it (no loss, no repeat). */
  private resume = { session: '', cursor: 0 };
  readonly stats: DemoStats;

  constructor(private readonly config: DemoAppConfig) {
    const Ctor = loadProto().topology.v1.Overlay;
    this.client = new Ctor(config.appAddress, grpc.credentials.createInsecure());
    this.stats = {
      name: config.name,
      startedAt: new Date().toISOString(),
      connected: false,
      sent: 0,
      sendErrors: 0,
      received: 0,
      duplicates: 0,
      gaps: {},
      byOrigin: {},
      byEpoch: {},
      members: [],
      membersEpoch: 0,
      maxHops: 0,
    };
  }

  /** Starts the HTTP endpoint, the subscription and the timers; resolves with the stats port. */
  async start(): Promise<number> {
    const port = await this.listen();
    this.subscribe();
    this.timers.push(setInterval(() => this.heartbeat(), this.config.heartbeatMs));
    this.timers.push(setInterval(() => this.refreshMembers(), this.config.membersEveryMs));
    this.timers.push(setInterval(() => this.config.log({ msg: 'stats', ...this.summary() }), this.config.logEveryMs));
    this.refreshMembers();
    this.config.log({ msg: 'demo app started', appAddress: this.config.appAddress, stats: `${this.config.statsAddress.replace(/:\d+$/, '')}:${port}` });
    return port;
  }

  /** Stops everything it started. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.stream?.cancel();
    this.client.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The stats without the per-origin table (for log lines). */
  summary(): Record<string, unknown> {
    const { byOrigin, members, ...rest } = this.stats;
    return { ...rest, origins: Object.keys(byOrigin).length, members: members.length };
  }

  private listen(): Promise<number> {
    const i = this.config.statsAddress.lastIndexOf(':');
    const host = this.config.statsAddress.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(this.config.statsAddress.slice(i + 1));
    this.server = createServer((req, res) => {
      if (req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(this.stats)}\n`);
      } else if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('try /stats\n');
      }
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        const addr = this.server!.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  private subscribe(): void {
    if (this.stopped) return;
    const stream = this.client.Subscribe({ resumeSession: this.resume.session, resumeAfter: this.resume.cursor });
    this.stream = stream;
    stream.on('metadata', () => (this.stats.connected = true));
    stream.on('data', (d: Delivery__Output) => this.onDelivery(d));
    const again = (why: string): void => {
      if (this.stopped || this.stream !== stream) return;
      if (this.stats.connected) this.config.log({ msg: 'subscription lost; retrying', reason: why });
      this.stats.connected = false;
      this.stream = undefined;
      setTimeout(() => this.subscribe(), 1000).unref();
    };
    stream.on('error', (err: grpc.ServiceError) => again(err.details || err.message));
    stream.on('end', () => again('stream ended'));
  }

  private onDelivery(d: Delivery__Output): void {
    this.stats.connected = true;
    this.resume = { session: d.session, cursor: d.cursor };
    if (d.kind === 'DELIVERY_KIND_GAP') {
      const reason = d.gap?.reason ?? 'GAP_REASON_UNSPECIFIED';
      this.stats.gaps[reason] = (this.stats.gaps[reason] ?? 0) + 1;
      this.config.log({ msg: 'messages lost', reason, count: d.gap?.count ?? 0, detail: d.gap?.detail ?? '' });
      return;
    }
    if (this.seen.has(d.id)) {
      this.stats.duplicates++;
      return;
    }
    this.seen.add(d.id);
    if (this.seen.size > 100_000) this.seen.clear();
    this.stats.received++;
    this.stats.byEpoch[String(d.epoch)] = (this.stats.byEpoch[String(d.epoch)] ?? 0) + 1;
    this.stats.maxHops = Math.max(this.stats.maxHops, d.hops);
    this.stats.lastLatencyMs = Math.round((d.deliveredAtMs - d.sentAtMs) * 10) / 10;
    let from = d.origin;
    try {
      from = (JSON.parse(Buffer.from(d.payload).toString('utf8')) as { from?: string }).from ?? d.origin;
    } catch {
      // Not one of ours: count it under the sidecar origin.
    }
    this.stats.byOrigin[from] = (this.stats.byOrigin[from] ?? 0) + 1;
  }

  private heartbeat(): void {
    const payload = Buffer.from(JSON.stringify({ from: this.config.name, seq: ++this.seq, sentAt: Date.now() }));
    this.client.Broadcast({ payload }, { deadline: Date.now() + 2000 }, (err) => {
      if (err) this.stats.sendErrors++;
      else this.stats.sent++;
    });
  }

  private refreshMembers(): void {
    this.client.Members({}, { deadline: Date.now() + 2000 }, (err, r) => {
      if (err || !r) return;
      this.stats.members = r.members;
      this.stats.membersEpoch = r.epoch;
    });
  }
}
