/**
 * Deterministic discrete-event network simulator for the overlays (after iroh-gossip's `sim.rs`).
 *
 * Every overlay is an IO-less state machine; this file is the executor that runs thousands of them
 * on one virtual clock. It owns an event queue ordered by (time, sequence) with FIFO ties and turns
 * each overlay output into future inputs:
 *
 * - `send` becomes a `message` input at the receiver at `now + latency` (see `latency.ts`). Links
 *   are FIFO per direction, like the sidecar's one gRPC stream per link: a message never overtakes
 *   one sent before it on the same link. With `lossRate` > 0 a message is dropped silently.
 * - A send to a crashed or unreachable (partitioned) node is dropped and the sender gets a
 *   `linkDown` after `sendFailureDetectMs`, as a write on a broken TCP stream fails. Further sends on
 *   that broken link are dropped quietly until the `linkDown` has been delivered; the next send after
 *   it opens a fresh link.
 * - An open link to a node that crashes, or that a partition cuts, breaks on the other side after
 *   `idleFailureDetectMs` even if nothing is sent (a keepalive timeout). A link opened to an earlier
 *   incarnation of a recovered node counts as broken: recovery is a restart with empty state.
 * - `disconnect` yields a `linkDown` at the other side, after the messages already in flight on that
 *   link (it travels the same FIFO link).
 * - `timer` comes back as a `timer` input after `afterMs`; a timer of a crashed incarnation is
 *   discarded.
 * - {@link Simulator.drain} runs the network to quiescence with timers held back, so tests can
 *   check invariants (symmetric views) at a point where no exchange is half done.
 *
 * Randomness: one `SeededRandom(seed)` forks a network stream (latency, loss) and a node stream from
 * which node `id` gets `fork(id)` (or `fork(id#incarnation)` after a recovery). Nodes, links and
 * outputs are processed in insertion order, so the same seed and the same calls give the same run,
 * byte for byte; {@link Simulator.digest} hashes every processed event to check it.
 *
 * Cost: per event one 4-ary heap pop (`event-queue.ts`) and, per send, one link-record probe
 * (`link-table.ts`), with pooled event objects; a 10,000-node HyParView run (~8 million events)
 * needs about a minute of CPU and 600 MiB. A harness drives a stacked state machine's own calls
 * with {@link Simulator.command}; {@link Simulator.setLossRate} and `fifo: false` inject faults.
 */
import type { AppMessage, MessageId, NodeId, Overlay, OverlayOutput, WireMessage } from '../types.js';
import { DEFAULT_IDLE_FAILURE_DETECT_MS, DEFAULT_SEND_FAILURE_DETECT_MS, type SimulatorOptions, type SimulatorStats } from './simulator-options.js';
import { SeededRandom, hash32, mix32 } from '../random.js';
import { EventQueue } from './event-queue.js';
import { DEFAULT_LATENCY, sampleLatency, validateLatency, type LatencyModel } from './latency.js';
import { DeliveryRecord } from './delivery-record.js';
import { LinkTable } from './link-table.js';

/** Creates the overlay of one node; `random` is that node's own seeded stream. */
export type OverlayFactory<M extends WireMessage, T> = (id: NodeId, random: SeededRandom) => Overlay<M, T>;

export * from './simulator-options.js';

const { NONE, OPEN, CLOSED, BROKEN } = { NONE: LinkTable.NONE, OPEN: LinkTable.OPEN, CLOSED: LinkTable.CLOSED, BROKEN: LinkTable.BROKEN };

const EV_MESSAGE = 0;
const EV_TIMER = 1;
const EV_LINK_BROKEN = 2;
const EV_PEER_CLOSED = 3;
const EV_CALL = 4;

/** A queued event; one monomorphic shape for every kind keeps the hot loop fast. */
class SimEvent {
  time = 0;
  type = 0;
  /** Receiving node index. */
  node = 0;
  /** Receiver incarnation the event belongs to. */
  inc = 0;
  /** Sending or peer node index. */
  from = 0;
  payload: unknown = undefined;
  /** Generation of the link record the event is about (link events only). */
  gen = 0;
}

