/**
 * ClientServer: a few designated servers, fully meshed among themselves, carry all traffic for the
 * clients.
 *
 * Built for large clusters of mostly passive members (1,000+): a client keeps one link per server
 * and nothing else, so the whole cluster needs S(S − 1)/2 + S·C links instead of N(N − 1)/2.
 *
 * Roles. The servers are `config.servers` (resolved by the operator from labels or the first N
 * ordinals); with an empty list, the first `defaultServerCount` members of the `members` input
 * serve. Every other member is a client.
 *
 * Links and homes. A client attaches to every live server (`clientserver.register`, `high: false`)
 * so a failover needs no new connection, and registers with exactly one of them as its home
 * (`high: true`): the server with the highest rendezvous hash of (server, client) among the live
 * servers. Every member computes the same home from the same server list, and losing a server moves
 * only that server's clients. A server hands broadcasts to its home clients: those that registered
 * with it and those whose rendezvous home it is by its own view of the live servers, among the
 * attached clients and the clients of the `members` list (so a client is served before its
 * registration arrives). The second rule
 * makes failover immediate: the moment a server learns that another one is gone (a relay to it
 * fails), it serves that server's clients, before they have noticed anything.
 *
 * Routes and their cost (hops from origin to receiver):
 * - client broadcast: client → home (1) → the home's other clients (2), and → every other server
 *   (2) → their clients (3). LDH 3, RMR 0: every member receives exactly one payload copy.
 * - server broadcast: server → its clients (1), → the other servers (1) → their clients (2).
 * - send to a server: direct, 1 hop (the client is linked to every server).
 * - send from a client to a client: client → home → target, 2 hops (servers link to every client).
 * - send from a server: direct, 1 hop.
 * Connections: a client S, a server S − 1 + C.
 *
 * Failures. A server that sees `linkDown` (or `clientserver.leave`) of another server stops relaying
 * to it and tells the other servers (`clientserver.down`), who do the same; of a client, forgets it. Clients that become its home clients (by the lost server's
 * clients moving over, or by registering) are sent the broadcasts it handled within the last
 * `catchUpWindowMs`, so a broadcast that died with a server still arrives. A client that loses a
 * server marks it down; if it was the home, the client re-homes by rendezvous among the remaining
 * servers, registers there and republishes its recent broadcasts (the last `republishWindow`). Both
 * repeats are safe because receivers de-duplicate by id. A server comes back when a `members` update lists it or a message arrives from it.
 * Application messages are de-duplicated with a bounded {@link SeenIds}; each member delivers each
 * message at most once and the origin never delivers its own broadcast.
 */
import type { AppMessage, NodeId, Overlay, OverlayCounters, OverlayInput, OverlayOutput, OverlayViews } from './types.js';
import { newCounters } from './types.js';
import { hash32, mix32 } from './random.js';
import { DEFAULT_DEDUP_CAPACITY, SeenIds } from './dedup.js';
import { NeighborSet } from './neighbor-set.js';

/** ClientServer parameters. */
export interface ClientServerConfig {
  /** The designated servers, in the operator's order. Default `[]`: derive from `members`. */
  readonly servers: readonly NodeId[];
  /** Servers taken from the head of the `members` list when `servers` is empty. Default 3, as `spec.overlays.clientServer.servers`. */
  readonly defaultServerCount: number;
  /** Message ids remembered for de-duplication. Default {@link DEFAULT_DEDUP_CAPACITY}. */
  readonly dedupCapacity: number;
  /** Own broadcasts a client keeps to republish after losing its home. Default 32 (wild guess: a few RTTs of traffic). */
  readonly republishWindow: number;
  /**
   * Broadcasts a server keeps for catch-up (those of the last `catchUpWindowMs`, at most this many).
   * Default 1,024: the window's worth of a busy cluster (20 members × 5 msg/s, half broadcasts, is
   * 250 in 5 s); a buffer smaller than the window silently shortens it.
   */
  readonly catchUpCapacity: number;
  /** A server sends its new home clients the broadcasts it handled this recently. Default 5 s (as HyParView's catch-up; wild guess: failure detection plus a re-home). */
  readonly catchUpWindowMs: number;
}

