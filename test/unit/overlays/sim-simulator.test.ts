import { expect } from 'chai';
import fc from 'fast-check';
import type { NodeId, Overlay, OverlayInput, OverlayOutput, OverlayViews } from '../../../src/overlays/types.js';
import { newCounters } from '../../../src/overlays/types.js';
import { SeededRandom } from '../../../src/overlays/random.js';
import { EventQueue } from '../../../src/overlays/sim/event-queue.js';
import { sampleLatency, type LatencyModel } from '../../../src/overlays/sim/latency.js';
import { Simulator, type SimulatorOptions } from '../../../src/overlays/sim/simulator.js';
import { percentile } from '../../../src/overlays/sim/metrics.js';
import { FullMesh } from '../../../src/overlays/full-mesh.js';
import { nodeIds } from '../../../src/overlays/sim/workload.js';

interface TestMessage {
  readonly type: string;
  readonly round?: number;
}
type TestTimer = string;
type In = OverlayInput<TestMessage, TestTimer>;
type Out = OverlayOutput<TestMessage, TestTimer>;

/** An overlay that records its inputs and answers with whatever the test's script says. */
class Scripted implements Overlay<TestMessage, TestTimer> {
  readonly kind = 'FullMesh' as const;
  readonly log: { input: In; now: number }[] = [];
  constructor(
    readonly self: NodeId,
    private readonly script: (node: Scripted, input: In, now: number) => Out[],
  ) {}
  handle(input: In, now: number): Out[] {
    this.log.push({ input, now });
    return this.script(this, input, now);
  }
  views(): OverlayViews {
    return { active: [], passive: [] };
  }
  members(): readonly NodeId[] {
    return [this.self];
  }
  counters() {
    return newCounters();
  }
  /** Inputs of one kind, with their times. */
  of(kind: In['kind']): { input: In; now: number }[] {
    return this.log.filter((e) => e.input.kind === kind);
  }
}

/** A simulator of scripted nodes; `outbox` lets a test make a node emit outputs on demand. */
function scripted(options: Partial<SimulatorOptions> = {}, reply?: (node: Scripted, input: In, now: number) => Out[]) {
  const outbox = new Map<NodeId, Out[]>();
  const nodes = new Map<NodeId, Scripted>();
  const sim = new Simulator<TestMessage, TestTimer>({ seed: 1, latency: { kind: 'constant', ms: 10 }, ...options }, (id) => {
    const node = new Scripted(id, (n, input, now) => {
      if (input.kind === 'members') {
        const out = outbox.get(n.self) ?? [];
        outbox.delete(n.self);
        return out;
      }
      return reply === undefined ? [] : reply(n, input, now);
    });
    nodes.set(id, node);
    return node;
  });
  /** Makes `id` emit `outputs` now (delivered through a `members` input, which the script ignores otherwise). */
  const emit = (id: NodeId, outputs: Out[]): void => {
    outbox.set(id, outputs);
    sim.setMembers([]);
  };
  return { sim, nodes, emit, get: (id: NodeId) => nodes.get(id) as Scripted };
}

const msg = (round: number): TestMessage => ({ type: 'test.msg', round });
const rounds = (node: Scripted): number[] => node.of('message').map((e) => (e.input as { message: TestMessage }).message.round ?? -1);

describe('sim EventQueue', () => {
  it('pops by time, and in push order among equal times', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 300 }), (times) => {
        const q = new EventQueue<{ time: number; tag: number }>();
        times.forEach((time, tag) => q.push({ time, tag }));
        const popped: { time: number; tag: number }[] = [];
        for (let e = q.pop(); e !== undefined; e = q.pop()) popped.push(e);
        const expected = times.map((time, tag) => ({ time, tag })).sort((a, b) => a.time - b.time || a.tag - b.tag);
        expect(popped.map((e) => [e.time, e.tag])).to.deep.equal(expected.map((e) => [e.time, e.tag]));
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});