class Slot<M extends WireMessage, T> {
  overlay: Overlay<M, T> | undefined;
  /** Added at least once (a slot can also exist only as the target of a send to an unknown id). */
  started = false;
  alive = false;
  left = false;
  incarnation = 0;
  group = 0;
  contacts: readonly NodeId[] = [];
  constructor(
    readonly id: NodeId,
    readonly index: number,
  ) {}
}

/** Runs many overlays over one simulated network; see the file header for the network model. */
export class Simulator<M extends WireMessage, T> {
  private readonly queue = new EventQueue<SimEvent>();
  private readonly links = new LinkTable();
  private readonly free: SimEvent[] = [];
  private readonly slots: Slot<M, T>[] = [];
  private readonly indexOf = new Map<NodeId, number>();
  private readonly netRandom: SeededRandom;
  private readonly nodeRandom: SeededRandom;
  private readonly linkSeed: number;
  private readonly latency: LatencyModel;
  private lossRate: number;
  private readonly sendFailureDetectMs: number;
  private readonly idleFailureDetectMs: number;
  private readonly observe: SimulatorOptions['observe'];
  private readonly fifo: boolean;
  private readonly records = new Map<MessageId, DeliveryRecord>();
  private readonly emptyPayload = new Uint8Array(0);
  private readonly timeBits = new Float64Array(1);
  private readonly timeWords = new Uint32Array(this.timeBits.buffer);
  private hash = 0x1234567;
  private appSeq = 0;
  private aliveCount = 0;
  private clock = 0;
  private readonly counters: SimulatorStats = {
    events: 0,
    messagesSent: 0,
    messagesReceived: 0,
    payloadReceived: 0,
    messagesLost: 0,
    messagesUndeliverable: 0,
    linkDowns: 0,
    timersFired: 0,
  };

  constructor(
    options: SimulatorOptions,
    private readonly factory: OverlayFactory<M, T>,
  ) {
    const root = new SeededRandom(options.seed);
    this.netRandom = root.fork('network');
    this.nodeRandom = root.fork('nodes');
    this.linkSeed = mix32(options.seed ^ 0x5eed);
    this.latency = options.latency ?? DEFAULT_LATENCY;
    validateLatency(this.latency);
    this.lossRate = options.lossRate ?? 0;
    if (!(this.lossRate >= 0 && this.lossRate <= 1)) throw new RangeError(`lossRate must be in [0, 1], got ${this.lossRate}`);
    this.sendFailureDetectMs = options.sendFailureDetectMs ?? DEFAULT_SEND_FAILURE_DETECT_MS;
    this.idleFailureDetectMs = options.idleFailureDetectMs ?? DEFAULT_IDLE_FAILURE_DETECT_MS;
    this.observe = options.observe;
    this.fifo = options.fifo ?? true;
  }

  /** Current virtual time in ms. */
  get now(): number {
    return this.clock;
  }

  /** Number of events waiting. */
  get pending(): number {
    return this.queue.size;
  }

  // ---- membership and faults -------------------------------------------------------------

  /** Starts node `id` now and feeds it `join` with `contacts`. */
  addNode(id: NodeId, contacts: readonly NodeId[] = []): void {
    const slot = this.slotFor(id);
    if (slot.started) throw new Error(`node ${id} already exists`);
    slot.contacts = contacts.slice();
    this.start(slot, this.nodeRandom.fork(id), contacts);
  }

  /** Crashes `id`: its state is lost, in-flight messages to it are dropped, open links break. */
  crash(id: NodeId): void {
    const slot = this.existing(id);
    if (!slot.alive) return;
    slot.alive = false;
    slot.overlay = undefined;
    if (!slot.left) this.aliveCount--;
    const links = this.links;
    const notify = Number.isFinite(this.idleFailureDetectMs);
    links.forEachOf(slot.index, (s, peerIndex) => {
      links.state[s] = NONE;
      if (!notify) return;
      const peer = this.slots[peerIndex] as Slot<M, T>;
      const back = links.find(peerIndex, slot.index);
      if (!peer.alive || back < 0 || links.state[back] !== OPEN || links.peerInc[back] !== slot.incarnation) return;
      this.enqueue(this.clock + this.idleFailureDetectMs, EV_LINK_BROKEN, peerIndex, peer.incarnation, slot.index, undefined, links.gen[back] as number);
    });
  }