/** Defaults of {@link ClientServerConfig}. */
export const DEFAULT_CLIENT_SERVER_CONFIG: ClientServerConfig = {
  servers: [],
  defaultServerCount: 3,
  dedupCapacity: DEFAULT_DEDUP_CAPACITY,
  republishWindow: 32,
  catchUpCapacity: 1_024,
  catchUpWindowMs: 5_000,
};

/** ClientServer wire messages (a subset of the shared `WireMessage` vocabulary). */
export type ClientServerMessage =
  /** Client → server: attach; `high` makes the sender one of the server's home clients. */
  | { readonly type: 'clientserver.register'; readonly high: boolean }
  /** Client → former home: stop sending me broadcasts (the link stays as a standby). */
  | { readonly type: 'clientserver.unregister' }
  /** Server → server: "I serve" (on start and when learning of a server). */
  | { readonly type: 'clientserver.hello' }
  /** Server → servers: "`peer` is gone" (a link to it broke), so every server takes over its clients at once. */
  | { readonly type: 'clientserver.down'; readonly peer: NodeId }
  /** Any → linked members: "I am leaving". */
  | { readonly type: 'clientserver.leave' }
  /** Client → its home: an application message to route (broadcast, or send to a client). */
  | { readonly type: 'clientserver.publish'; readonly app: AppMessage; readonly hops: number }
  /** Server → server: a broadcast to deliver and hand to the receiver's own clients. */
  | { readonly type: 'clientserver.relay'; readonly app: AppMessage; readonly hops: number }
  /** Final hop: an application message for the receiver. */
  | { readonly type: 'clientserver.app'; readonly app: AppMessage; readonly hops: number };

/** ClientServer schedules no timers. */
export type ClientServerTimer = never;

type Input = OverlayInput<ClientServerMessage, ClientServerTimer>;
type Output = OverlayOutput<ClientServerMessage, ClientServerTimer>;

/**
 * The rendezvous (highest random weight) home of `client` among `servers`: the same answer on every
 * member, and removing a server only moves the clients it was home to.
 */
export function rendezvousHome(client: NodeId, servers: readonly NodeId[]): NodeId | undefined {
  let best: NodeId | undefined;
  let bestWeight = -1;
  const c = mix32(hash32(client));
  for (const server of servers) {
    // FNV-1a alone correlates the weights of similar names; the finaliser makes them independent.
    const weight = mix32(hash32(server) ^ c);
    if (weight > bestWeight) {
      best = server;
      bestWeight = weight;
    }
  }
  return best;
}

/** The ClientServer state machine of one member, server or client. */
export class ClientServer implements Overlay<ClientServerMessage, ClientServerTimer> {
  readonly kind = 'ClientServer' as const;
  private readonly config: ClientServerConfig;
  private readonly seen: SeenIds;
  private readonly stats: OverlayCounters = newCounters();
  /** Links kept: servers (both roles) and attached clients (servers only). */
  private readonly active: NeighborSet;
  /** Servers in configured order. */
  private servers: NodeId[] = [];
  /** Servers believed down until a `members` update or a message says otherwise. */
  private readonly down = new Set<NodeId>();
  /** Members known from the control plane. */
  private known: NodeId[] = [];
  /** Server role: every attached client. */
  private readonly attached = new Set<NodeId>();
  /** Server role: clients that registered here as their home. */
  private readonly registeredHome = new Set<NodeId>();
  /** Server role: clients served here: registered, or homed here by rendezvous over the live servers. */
  private homeClients = new Set<NodeId>();
  /** Server role: broadcasts handed to clients recently, oldest first, for catch-up. */
  private handled: { readonly app: AppMessage; readonly hops: number; readonly at: number }[] = [];
  private now = 0;
  /** Client role: the home server. */
  private home: NodeId | undefined;
  /** Client role: own recent broadcasts, oldest first, republished after a re-home. */
  private recent: AppMessage[] = [];
  private started = false;
  private left = false;

