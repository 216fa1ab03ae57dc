/**
 * A small deterministic network for the HyParView/PubSub tests: virtual time, a binary heap of
 * events ordered by (time, sequence), per-link FIFO with seeded latency, crashes, and `linkDown`
 * for sends to crashed members and for the far end of a `disconnect`. It does not wait for the
 * shared simulator and keeps these tests independent of it. The suite at the bottom checks the
 * harness itself.
 */
import { expect } from 'chai';
import { SeededRandom } from '../../../src/overlays/random.js';
import type { AppMessage, NodeId, Overlay, OverlayInput, OverlayOutput, WireMessage } from '../../../src/overlays/types.js';

interface Event<M, T> {
  readonly at: number;
  readonly seq: number;
  readonly to: NodeId;
  readonly input: OverlayInput<M, T>;
}

/** Min-heap of events by (at, seq). */
class Heap<E extends { at: number; seq: number }> {
  private readonly items: E[] = [];
  get size(): number {
    return this.items.length;
  }
  push(e: E): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i] as E, a[p] as E)) break;
      [a[i], a[p]] = [a[p] as E, a[i] as E];
      i = p;
    }
  }
  peek(): E | undefined {
    return this.items[0];
  }
  pop(): E | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l] as E, a[m] as E)) m = l;
        if (r < a.length && less(a[r] as E, a[m] as E)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as E, a[i] as E];
        i = m;
      }
    }
    return top;
  }
}

function less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** A delivered app message, as recorded by the net. */
export interface Delivery {
  readonly node: NodeId;
  readonly hops: number;
}

/** The test network. `payloadSends` counts messages carrying `app`, for RMR. */
export class TestNet<M extends WireMessage, T> {
  readonly nodes = new Map<NodeId, Overlay<M, T>>();
  readonly alive = new Set<NodeId>();
  readonly deliveries = new Map<string, Delivery[]>();
  now = 0;
  payloadReceived = 0;
  private seq = 0;
  private msgSeq = 0;
  private readonly heap = new Heap<Event<M, T>>();
  private readonly linkClock = new Map<string, number>();
  private readonly random: SeededRandom;

  constructor(
    seed: number,
    private readonly create: (id: NodeId, random: SeededRandom) => Overlay<M, T>,
    private readonly minLatency = 5,
    private readonly maxLatency = 25,
  ) {
    this.random = new SeededRandom(seed);
  }

  add(id: NodeId, contacts: readonly NodeId[]): void {
    const node = this.create(id, this.random.fork(id));
    this.nodes.set(id, node);
    this.alive.add(id);
    this.apply(id, node.handle({ kind: 'join', contacts }, this.now));
  }

  /**
   * Crashes `id`. Its neighbours' open links break after `idleDetectMs` (a keepalive timeout, as
   * the shared simulator models it) even if they send nothing; a send notices sooner.
   */
  crash(id: NodeId, idleDetectMs = 10_000): void {
    this.alive.delete(id);
    for (const other of this.alive) {
      if ((this.nodes.get(other) as Overlay<M, T>).views().active.includes(id)) this.schedule(this.now + idleDetectMs, other, { kind: 'linkDown', peer: id });
    }
  }

  input(id: NodeId, input: OverlayInput<M, T>): void {
    const node = this.nodes.get(id);
    if (node === undefined || !this.alive.has(id)) return;
    this.apply(id, node.handle(input, this.now));
  }

  broadcast(from: NodeId): string {
    const id = `${from}/${++this.msgSeq}`;
    const app: AppMessage = { id, origin: from, payload: new Uint8Array(0), sentAt: this.now };
    this.deliveries.set(id, []);
    this.input(from, { kind: 'broadcast', message: app });
    return id;
  }

  sendTo(from: NodeId, to: NodeId): string {
    const id = `${from}/${++this.msgSeq}`;
    const app: AppMessage = { id, origin: from, to, payload: new Uint8Array(0), sentAt: this.now };
    this.deliveries.set(id, []);
    this.input(from, { kind: 'send', message: app });
    return id;
  }

  /** Runs every event up to `until` (virtual ms). */
  runUntil(until: number): void {
    for (;;) {
      const e = this.heap.peek();
      if (e === undefined || e.at > until) break;
      this.heap.pop();
      this.step(e);
    }
    this.now = Math.max(this.now, until);
  }