  /** Restarts a crashed node with empty state (a new incarnation) and joins it through `contacts`. */
  recover(id: NodeId, contacts?: readonly NodeId[]): void {
    const slot = this.existing(id);
    if (slot.alive) throw new Error(`node ${id} is not crashed`);
    slot.incarnation++;
    slot.left = false;
    this.start(slot, this.nodeRandom.fork(`${id}#${slot.incarnation}`), contacts ?? slot.contacts);
  }

  /** Feeds `leave` to `id`; it stays reachable but no longer counts as alive. */
  leave(id: NodeId): void {
    const slot = this.existing(id);
    if (!slot.alive || slot.left) return;
    slot.left = true;
    this.aliveCount--;
    this.feed(slot, { kind: 'leave' });
  }

  /**
   * Splits the network: each listed group reaches only itself; unlisted nodes form one more group.
   * Open links that cross groups break after `idleFailureDetectMs`.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (const slot of this.slots) slot.group = 0;
    groups.forEach((group, g) => {
      for (const id of group) this.slotFor(id).group = g + 1;
    });
    if (!Number.isFinite(this.idleFailureDetectMs)) return;
    const links = this.links;
    for (const slot of this.slots) {
      if (!slot.alive) continue;
      links.forEachOf(slot.index, (s, peerIndex) => {
        const peer = this.slots[peerIndex] as Slot<M, T>;
        if (links.state[s] !== OPEN || peer.group === slot.group) return;
        this.enqueue(this.clock + this.idleFailureDetectMs, EV_LINK_BROKEN, slot.index, slot.incarnation, peerIndex, undefined, links.gen[s] as number);
      });
    }
  }

  /** Ends every partition. Links that broke stay broken; new sends open fresh ones. */
  heal(): void {
    for (const slot of this.slots) slot.group = 0;
  }