  constructor(
    readonly self: NodeId,
    config: Partial<ClientServerConfig> = {},
  ) {
    this.config = { ...DEFAULT_CLIENT_SERVER_CONFIG, ...config };
    this.seen = new SeenIds(this.config.dedupCapacity);
    this.active = new NeighborSet(self, this.stats);
    this.servers = [...this.config.servers];
  }

  /** Whether this member serves. */
  get isServer(): boolean {
    return this.servers.includes(this.self);
  }

  /** Client role: the current home server (undefined for a server or while no server is up). */
  get homeServer(): NodeId | undefined {
    return this.home;
  }

  /** Server role: the clients this server hands broadcasts to (registered here, or homed here by rendezvous). */
  servedClients(): readonly NodeId[] {
    return [...this.homeClients];
  }

  handle(input: Input, now: number): Output[] {
    if (this.left) return [];
    this.now = now;
    const out: Output[] = [];
    switch (input.kind) {
      case 'join':
        this.started = true;
        this.connect(out);
        break;
      case 'members':
        this.onMembers(input.members, out);
        break;
      case 'message':
        this.stats.messagesReceived++;
        this.onMessage(input.from, input.message, out);
        break;
      case 'linkDown':
        this.onLinkDown(input.peer, out);
        break;
      case 'broadcast':
        this.onBroadcast(input.message, out);
        break;
      case 'send':
        this.onSend(input.message, out);
        break;
      case 'leave':
        this.onLeave(out);
        break;
      case 'sendFailed':
      case 'timer':
        // A full queue loses the message; there are no timers.
        break;
    }
    return out;
  }

  views(): OverlayViews {
    return { active: [...this.active], passive: this.servers.filter((s) => s !== this.self && this.down.has(s)) };
  }

  members(): readonly NodeId[] {
    const all = new Set<NodeId>([this.self, ...this.known, ...this.active]);
    return [...all];
  }

  counters(): Readonly<OverlayCounters> {
    return { ...this.stats };
  }

  // ---- membership ------------------------------------------------------------------------

  private liveServers(): NodeId[] {
    return this.servers.filter((s) => !this.down.has(s));
  }

  /** Links to every live server and (re)registers with the right home. Idempotent. */
  private connect(out: Output[]): void {
    if (!this.started) return;
    if (this.isServer) {
      for (const server of this.liveServers()) {
        if (server === this.self || this.active.has(server)) continue;
        this.active.add(server, out);
        this.sendTo(server, { type: 'clientserver.hello' }, out);
      }
      this.rehomeClients(out);
      return;
    }
    const live = this.liveServers();
    const home = rendezvousHome(this.self, live);
    for (const server of live) {
      if (this.active.has(server) || server === home) continue;
      this.active.add(server, out);
      this.sendTo(server, { type: 'clientserver.register', high: false }, out);
    }
    if (home === this.home) return;
    const previous = this.home;
    this.home = home;
    if (previous !== undefined && this.active.has(previous)) this.sendTo(previous, { type: 'clientserver.unregister' }, out);
    if (home === undefined) return;
    this.active.add(home, out);
    this.sendTo(home, { type: 'clientserver.register', high: true }, out);
    if (previous === undefined || this.active.has(previous)) return;
    // The old home failed: our latest publishes may have died with it. Receivers drop repeats.
    for (const app of this.recent) this.sendTo(home, { type: 'clientserver.publish', app, hops: 0 }, out);
  }

  private onMembers(members: readonly NodeId[], out: Output[]): void {
    this.known = [...members];
    if (this.config.servers.length === 0) this.setServers(members.slice(0, this.config.defaultServerCount), out);
    const present = new Set(members);
    for (const server of this.servers) {
      if (present.has(server)) this.down.delete(server);
      else if (!this.down.has(server)) this.lose(server, out);
    }
    if (this.isServer) for (const peer of [...this.active]) if (!present.has(peer)) this.lose(peer, out);
    this.connect(out);
  }

