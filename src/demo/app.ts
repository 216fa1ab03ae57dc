/**
 * The demo app: what an application does with its sidecar's Overlay API (proto/topology/v1/
 * overlay.proto), in ~150 lines. It
 * - subscribes to deliveries (re-subscribing when the sidecar restarts),
 * - broadcasts a small JSON heartbeat every `heartbeatMs`,
 * - asks for the member list every few seconds,
 * - counts what it received (per origin, per epoch, duplicates: there must be none, as the sidecar
 *   de-duplicates across the two overlays of a switch),
 * and reports it as JSON log lines and on `GET /stats`. The app never knows which overlay carries
 * its messages: a live switch shows up only as a new epoch number in the deliveries. It talks to
 * its sidecar through the typed app client (`topology-operator/client`, src/client), as an app
 * would.
 */
import { createServer, type Server } from 'node:http';
import { connect, type GapDelivery, type MessageDelivery, type RequestDelivery, type ResumePoint, type TopologyClient } from '../client/index.js';

/** Deadline of the demo's Broadcast and Members calls (ms): a heartbeat later than this is stale anyway. Wild guess. */
const CALL_DEADLINE_MS = 2000;

/** Pause before reopening a subscription that ended for good (ms): the demo's pre-client retry interval. */
const RESUBSCRIBE_MS = 1000;

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
  /** Set once connected (connect retries until the sidecar answers, so the app may start first). */
  private client: TopologyClient | undefined;
  /** Stops the connect loop and the subscription. */
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly seen = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private server: Server | undefined;
  private seq = 0;
  /** The last delivery processed, to resume after it if the subscription ends for good (no loss, no repeat). */
  private resume: ResumePoint | undefined;
  readonly stats: DemoStats;

  constructor(private readonly config: DemoAppConfig) {
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
    this.running = this.run();
    this.timers.push(setInterval(() => this.heartbeat(), this.config.heartbeatMs));
    this.timers.push(setInterval(() => this.refreshMembers(), this.config.membersEveryMs));
    this.timers.push(setInterval(() => this.config.log({ msg: 'stats', ...this.summary() }), this.config.logEveryMs));
    this.refreshMembers();
    this.config.log({ msg: 'demo app started', appAddress: this.config.appAddress, stats: `${this.config.statsAddress.replace(/:\d+$/, '')}:${port}` });
    return port;
  }

  /** Stops everything it started. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.abort.abort();
    await this.running;
    this.client?.close();
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

  /**
   * Connects (retrying until the sidecar answers), then reads deliveries until stopped. The client
   * resubscribes from the last delivery after a break; a subscription that ends for any other
   * reason is reopened here after {@link RESUBSCRIBE_MS}, from the same point.
   */
  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let client: TopologyClient;
    try {
      client = this.client = await connect(this.config.appAddress, { timeoutMs: Number.POSITIVE_INFINITY, signal });
    } catch {
      return; // stopped before the sidecar answered
    }
    this.refreshMembers();
    while (!signal.aborted) {
      try {
        for await (const item of client.subscribe({ resubscribe: true, signal, ...(this.resume !== undefined ? { resumeFrom: this.resume } : {}) })) {
          if (item.kind === 'subscribed') this.stats.connected = true;
          else if (item.kind === 'resubscribing') this.lost(item.error.message);
          else this.onDelivery(item);
        }
        this.lost('stream ended');
      } catch (err) {
        if (signal.aborted) return;
        this.lost(err instanceof Error ? err.message : String(err));
      }
      await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_MS).unref());
    }
  }

  private lost(reason: string): void {
    if (this.stats.connected) this.config.log({ msg: 'subscription lost; retrying', reason });
    this.stats.connected = false;
  }

  private onDelivery(d: MessageDelivery | RequestDelivery | GapDelivery): void {
    this.stats.connected = true;
    this.resume = { session: d.session, cursor: d.cursor };
    if (d.kind === 'gap') {
      // Keyed by the proto's enum name, as /stats has always reported it.
      const reason = `GAP_REASON_${d.reason}`;
      this.stats.gaps[reason] = (this.stats.gaps[reason] ?? 0) + 1;
      this.config.log({ msg: 'messages lost', reason, count: d.count, detail: d.detail });
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
      from = (JSON.parse(d.payload.toString('utf8')) as { from?: string }).from ?? d.origin;
    } catch {
      // Not one of ours: count it under the sidecar origin.
    }
    this.stats.byOrigin[from] = (this.stats.byOrigin[from] ?? 0) + 1;
  }

  private heartbeat(): void {
    const client = this.client;
    if (client === undefined) {
      this.stats.sendErrors++;
      return;
    }
    const payload = JSON.stringify({ from: this.config.name, seq: ++this.seq, sentAt: Date.now() });
    client.broadcast(payload, { deadlineMs: CALL_DEADLINE_MS }).then(
      () => this.stats.sent++,
      () => this.stats.sendErrors++,
    );
  }

  private refreshMembers(): void {
    this.client?.members({ deadlineMs: CALL_DEADLINE_MS }).then(
      (r) => {
        this.stats.members = r.members.map((m) => m.address);
        this.stats.membersEpoch = r.epoch;
      },
      () => undefined,
    );
  }
}