  /** Changes the probability that a message is silently lost, from now on (a fault that comes and goes). */
  setLossRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`lossRate must be in [0, 1], got ${rate}`);
    this.lossRate = rate;
  }

  /**
   * Runs `command` on the state machine of `id` now and carries out the outputs it returns like
   * those of any input: how a harness drives inputs outside the overlay contract (a stacked
   * state machine's own calls). A no-op for a crashed node.
   */
  command(id: NodeId, command: (node: Overlay<M, T>, now: number) => readonly OverlayOutput<M, T>[]): void {
    const slot = this.existing(id);
    if (!slot.alive || slot.overlay === undefined) return;
    this.execute(slot, command(slot.overlay, this.clock));
  }

  /** Feeds the authoritative member list (default: every alive node) to every alive node. */
  setMembers(members?: readonly NodeId[]): void {
    const list = members ?? this.aliveNodes();
    for (const slot of this.slots) if (slot.alive && !slot.left) this.feed(slot, { kind: 'members', members: list });
  }

  // ---- application traffic ---------------------------------------------------------------

  /** `from` broadcasts a fresh application message now; returns its id. */
  broadcast(from: NodeId, payload: Uint8Array = this.emptyPayload): MessageId {
    return this.submit(from, undefined, payload);
  }

  /** `from` sends a fresh application message to `to` now; returns its id. */
  send(from: NodeId, to: NodeId, payload: Uint8Array = this.emptyPayload): MessageId {
    return this.submit(from, to, payload);
  }

  /** Who received `id`, when and over how many hops; undefined for an unknown or forgotten id. */
  deliveries(id: MessageId): DeliveryRecord | undefined {
    return this.records.get(id);
  }

  /** Drops the delivery record of `id` (long runs call it once they have read the record). */
  forget(id: MessageId): void {
    this.records.delete(id);
  }

  /** Runs `fn` at `now + afterMs`, in order with the network's events (scripted workloads). */
  schedule(afterMs: number, fn: () => void): void {
    this.enqueue(this.clock + afterMs, EV_CALL, -1, 0, -1, fn, 0);
  }

  // ---- running ---------------------------------------------------------------------------

  /** Processes every event due within the next `ms` and advances the clock by `ms`. */
  runFor(ms: number): void {
    const end = this.clock + ms;
    while (this.queue.peekTime() <= end) this.step();
    this.clock = end;
  }

  /**
   * Runs until `done()` holds, checking it whenever the clock is about to move on (after all events
   * of one instant), for at most `maxMs`. Returns whether `done()` held; the clock stops there.
   */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const end = this.clock + maxMs;
    if (done()) return true;
    while (this.queue.peekTime() <= end) {
      this.step();
      if (this.queue.peekTime() > this.clock && done()) return true;
    }
    this.clock = end;
    return done();
  }

  /**
   * Runs until no message or link event is in flight, holding timers and scheduled calls back: a
   * quiescent point, where every exchange under way has reached both ends (a link being made is in
   * both views or in neither), so tests can check invariants that hold only between protocol steps.
   * The clock advances with the events processed; the held events then stay queued, a timer that
   * fell due meanwhile firing now. Throws after `maxEvents` events, for an exchange that never ends.
   */
  drain(maxEvents = 1_000_000): void {
    const held: SimEvent[] = [];
    let processed = 0;
    while (this.queue.size > 0) {
      const event = this.queue.pop() as SimEvent;
      if (event.type === EV_TIMER || event.type === EV_CALL) {
        held.push(event);
        continue;
      }
      if (++processed > maxEvents) throw new Error(`drain: still busy after ${maxEvents} events`);
      this.process(event);
    }
    for (const event of held) {
      event.time = Math.max(event.time, this.clock);
      this.queue.push(event);
    }
  }

  // ---- inspection ------------------------------------------------------------------------

  /** The overlay of `id`, or undefined while it is crashed. */
  node(id: NodeId): Overlay<M, T> | undefined {
    const index = this.indexOf.get(id);
    return index === undefined ? undefined : this.slots[index]?.overlay;
  }

  /** Whether `id` is running and has not left. */
  isAlive(id: NodeId): boolean {
    const index = this.indexOf.get(id);
    const slot = index === undefined ? undefined : this.slots[index];
    return slot !== undefined && slot.alive && !slot.left;
  }

  /** Running nodes that have not left, in the order they were first added. */
  aliveNodes(): NodeId[] {
    const out: NodeId[] = [];
    for (const slot of this.slots) if (slot.alive && !slot.left) out.push(slot.id);
    return out;
  }

  /** Number of {@link aliveNodes}, in O(1). */
  get aliveCountNow(): number {
    return this.aliveCount;
  }

  /** Every node ever added, alive or not, in insertion order. */
  allNodes(): NodeId[] {
    return this.slots.filter((s) => s.started).map((s) => s.id);
  }

  /** Network counters since the start. */
  stats(): Readonly<SimulatorStats> {
    return { ...this.counters };
  }

  /** Hash of every event processed so far: equal digests mean identical runs. */
  digest(): string {
    return `${(this.hash >>> 0).toString(16).padStart(8, '0')}-${this.counters.events}`;
  }

  // ---- internals -------------------------------------------------------------------------

  private slotFor(id: NodeId): Slot<M, T> {
    const index = this.indexOf.get(id);
    if (index !== undefined) return this.slots[index] as Slot<M, T>;
    const slot = new Slot<M, T>(id, this.slots.length);
    this.slots.push(slot);
    this.indexOf.set(id, slot.index);
    return slot;
  }

  private existing(id: NodeId): Slot<M, T> {
    const index = this.indexOf.get(id);
    const slot = index === undefined ? undefined : this.slots[index];
    if (slot === undefined || !slot.started) throw new Error(`unknown node ${id}`);
    return slot;
  }

  private start(slot: Slot<M, T>, random: SeededRandom, contacts: readonly NodeId[]): void {
    slot.overlay = this.factory(slot.id, random);
    slot.started = true;
    slot.alive = true;
    this.aliveCount++;
    this.feed(slot, { kind: 'join', contacts });
  }

  private submit(from: NodeId, to: NodeId | undefined, payload: Uint8Array): MessageId {
    const slot = this.existing(from);
    if (!slot.alive || slot.left) throw new Error(`node ${from} is not alive`);
    const id = `${from}/${++this.appSeq}`;
    const message: AppMessage = to === undefined ? { id, origin: from, payload, sentAt: this.clock } : { id, origin: from, to, payload, sentAt: this.clock };
    this.records.set(id, new DeliveryRecord(id, from, to, this.clock, this.aliveCount));
    this.feed(slot, to === undefined ? { kind: 'broadcast', message } : { kind: 'send', message });
    return id;
  }

  /**
   * Queues an event. Event objects are recycled through a free list: a message in flight lives for
   * many allocations, so fresh objects would be promoted to the old generation and cost a full
   * collection each; recycled ones never become garbage.
   */
  private enqueue(time: number, type: number, node: number, inc: number, from: number, payload: unknown, gen: number): void {
    const ev = this.free.pop() ?? new SimEvent();
    ev.time = time;
    ev.type = type;
    ev.node = node;
    ev.inc = inc;
    ev.from = from;
    ev.payload = payload;
    ev.gen = gen;
    this.queue.push(ev);
  }

  private step(): void {
    this.process(this.queue.pop() as SimEvent);
  }

  private process(event: SimEvent): void {
    // Copy the fields and recycle the object at once: handling the event schedules new ones.
    const time = event.time;
    const type = event.type;
    const node = event.node;
    const inc = event.inc;
    const fromIndex = event.from;
    const payload = event.payload;
    const gen = event.gen;
    event.payload = undefined;
    this.free.push(event);
    this.clock = time;
    this.counters.events++;
    this.mixTime(time);
    this.hash = mix32(this.hash ^ ((type << 24) ^ node));
    if (type === EV_CALL) {
      (payload as () => void)();
      return;
    }
    const slot = this.slots[node] as Slot<M, T>;
    if (!slot.alive || slot.incarnation !== inc) {
      if (type === EV_MESSAGE) this.counters.messagesUndeliverable++;
      return;
    }
    const from = this.slots[fromIndex] as Slot<M, T>;
    switch (type) {
      case EV_MESSAGE: {
        if (from.group !== slot.group) {
          this.counters.messagesUndeliverable++;
          return;
        }
        const message = payload as M;
        this.counters.messagesReceived++;
        this.hash = mix32(this.hash ^ hash32(message.type) ^ fromIndex);
        if (message.app !== undefined) {
          this.counters.payloadReceived++;
          const record = this.records.get(message.app.id);
          if (record !== undefined) record.payloadReceived++;
        }
        this.feed(slot, { kind: 'message', from: from.id, message });
        return;
      }
      case EV_TIMER:
        this.counters.timersFired++;
        this.feed(slot, { kind: 'timer', timer: payload as T });
        return;
      case EV_LINK_BROKEN: {
        const s = this.links.find(node, fromIndex);
        if (s < 0 || this.links.gen[s] !== gen) return;
        const state = this.links.state[s];
        if (state !== OPEN && state !== BROKEN) return;
        this.links.state[s] = NONE;
        this.counters.linkDowns++;
        this.feed(slot, { kind: 'linkDown', peer: from.id });
        return;
      }
      case EV_PEER_CLOSED: {
        const s = this.links.find(node, fromIndex);
        if (s >= 0 && this.links.gen[s] === gen && this.links.state[s] === OPEN) this.links.state[s] = CLOSED;
        this.counters.linkDowns++;
        this.feed(slot, { kind: 'linkDown', peer: from.id });
        return;
      }
    }
  }

  private mixTime(time: number): void {
    this.timeBits[0] = time;
    this.hash = mix32(mix32(this.hash ^ (this.timeWords[0] as number)) ^ (this.timeWords[1] as number));
  }

  private feed(slot: Slot<M, T>, input: Parameters<Overlay<M, T>['handle']>[0]): void {
    const overlay = slot.overlay as Overlay<M, T>;
    this.execute(slot, overlay.handle(input, this.clock));
  }

  private execute(slot: Slot<M, T>, outputs: readonly OverlayOutput<M, T>[]): void {
    for (const output of outputs) {
      if (this.observe !== undefined) this.observe(slot.id, output as OverlayOutput<WireMessage, unknown>, this.clock);
      switch (output.kind) {
        case 'send':
          this.transmit(slot, output.to, output.message);
          break;
        case 'disconnect':
          this.close(slot, output.peer);
          break;
        case 'timer':
          this.enqueue(this.clock + output.afterMs, EV_TIMER, slot.index, slot.incarnation, slot.index, output.timer, 0);
          break;
        case 'deliver': {
          const record = this.records.get(output.message.id);
          this.hash = mix32(this.hash ^ output.hops ^ 0xde11);
          if (record !== undefined) record.add(slot.id, this.clock, output.hops);
          break;
        }
        case 'neighborUp':
        case 'neighborDown':
          break;
      }
      // A handler may have crashed this node through `observe`; stop feeding a dead slot.
      if (!slot.alive) return;
    }
  }

  private transmit(slot: Slot<M, T>, to: NodeId, message: M): void {
    this.counters.messagesSent++;
    const peer = this.slotFor(to);
    const links = this.links;
    links.reserve(2);
    const s = links.slot(slot.index, peer.index);
    const state = links.state[s];
    if (state === BROKEN) return;
    const reachable = peer.alive && peer.group === slot.group;
    if (!reachable || (state === OPEN && links.peerInc[s] !== peer.incarnation)) {
      // A failed connect is a connection of its own: a new generation, so older notices skip it.
      if (state !== OPEN) links.open(s, peer.incarnation);
      links.state[s] = BROKEN;
      this.enqueue(this.clock + this.sendFailureDetectMs, EV_LINK_BROKEN, slot.index, slot.incarnation, peer.index, undefined, links.gen[s] as number);
      return;
    }
    if (state !== OPEN) {
      links.open(s, peer.incarnation);
      const back = links.slot(peer.index, slot.index);
      if (links.state[back] !== OPEN || links.peerInc[back] !== slot.incarnation) links.open(back, slot.incarnation);
    }
    if (this.lossRate > 0 && this.netRandom.float() < this.lossRate) {
      this.counters.messagesLost++;
      return;
    }
    const latency = sampleLatency(this.latency, this.netRandom, this.linkSeed, slot.index, peer.index);
    const arrival = this.fifo ? Math.max(this.clock + latency, links.lastArrival[s] as number) : this.clock + latency;
    if (arrival > (links.lastArrival[s] as number)) links.lastArrival[s] = arrival;
    this.enqueue(arrival, EV_MESSAGE, peer.index, peer.incarnation, slot.index, message, 0);
  }

  private close(slot: Slot<M, T>, peerId: NodeId): void {
    const index = this.indexOf.get(peerId);
    if (index === undefined) return;
    const links = this.links;
    const s = links.find(slot.index, index);
    if (s < 0 || links.state[s] !== OPEN) return;
    links.state[s] = CLOSED;
    const peer = this.slots[index] as Slot<M, T>;
    if (!peer.alive || peer.incarnation !== links.peerInc[s] || peer.group !== slot.group) return;
    const latency = sampleLatency(this.latency, this.netRandom, this.linkSeed, slot.index, index);
    const arrival = Math.max(this.clock + latency, links.lastArrival[s] as number);
    links.lastArrival[s] = arrival;
    const back = links.find(index, slot.index);
    this.enqueue(arrival, EV_PEER_CLOSED, index, peer.incarnation, slot.index, undefined, back < 0 ? -1 : (links.gen[back] as number));
  }
}