  /** Adopts a derived server list; a member whose role changes starts over in its new role. */
  private setServers(servers: readonly NodeId[], out: Output[]): void {
    if (servers.length === this.servers.length && servers.every((s, i) => this.servers[i] === s)) return;
    const wasServer = this.isServer;
    this.servers = [...servers];
    if (wasServer === this.isServer) return;
    for (const peer of [...this.active]) this.active.remove(peer, out);
    this.attached.clear();
    this.registeredHome.clear();
    this.homeClients.clear();
    this.home = undefined;
  }

  private lose(peer: NodeId, out: Output[]): void {
    this.active.remove(peer, out);
    this.attached.delete(peer);
    this.registeredHome.delete(peer);
    this.homeClients.delete(peer);
    if (!this.servers.includes(peer) || peer === this.self) return;
    this.down.add(peer);
    if (peer === this.home || this.isServer) this.connect(out);
  }

  /** A broken link; a server that loses another server tells the remaining servers. */
  private onLinkDown(peer: NodeId, out: Output[]): void {
    const news = this.isServer && peer !== this.self && this.servers.includes(peer) && !this.down.has(peer);
    this.lose(peer, out);
    if (!news) return;
    for (const server of this.liveServers()) if (server !== this.self) this.sendTo(server, { type: 'clientserver.down', peer }, out);
  }

  /** Server: whether `client` should be served here. */
  private serves(client: NodeId, live: readonly NodeId[]): boolean {
    return this.registeredHome.has(client) || rendezvousHome(client, live) === this.self;
  }

  /**
   * Server: recomputes the home clients after the live servers or the members changed; newcomers
   * catch up. Candidates are the attached clients and every client of the control plane's member
   * list: a server serves its rendezvous clients from the moment it knows of them, not from when
   * their registration arrives, so a broadcast handled while a client's register is still in
   * flight (a loaded member, a switch committing right after Prepare) still reaches it.
   */
  private rehomeClients(out: Output[]): void {
    const live = this.liveServers();
    const next = new Set<NodeId>();
    for (const client of this.attached) if (this.serves(client, live)) next.add(client);
    for (const client of this.known) if (client !== this.self && !this.servers.includes(client) && this.serves(client, live)) next.add(client);
    const previous = this.homeClients;
    this.homeClients = next;
    for (const client of next) if (!previous.has(client)) this.catchUp(client, out);
  }

  /** Server: sends `client` the broadcasts handled within the catch-up window. */
  private catchUp(client: NodeId, out: Output[]): void {
    const cutoff = this.now - this.config.catchUpWindowMs;
    for (const h of this.handled) {
      if (h.at < cutoff || h.app.origin === client) continue;
      this.sendTo(client, { type: 'clientserver.app', app: h.app, hops: h.hops }, out);
    }
  }

  /** A message from a server believed down proves it is up again. */
  private revive(peer: NodeId, out: Output[]): void {
    if (!this.down.delete(peer)) return;
    this.connect(out);
  }

  // ---- messages --------------------------------------------------------------------------

  private onMessage(from: NodeId, message: ClientServerMessage, out: Output[]): void {
    if (message.type === 'clientserver.leave') {
      this.lose(from, out);
      return;
    }
    this.revive(from, out);
    switch (message.type) {
      case 'clientserver.register': {
        if (!this.isServer) return;
        this.active.add(from, out);
        this.attached.add(from);
        if (message.high) this.registeredHome.add(from);
        else this.registeredHome.delete(from);
        const served = this.serves(from, this.liveServers());
        if (served && !this.homeClients.has(from)) {
          this.homeClients.add(from);
          this.catchUp(from, out);
        } else if (!served) this.homeClients.delete(from);
        return;
      }
      case 'clientserver.down':
        // Taken on the word of a fellow server; a message from `peer` revives it if it was wrong.
        if (!this.isServer || message.peer === this.self || !this.servers.includes(message.peer) || this.down.has(message.peer)) return;
        this.lose(message.peer, out);
        return;
      case 'clientserver.unregister':
        this.registeredHome.delete(from);
        if (!this.serves(from, this.liveServers())) this.homeClients.delete(from);
        return;
      case 'clientserver.hello':
        if (!this.isServer) return;
        if (!this.servers.includes(from)) return;
        this.active.add(from, out);
        return;
      case 'clientserver.publish':
        this.onPublish(from, message.app, message.hops, out);
        return;
      case 'clientserver.relay':
        if (!this.accept(from, message.app, message.hops, out)) return;
        this.fanOut(message.app, message.hops + 1, out);
        return;
      case 'clientserver.app':
        this.accept(from, message.app, message.hops, out);
        return;
    }
  }