  /** Delivers every message in flight (and what they cause) without firing timers: quiescence. */
  drain(maxEvents = 1_000_000): void {
    const timers: Event<M, T>[] = [];
    let n = 0;
    for (;;) {
      const e = this.heap.pop();
      if (e === undefined) break;
      if (e.input.kind === 'timer') {
        timers.push(e);
        continue;
      }
      if (++n > maxEvents) throw new Error('drain did not quiesce');
      this.step(e);
    }
    for (const t of timers) this.heap.push({ ...t, at: Math.max(t.at, this.now) });
  }

  private step(e: Event<M, T>): void {
    this.now = Math.max(this.now, e.at);
    if (!this.alive.has(e.to)) return;
    if (e.input.kind === 'message') {
      if (e.input.message.app !== undefined) this.payloadReceived++;
    }
    this.input(e.to, e.input);
  }

  private schedule(at: number, to: NodeId, input: OverlayInput<M, T>): void {
    this.heap.push({ at, seq: ++this.seq, to, input });
  }

  private linkTime(from: NodeId, to: NodeId): number {
    const key = `${from}>${to}`;
    const lat = this.minLatency + this.random.int(this.maxLatency - this.minLatency + 1);
    const at = Math.max(this.now + lat, this.linkClock.get(key) ?? 0);
    this.linkClock.set(key, at);
    return at;
  }

  private apply(id: NodeId, outs: OverlayOutput<M, T>[]): void {
    for (const o of outs) {
      switch (o.kind) {
        case 'send':
          if (!this.alive.has(o.to)) this.schedule(this.now + this.maxLatency, id, { kind: 'linkDown', peer: o.to });
          else this.schedule(this.linkTime(id, o.to), o.to, { kind: 'message', from: id, message: o.message });
          break;
        case 'disconnect':
          if (this.alive.has(o.peer)) this.schedule(this.linkTime(id, o.peer), o.peer, { kind: 'linkDown', peer: id });
          break;
        case 'timer':
          this.schedule(this.now + o.afterMs, id, { kind: 'timer', timer: o.timer });
          break;
        case 'deliver': {
          const list = this.deliveries.get(o.message.id) ?? [];
          list.push({ node: id, hops: o.hops });
          this.deliveries.set(o.message.id, list);
          break;
        }
        case 'neighborUp':
        case 'neighborDown':
          break;
      }
    }
  }

  /** Live members' active views, keyed by member. */
  activeViews(): Map<NodeId, readonly NodeId[]> {
    const m = new Map<NodeId, readonly NodeId[]>();
    for (const id of this.alive) m.set(id, (this.nodes.get(id) as Overlay<M, T>).views().active);
    return m;
  }

  /** Number of connected components of the live active-view graph (links to dead members ignored). */
  components(): number {
    const views = this.activeViews();
    const seen = new Set<NodeId>();
    let count = 0;
    for (const start of views.keys()) {
      if (seen.has(start)) continue;
      count++;
      const stack = [start];
      seen.add(start);
      while (stack.length > 0) {
        const n = stack.pop() as NodeId;
        for (const p of views.get(n) ?? []) {
          if (!this.alive.has(p) || seen.has(p)) continue;
          seen.add(p);
          stack.push(p);
        }
      }
    }
    return count;
  }

  /** Pairs (a, b) where a has b active but b does not have a. */
  asymmetries(): [NodeId, NodeId][] {
    const views = this.activeViews();
    const bad: [NodeId, NodeId][] = [];
    for (const [a, view] of views) {
      for (const b of view) {
        if (!this.alive.has(b)) continue;
        if (!(views.get(b) ?? []).includes(a)) bad.push([a, b]);
      }
    }
    return bad;
  }
}

/** Member ids n0, n1, ... */
export function ids(n: number): NodeId[] {
  return Array.from({ length: n }, (_, i) => `n${i}`);
}

describe('test harness (TestNet)', () => {
  it('fires events in time order with FIFO ties and keeps per-link order', () => {
    const heap = new Heap<{ at: number; seq: number }>();
    const input = [5, 1, 3, 1, 9, 0, 3].map((at, seq) => ({ at, seq }));
    for (const e of input) heap.push(e);
    const order: number[] = [];
    while (heap.size > 0) order.push((heap.pop() as { seq: number }).seq);
    expect(order).to.deep.equal([5, 1, 3, 2, 6, 0, 4]);
  });
});
