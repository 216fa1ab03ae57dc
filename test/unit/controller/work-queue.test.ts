import { expect } from 'chai';
import fc from 'fast-check';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import { ItemExponentialFailureRateLimiter } from '../../../src/operator/controller/rate-limiter.js';
import { WorkQueue, type WorkQueueMetrics } from '../../../src/operator/controller/work-queue.js';

function recordingMetrics(): WorkQueueMetrics & { adds: number; retries: number; depths: number[]; latencies: number[]; works: number[] } {
  const m = {
    adds: 0,
    retries: 0,
    depths: [] as number[],
    latencies: [] as number[],
    works: [] as number[],
    depth: (n: number) => m.depths.push(n),
    added: () => m.adds++,
    retried: () => m.retries++,
    queueLatency: (s: number) => m.latencies.push(s),
    workDuration: (s: number) => m.works.push(s),
  };
  return m;
}

/** Takes every key that is ready right now, in order. */
async function drainReady(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const key = await q.get();
    if (key === undefined) break;
    out.push(key);
    q.done(key);
  }
  return out;
}

describe('controller/work-queue', () => {
  it('collapses duplicate adds of a waiting key', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    q.add('ns/a');
    expect(q.len()).to.equal(2);
    expect(await drainReady(q)).to.deep.equal(['ns/a', 'ns/b']);
  });

  it('never hands out a key that is being processed; a re-add during processing is queued after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('k');
    const first = await q.get();
    expect(first).to.equal('k');
    q.add('k');
    q.add('k');
    expect(q.len()).to.equal(0, 'not queued while processing');
    let second: string | undefined = 'pending';
    const waiting = q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).to.equal('pending');
    q.done('k');
    await waiting;
    expect(second).to.equal('k', 'collapsed re-add is handed out once after done');
    q.done('k');
    expect(q.len()).to.equal(0);
  });

  it('property: under any interleaving of add/get/done, no key is handed out twice at once, waiting keys are stored once, and no add is lost', async () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('add' as const), key: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ op: fc.constant('get' as const) }),
      fc.record({ op: fc.constant('done' as const), index: fc.nat(3) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
        const q = new WorkQueue({ clock: new FakeClock() });
        const inFlight: string[] = [];
        // Keys added since they were last handed out: each needs one more pass (level-based).
        const needsPass = new Set<string>();
        for (const o of ops) {
          if (o.op === 'add') {
            q.add(o.key);
            needsPass.add(o.key);
          } else if (o.op === 'get') {
            if (q.len() === 0) continue;
            const key = (await q.get()) as string;
            expect(inFlight).to.not.include(key, 'handed out while still processing');
            inFlight.push(key);
            needsPass.delete(key);
          } else if (inFlight.length > 0) {
            const [key] = inFlight.splice(o.index % inFlight.length, 1);
            q.done(key as string);
          }
          expect(q.len()).to.be.at.most(3, 'a waiting key is stored once');
        }
        for (const key of inFlight.splice(0)) q.done(key);
        while (q.len() > 0) {
          const key = (await q.get()) as string;
          needsPass.delete(key);
          q.done(key);
        }
        expect([...needsPass]).to.deep.equal([], 'every add was followed by a pass');
      }),
    );
  });

  it('addAfter releases keys in due-time order with a fake clock, keeping the earliest time per key', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('late', 300);
    q.addAfter('early', 100);
    q.addAfter('mid', 200);
    q.addAfter('late', 50); // earlier time wins
    q.addAfter('early', 1000); // later time ignored
    expect(q.len()).to.equal(0);
    expect(q.delayedLen()).to.equal(3);
    clock.advance(49);
    expect(q.len()).to.equal(0);
    clock.advance(1);
    expect(await drainReady(q)).to.deep.equal(['late']);
    clock.advance(1000);
    expect(await drainReady(q)).to.deep.equal(['early', 'mid']);
    expect(q.delayedLen()).to.equal(0);
  });

  it('addRateLimited delays by the limiter and counts retries; forget resets the backoff', async () => {
    const clock = new FakeClock();
    const metrics = recordingMetrics();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000), metrics });
    q.addRateLimited('k');
    clock.advance(4);
    expect(q.len()).to.equal(0);
    clock.advance(1);
    expect(q.len()).to.equal(1);
    expect(await drainReady(q)).to.deep.equal(['k']);
    q.addRateLimited('k');
    clock.advance(9);
    expect(q.len()).to.equal(0);
    clock.advance(1);
    expect(q.len()).to.equal(1);
    expect(q.numRequeues('k')).to.equal(2);
    q.forget('k');
    expect(q.numRequeues('k')).to.equal(0);
    expect(metrics.retries).to.equal(2);
  });

  it('reports depth, adds, queue latency and work duration through the hooks', async () => {
    const clock = new FakeClock();
    const metrics = recordingMetrics();
    const q = new WorkQueue({ clock, metrics });
    q.add('a');
    q.add('a');
    q.add('b');
    expect(metrics.adds).to.equal(3);
    expect(metrics.depths.at(-1)).to.equal(2);
    clock.advance(250);
    const k = await q.get();
    expect(metrics.latencies).to.deep.equal([0.25]);
    clock.advance(1500);
    q.done(k as string);
    expect(metrics.works).to.deep.equal([1.5]);
    expect(metrics.depths.at(-1)).to.equal(1);
  });

  it('shutDown releases waiting getters, drops delayed keys, ignores new adds, still hands out queued keys', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const idle = new WorkQueue({ clock });
    const waiter = idle.get();
    idle.shutDown();
    expect(await waiter).to.equal(undefined);

    q.add('queued');
    q.addAfter('delayed', 100);
    q.shutDown();
    q.add('ignored');
    clock.advance(1000);
    expect(clock.pendingTimers()).to.equal(0);
    expect(await q.get()).to.equal('queued');
    expect(await q.get()).to.equal(undefined);
    expect(q.isShuttingDown()).to.equal(true);
  });

  it('drained resolves when in-flight work is done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const key = (await q.get()) as string;
    let drained = false;
    const d = q.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).to.equal(false);
    q.done(key);
    await d;
    expect(drained).to.equal(true);
  });
});