  /** Server: routes a client's message. */
  private onPublish(from: NodeId, app: AppMessage, hops: number, out: Output[]): void {
    if (!this.isServer) return;
    const to = app.to;
    if (to === undefined) {
      if (!this.accept(from, app, hops, out)) return;
      this.relay(app, hops + 1, out);
      this.fanOut(app, hops + 1, out);
      return;
    }
    if (to === this.self) {
      this.accept(from, app, hops, out);
      return;
    }
    this.sendTo(to, { type: 'clientserver.app', app, hops: hops + 1 }, out);
  }

  /** De-duplicates and delivers; returns false for a repeat. */
  private accept(from: NodeId, app: AppMessage, hops: number, out: Output[]): boolean {
    if (this.seen.checkAndAdd(app.id)) {
      this.stats.duplicatesDropped++;
      return false;
    }
    if (app.origin === this.self) return true;
    if (app.to !== undefined && app.to !== this.self) return true;
    this.stats.appDelivered++;
    out.push({ kind: 'deliver', message: app, from, hops: hops + 1 });
    return true;
  }

  private relay(app: AppMessage, hops: number, out: Output[]): void {
    // One message object per fan-out: the sidecar encodes it once (PeerTransport.send).
    const message: ClientServerMessage = { type: 'clientserver.relay', app, hops };
    for (const server of this.liveServers()) if (server !== this.self) this.sendTo(server, message, out);
  }

  private fanOut(app: AppMessage, hops: number, out: Output[]): void {
    this.handled.push({ app, hops, at: this.now });
    while (this.handled.length > this.config.catchUpCapacity) this.handled.shift();
    const message: ClientServerMessage = { type: 'clientserver.app', app, hops };
    for (const client of this.homeClients) if (client !== app.origin) this.sendTo(client, message, out);
  }

  // ---- application -----------------------------------------------------------------------

  private onBroadcast(app: AppMessage, out: Output[]): void {
    this.seen.checkAndAdd(app.id);
    if (this.isServer) {
      this.relay(app, 0, out);
      this.fanOut(app, 0, out);
      return;
    }
    this.recent.push(app);
    if (this.recent.length > this.config.republishWindow) this.recent = this.recent.slice(-this.config.republishWindow);
    if (this.home !== undefined) this.sendTo(this.home, { type: 'clientserver.publish', app, hops: 0 }, out);
  }

  private onSend(app: AppMessage, out: Output[]): void {
    const to = app.to;
    if (to === undefined) return;
    this.seen.checkAndAdd(app.id);
    if (to === this.self) {
      this.stats.appDelivered++;
      out.push({ kind: 'deliver', message: app, from: this.self, hops: 0 });
      return;
    }
    if (this.isServer || this.servers.includes(to)) {
      this.sendTo(to, { type: 'clientserver.app', app, hops: 0 }, out);
      return;
    }
    if (this.home !== undefined) this.sendTo(this.home, { type: 'clientserver.publish', app, hops: 0 }, out);
  }

  private onLeave(out: Output[]): void {
    for (const peer of [...this.active]) {
      this.sendTo(peer, { type: 'clientserver.leave' }, out);
      this.active.remove(peer, out);
    }
    this.left = true;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private sendTo(to: NodeId, message: ClientServerMessage, out: Output[]): void {
    this.stats.messagesSent++;
    out.push({ kind: 'send', to, message });
  }
}