describe('sim latency models', () => {
  const draw = (model: LatencyModel, n: number, from = 0, to = 1, seed = 5): number[] => {
    const r = new SeededRandom(seed);
    return Array.from({ length: n }, () => sampleLatency(model, r, 99, from, to));
  };

  it('uniform stays in its bounds; perLink is fixed per link and differs across links', () => {
    for (const v of draw({ kind: 'uniform', minMs: 2, maxMs: 8 }, 1000)) expect(v).to.be.within(2, 8);
    const link = draw({ kind: 'uniform', minMs: 2, maxMs: 8, perLink: true }, 10);
    expect(new Set(link).size).to.equal(1);
    const others = Array.from({ length: 20 }, (_, to) => draw({ kind: 'uniform', minMs: 2, maxMs: 8, perLink: true }, 1, 0, to)[0]);
    expect(new Set(others).size).to.be.greaterThan(15);
  });

  it('lognormal has a long tail around its median and respects the cap', () => {
    const values = draw({ kind: 'lognormal', medianMs: 10, sigma: 1 }, 20_000);
    expect(percentile(values, 50)).to.be.within(9, 11);
    expect(percentile(values, 99) / percentile(values, 50)).to.be.within(7, 14);
    for (const v of draw({ kind: 'lognormal', medianMs: 10, sigma: 1, maxMs: 30 }, 2000)) expect(v).to.be.at.most(30);
  });

  it('rejects nonsense with the field named', () => {
    expect(() => new Simulator({ seed: 1, latency: { kind: 'uniform', minMs: 5, maxMs: 1 } }, (id) => new FullMesh(id))).to.throw(RangeError, /maxMs/);
    expect(() => new Simulator({ seed: 1, lossRate: 2 }, (id) => new FullMesh(id))).to.throw(RangeError, /lossRate/);
  });
});

