import { expect } from 'chai';
import { Registry } from 'prom-client';
import { applyOutcome, Controller, outcomeOf } from '../../../src/operator/controller/controller.js';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import { silentLogger } from '../../../src/operator/controller/log.js';
import { ControllerMetrics } from '../../../src/operator/controller/metrics.js';
import { ItemExponentialFailureRateLimiter } from '../../../src/operator/controller/rate-limiter.js';
import { TerminalError, type Request, type Result } from '../../../src/operator/controller/reconcile.js';
import { ChannelSource, type Source } from '../../../src/operator/controller/source.js';
import { WorkQueue } from '../../../src/operator/controller/work-queue.js';

/** Lets pending promise callbacks run; fails after `turns` event-loop turns (no wall-clock sleeping). */
async function until(cond: () => boolean, what: string, turns = 1000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as Array<{ labels: Record<string, string | number>; value: number }> | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
}

/** Lets every pending promise chain settle (a few event-loop turns) before a negative assertion. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

type Step = Result | Error;

function setup(script: Record<string, Step[]>, concurrency = 1) {
  const clock = new FakeClock();
  const registry = new Registry();
  const metrics = new ControllerMetrics(registry);
  const calls: string[] = [];
  const source = new ChannelSource();
  const reconciler = async (req: Request): Promise<Result> => {
    const key = `${req.namespace}/${req.name}`;
    calls.push(key);
    const step = script[key]?.shift() ?? {};
    if (step instanceof Error) throw step;
    return step;
  };
  const controller = new Controller({
    name: 'test',
    reconciler,
    sources: [source],
    concurrency,
    clock,
    metrics,
    logger: silentLogger(),
    rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000),
  });
  return { clock, registry, calls, source, controller };
}

describe('controller/controller', () => {
  it('classifies outcomes', () => {
    expect(outcomeOf({})).to.deep.equal({ kind: 'success' });
    expect(outcomeOf(undefined)).to.deep.equal({ kind: 'success' });
    expect(outcomeOf({ requeueAfter: 0 })).to.deep.equal({ kind: 'success' });
    expect(outcomeOf({ requeueAfter: 30 })).to.deep.equal({ kind: 'requeue_after', delayMs: 30 });
    const e = new Error('x');
    expect(outcomeOf(undefined, true, e)).to.deep.equal({ kind: 'error', error: e });
    const t = new Error('wrapped', { cause: new TerminalError('bad spec') });
    expect(outcomeOf(undefined, true, t).kind).to.equal('terminal_error');
  });

  it('applyOutcome: success forgets, requeueAfter forgets and parks without the limiter, error backs off, terminal forgets', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const sink = { queue, controller: 'c', logger: silentLogger() };
    applyOutcome(sink, 'k', { kind: 'error', error: new Error('boom') });
    applyOutcome(sink, 'k', { kind: 'error', error: new Error('boom') });
    expect(queue.numRequeues('k')).to.equal(2);
    applyOutcome(sink, 'k', { kind: 'success' });
    expect(queue.numRequeues('k')).to.equal(0);
    applyOutcome(sink, 'k', { kind: 'error', error: new Error('boom') });
    applyOutcome(sink, 'k', { kind: 'terminal_error', error: new TerminalError('no') });
    expect(queue.numRequeues('k')).to.equal(0);
    applyOutcome(sink, 'p', { kind: 'requeue_after', delayMs: 700 });
    expect(queue.numRequeues('p')).to.equal(0);
    clock.advance(699);
    expect(queue.len()).to.equal(1, 'only k (error at 5 ms) is due');
    clock.advance(1);
    expect(queue.len()).to.equal(2);
  });

  it('retries errors with per-key exponential backoff until success, then forgets', async () => {
    const { clock, registry, calls, source, controller } = setup({ 'ns/a': [new Error('e1'), new Error('e2'), {}] });
    await controller.start();
    source.trigger({ namespace: 'ns', name: 'a' });
    await until(() => calls.length === 1, 'first call');
    await until(() => clock.pendingTimers() === 1, 'retry parked');
    clock.advance(4);
    await flush();
    expect(calls.length).to.equal(1);
    clock.advance(1); // 5 ms
    await until(() => calls.length === 2, 'second call after 5 ms');
    await until(() => clock.pendingTimers() === 1, 'retry parked');
    clock.advance(9);
    await flush();
    expect(calls.length).to.equal(2);
    clock.advance(1); // 10 ms
    await until(() => calls.length === 3, 'third call after 10 ms');
    await until(() => controller.queue.numRequeues('ns/a') === 0, 'forgotten after success');
    expect(await metricValue(registry, 'topology_operator_reconcile_total', { result: 'error' })).to.equal(2);
    expect(await metricValue(registry, 'topology_operator_reconcile_total', { result: 'success' })).to.equal(1);
    expect(await metricValue(registry, 'topology_operator_workqueue_retries_total', { name: 'test' })).to.equal(2);
    await controller.stop();
  });

  it('requeueAfter reconciles again after exactly that delay, not rate limited', async () => {
    const { clock, registry, calls, source, controller } = setup({ 'ns/p': [{ requeueAfter: 60_000 }, {}] });
    await controller.start();
    source.trigger({ namespace: 'ns', name: 'p' });
    await until(() => calls.length === 1 && clock.pendingTimers() === 1, 'first call and parked requeue');
    expect(controller.queue.numRequeues('ns/p')).to.equal(0);
    clock.advance(59_999);
    await flush();
    expect(calls.length).to.equal(1);
    clock.advance(1);
    await until(() => calls.length === 2, 'second call at 60 s');
    expect(await metricValue(registry, 'topology_operator_reconcile_total', { result: 'requeue_after' })).to.equal(1);
    await controller.stop();
  });

  it('a TerminalError is counted and not retried', async () => {
    const { clock, registry, calls, source, controller } = setup({ 'ns/t': [new TerminalError('unparsable spec')] });
    await controller.start();
    source.trigger({ namespace: 'ns', name: 't' });
    await until(() => calls.length === 1, 'call');
    clock.advance(10_000_000);
    await flush();
    expect(calls.length).to.equal(1);
    expect(clock.pendingTimers()).to.equal(0);
    expect(await metricValue(registry, 'topology_operator_terminal_reconcile_errors_total', { controller: 'test' })).to.equal(1);
    expect(await metricValue(registry, 'topology_operator_reconcile_total', { result: 'terminal_error' })).to.equal(1);
    await controller.stop();
  });

  it('never reconciles one key twice at once, even with many workers; re-adds collapse into one more pass', async () => {
    const clock = new FakeClock();
    const inFlight = new Map<string, number>();
    let maxSameKey = 0;
    let calls = 0;
    const gates: Array<() => void> = [];
    const controller = new Controller({
      name: 'c',
      concurrency: 4,
      clock,
      logger: silentLogger(),
      reconciler: async (req) => {
        calls++;
        const n = (inFlight.get(req.name) ?? 0) + 1;
        inFlight.set(req.name, n);
        maxSameKey = Math.max(maxSameKey, n);
        await new Promise<void>((r) => gates.push(r));
        inFlight.set(req.name, n - 1);
        return {};
      },
    });
    await controller.start();
    controller.enqueue({ namespace: 'ns', name: 'x' });
    await until(() => gates.length === 1, 'first pass running');
    for (let i = 0; i < 10; i++) controller.enqueue({ namespace: 'ns', name: 'x' });
    controller.enqueue({ namespace: 'ns', name: 'y' });
    await until(() => gates.length === 2, 'y runs in parallel with x');
    await flush();
    expect(gates.length).to.equal(2, 'x is not started a second time while running');
    gates.shift()?.(); // finish x
    await until(() => gates.length === 2 && calls === 3, 'x runs once more for the collapsed re-adds');
    gates.splice(0).forEach((g) => g());
    await until(() => controller.queue.len() === 0 && gates.length === 0 && !controller.queue.isProcessing('ns/x'), 'idle');
    expect(calls).to.equal(3);
    expect(maxSameKey).to.equal(1);
    await controller.stop();
  });

  it('starts workers only after every source synced, and stop waits for the in-flight reconcile', async () => {
    const clock = new FakeClock();
    let synced = false;
    const lateSource: Source = { start: async () => {}, hasSynced: () => synced, stop: async () => {} };
    let release: () => void = () => {};
    let finished = false;
    const calls: string[] = [];
    const controller = new Controller({
      name: 'c',
      clock,
      logger: silentLogger(),
      sources: [lateSource],
      cacheSyncPollMs: 100,
      reconciler: async (req) => {
        calls.push(req.name);
        await new Promise<void>((r) => (release = r));
        finished = true;
        return {};
      },
    });
    controller.enqueue({ namespace: 'ns', name: 'a' });
    let started = false;
    const starting = controller.start().then(() => (started = true));
    await until(() => clock.pendingTimers() === 1, 'polling for sync');
    clock.advance(100);
    await until(() => clock.pendingTimers() === 1, 'still polling');
    expect(started).to.equal(false);
    expect(calls).to.deep.equal([]);
    synced = true;
    clock.advance(100);
    await starting;
    await until(() => calls.length === 1, 'reconciled after sync');
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).to.equal(false);
    release();
    await stopping;
    expect(finished).to.equal(true);
  });

  it('start fails when caches do not sync in time', async () => {
    const clock = new FakeClock();
    const never: Source = { start: async () => {}, hasSynced: () => false, stop: async () => {} };
    const controller = new Controller({ name: 'c', clock, logger: silentLogger(), sources: [never], cacheSyncTimeoutMs: 1000, reconciler: async () => ({}) });
    let error: unknown;
    const starting = controller.start().catch((e: unknown) => (error = e));
    for (let i = 0; i < 20 && error === undefined; i++) {
      await until(() => clock.pendingTimers() > 0 || error !== undefined, 'poll timer');
      clock.step();
    }
    await starting;
    expect(String(error)).to.match(/not synced within 1000 ms/);
    await controller.stop();
  });
});