describe('Simulator', () => {
  it('turns a send into a message input at now + latency, and timers into timer inputs', () => {
    const { sim, emit, get } = scripted();
    sim.addNode('a');
    sim.addNode('b');
    sim.runFor(5);
    emit('a', [
      { kind: 'send', to: 'b', message: msg(1) },
      { kind: 'timer', afterMs: 7, timer: 'tick' },
    ]);
    sim.runFor(100);
    expect(
      get('b')
        .of('message')
        .map((e) => e.now),
    ).to.deep.equal([15]);
    expect(
      get('a')
        .of('timer')
        .map((e) => [e.now, (e.input as { timer: string }).timer]),
    ).to.deep.equal([[12, 'tick']]);
    expect(get('a').of('join')).to.have.length(1);
  });

  it('keeps each link FIFO even when per-message latency varies', () => {
    const { sim, emit, get } = scripted({ latency: { kind: 'uniform', minMs: 1, maxMs: 50 } });
    sim.addNode('a');
    sim.addNode('b');
    emit(
      'a',
      Array.from({ length: 200 }, (_, i) => ({ kind: 'send' as const, to: 'b', message: msg(i) })),
    );
    sim.runFor(100);
    expect(rounds(get('b'))).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
  });

  it('delivers events due at the same instant in the order they were scheduled', () => {
    const { sim, emit, get } = scripted();
    for (const id of ['a', 'b', 'c']) sim.addNode(id);
    emit('a', [{ kind: 'send', to: 'c', message: msg(1) }]);
    emit('b', [{ kind: 'send', to: 'c', message: msg(2) }]);
    emit('a', [{ kind: 'send', to: 'c', message: msg(3) }]);
    sim.runFor(20);
    expect(rounds(get('c'))).to.deep.equal([1, 2, 3]);
    expect(
      new Set(
        get('c')
          .of('message')
          .map((e) => e.now),
      ),
    ).to.deep.equal(new Set([10]));
  });

  it('loses about lossRate of the messages, silently', () => {
    const { sim, emit, get } = scripted({ lossRate: 0.3 });
    sim.addNode('a');
    sim.addNode('b');
    emit(
      'a',
      Array.from({ length: 10_000 }, (_, i) => ({ kind: 'send' as const, to: 'b', message: msg(i) })),
    );
    sim.runFor(100);
    const got = get('b').of('message').length;
    expect(got).to.be.within(6_800, 7_200);
    expect(sim.stats().messagesLost).to.equal(10_000 - got);
    expect(get('a').of('linkDown')).to.have.length(0);
  });

  it('drops messages across a partition, reports linkDown to the sender, and heals', () => {
    const { sim, emit, get } = scripted({ sendFailureDetectMs: 30 });
    for (const id of ['a', 'b', 'c']) sim.addNode(id);
    sim.partition([['a', 'c'], ['b']]);
    emit('a', [
      { kind: 'send', to: 'b', message: msg(1) },
      { kind: 'send', to: 'b', message: msg(2) },
      { kind: 'send', to: 'c', message: msg(3) },
    ]);
    sim.runFor(100);
    expect(get('b').of('message')).to.have.length(0);
    expect(rounds(get('c'))).to.deep.equal([3]);
    expect(
      get('a')
        .of('linkDown')
        .map((e) => [e.now, (e.input as { peer: string }).peer]),
    ).to.deep.equal([[30, 'b']]);
    sim.heal();
    emit('a', [{ kind: 'send', to: 'b', message: msg(4) }]);
    sim.runFor(100);
    expect(rounds(get('b'))).to.deep.equal([4]);
  });

  it('breaks open links that a partition cuts after the idle detection delay', () => {
    const { sim, emit, get } = scripted({ idleFailureDetectMs: 500 });
    sim.addNode('a');
    sim.addNode('b');
    emit('a', [{ kind: 'send', to: 'b', message: msg(1) }]);
    sim.runFor(100);
    sim.partition([['a'], ['b']]);
    sim.runFor(1000);
    expect(
      get('a')
        .of('linkDown')
        .map((e) => e.now),
    ).to.deep.equal([600]);
    expect(
      get('b')
        .of('linkDown')
        .map((e) => e.now),
    ).to.deep.equal([600]);
  });

  it('crash: in-flight messages are dropped, senders and idle peers get linkDown, recovery starts afresh', () => {
    const { sim, emit, nodes, get } = scripted({ sendFailureDetectMs: 20, idleFailureDetectMs: 1000 });
    for (const id of ['a', 'b', 'c']) sim.addNode(id, id === 'a' ? [] : ['a']);
    emit('c', [{ kind: 'send', to: 'b', message: msg(0) }]);
    sim.runFor(50);
    emit('a', [
      { kind: 'send', to: 'b', message: msg(1) },
      { kind: 'timer', afterMs: 5, timer: 'old' },
    ]);
    emit('b', [{ kind: 'timer', afterMs: 500, timer: 'stale' }]);
    sim.crash('b');
    expect(sim.node('b')).to.equal(undefined);
    expect(sim.aliveNodes()).to.deep.equal(['a', 'c']);
    sim.runFor(10);
    emit('a', [{ kind: 'send', to: 'b', message: msg(2) }]);
    sim.runFor(2000);
    const oldB = get('b');
    expect(rounds(oldB)).to.deep.equal([0]);
    expect(oldB.of('timer')).to.have.length(0);
    // a sent on the broken link at t=60: linkDown at 80; c's idle link breaks at 50 + 1000.
    expect(
      get('a')
        .of('linkDown')
        .map((e) => e.now),
    ).to.deep.equal([80]);
    expect(
      get('c')
        .of('linkDown')
        .map((e) => e.now),
    ).to.deep.equal([1050]);
    sim.recover('b');
    const newB = nodes.get('b') as Scripted;
    expect(newB).to.not.equal(oldB);
    expect(newB.of('join').map((e) => (e.input as { contacts: readonly string[] }).contacts)).to.deep.equal([['a']]);
    emit('a', [{ kind: 'send', to: 'b', message: msg(3) }]);
    sim.runFor(100);
    expect(rounds(newB)).to.deep.equal([3]);
  });

  it('treats a link opened to an earlier incarnation as broken', () => {
    const { sim, emit, get, nodes } = scripted({ sendFailureDetectMs: 20, idleFailureDetectMs: Infinity });
    sim.addNode('a');
    sim.addNode('b');
    emit('a', [{ kind: 'send', to: 'b', message: msg(1) }]);
    sim.runFor(50);
    sim.crash('b');
    sim.recover('b');
    emit('a', [{ kind: 'send', to: 'b', message: msg(2) }]);
    sim.runFor(50);
    expect(
      get('a')
        .of('linkDown')
        .map((e) => e.now),
    ).to.deep.equal([70]);
    expect(rounds(nodes.get('b') as Scripted)).to.deep.equal([]);
    emit('a', [{ kind: 'send', to: 'b', message: msg(3) }]);
    sim.runFor(50);
    expect(rounds(nodes.get('b') as Scripted)).to.deep.equal([3]);
  });

  it('delivers a disconnect as linkDown at the other side after the messages in flight', () => {
    const { sim, emit, get } = scripted({ latency: { kind: 'uniform', minMs: 1, maxMs: 40 } });
    sim.addNode('a');
    sim.addNode('b');
    emit('a', [...Array.from({ length: 20 }, (_, i) => ({ kind: 'send' as const, to: 'b', message: msg(i) })), { kind: 'disconnect', peer: 'b' }]);
    sim.runFor(100);
    const b = get('b');
    const kinds = b.log.map((e) => e.input.kind).filter((k) => k === 'message' || k === 'linkDown');
    expect(kinds).to.deep.equal([...Array.from({ length: 20 }, () => 'message'), 'linkDown']);
    expect(get('a').of('linkDown')).to.have.length(0);
  });

  it('runUntil stops as soon as the condition holds', () => {
    const { sim, emit, get } = scripted();
    sim.addNode('a');
    sim.addNode('b');
    emit('a', [{ kind: 'send', to: 'b', message: msg(1) }]);
    expect(sim.runUntil(() => get('b').of('message').length > 0, 1000)).to.equal(true);
    expect(sim.now).to.equal(10);
    expect(sim.runUntil(() => false, 50)).to.equal(false);
    expect(sim.now).to.equal(60);
  });

  it('runs scheduled calls in time order with the network events', () => {
    const { sim, emit, get } = scripted();
    sim.addNode('a');
    sim.addNode('b');
    const seen: string[] = [];
    sim.schedule(10, () => seen.push(`call@${sim.now}:${get('b').of('message').length}`));
    emit('a', [{ kind: 'send', to: 'b', message: msg(1) }]);
    sim.schedule(5, () => seen.push(`early@${sim.now}`));
    sim.runFor(20);
    // The call scheduled first at t=10 runs before the message pushed later for t=10.
    expect(seen).to.deep.equal(['early@5', 'call@10:0']);
    expect(get('b').of('message')).to.have.length(1);
  });

  it('drain delivers every message in flight and what it causes, holding timers and calls back until after', () => {
    // b answers each message with another one back to a, up to round 3.
    const { sim, emit, get } = scripted({}, (n, input) =>
      input.kind === 'message' && (input.message.round ?? 0) < 3
        ? [{ kind: 'send', to: n.self === 'a' ? 'b' : 'a', message: msg((input.message.round ?? 0) + 1) }]
        : [],
    );
    sim.addNode('a');
    sim.addNode('b');
    const calls: number[] = [];
    sim.schedule(5, () => calls.push(sim.now));
    emit('a', [
      { kind: 'send', to: 'b', message: msg(0) },
      { kind: 'timer', afterMs: 15, timer: 'tick' },
      { kind: 'timer', afterMs: 100, timer: 'late' },
    ]);
    sim.drain();
    expect(sim.now).to.equal(40);
    expect(rounds(get('b'))).to.deep.equal([0, 2]);
    expect(rounds(get('a'))).to.deep.equal([1, 3]);
    expect(get('a').of('timer')).to.deep.equal([]);
    expect(calls).to.deep.equal([]);
    // Held events stay queued: what fell due during the drain runs now, the rest at its own time.
    sim.runFor(0);
    expect(calls).to.deep.equal([40]);
    expect(
      get('a')
        .of('timer')
        .map((e) => e.now),
    ).to.deep.equal([40]);
    sim.runFor(100);
    expect(
      get('a')
        .of('timer')
        .map((e) => e.now),
    ).to.deep.equal([40, 100]);
  });

  it('drain gives up on an exchange that never ends', () => {
    const { sim, emit } = scripted({}, (n, input) => (input.kind === 'message' ? [{ kind: 'send', to: n.self === 'a' ? 'b' : 'a', message: msg(0) }] : []));
    sim.addNode('a');
    sim.addNode('b');
    emit('a', [{ kind: 'send', to: 'b', message: msg(0) }]);
    expect(() => sim.drain(50)).to.throw(/drain: still busy after 50 events/);
  });

  it('leave: the member is told, stops counting as alive, and FullMesh peers drop it', () => {
    const sim = new Simulator({ seed: 3 }, (id) => new FullMesh(id, { dedupCapacity: 64 }));
    for (const id of ['a', 'b', 'c']) sim.addNode(id, id === 'a' ? [] : ['a']);
    sim.runFor(200);
    expect(sim.node('b')?.views().active).to.have.members(['a', 'c']);
    sim.leave('c');
    sim.runFor(200);
    expect(sim.aliveNodes()).to.deep.equal(['a', 'b']);
    expect(sim.node('a')?.views().active).to.deep.equal(['b']);
    expect(sim.node('b')?.views().active).to.deep.equal(['a']);
  });

  it('same seed, same run byte for byte; another seed, another run', () => {
    const run = (seed: number): string => {
      const sim = new Simulator(
        { seed, latency: { kind: 'lognormal', medianMs: 5, sigma: 1 }, lossRate: 0.01 },
        (id) => new FullMesh(id, { dedupCapacity: 256 }),
      );
      const ids = nodeIds(30);
      ids.forEach((id, i) => {
        sim.addNode(id, i === 0 ? [] : [ids[0] as string]);
        sim.runFor(3);
      });
      sim.runFor(500);
      for (let i = 0; i < 10; i++) sim.broadcast(ids[(i * 7) % ids.length] as string);
      sim.crash(ids[3] as string);
      sim.runFor(1000);
      const recs = Array.from({ length: 10 }, (_, i) => sim.deliveries(`${ids[(i * 7) % ids.length]}/${i + 1}`));
      return `${sim.digest()} ${JSON.stringify(recs.map((r) => [r?.receivers, r?.times, r?.hops]))}`;
    };
    const first = run(42);
    expect(run(42)).to.equal(first);
    expect(run(43)).to.not.equal(first);
  });
});
