/**
 * The typed app client (src/client, `topology-operator/client`) against real sidecar processes on
 * loopback: connect with retries, every Overlay call, typed errors naming the field, and
 * cancellation (AbortSignal, `break`). The App API v2 calls (WatchMembers, topics, Request, Query,
 * Respond, acknowledged Send) are tested for real where the sidecar serves them, and skipped with
 * the reason where it answers UNIMPLEMENTED.
 */
import { expect } from 'chai';
import {
  CancelledError,
  connect,
  DEADLINE_GRACE_MS,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  TopologyError,
  UnavailableError,
  UnimplementedError,
  type MembershipEvent,
  type TopologyClient,
} from '../../src/client/index.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import { fleetHost, FLEET_APP_PORT } from '../../src/fleet/loopback-fleet.js';
import { MAX_APP_PAYLOAD_BYTES, MAX_SUBSCRIBERS } from '../../src/sidecar/app-service.js';
import { Collector, startAppClientFleet, type AppClientFleet } from './support/app-client-fleet.js';

const SIZE = 3;

/** Runs `fn`; returns what it threw (fails the test if it did not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('app client on real sidecars (integration)', function () {
  this.timeout(60_000);
  let f: AppClientFleet;
  const collectors: Collector[] = [];
  const client = (i: number): TopologyClient => f.clients[i]!;
  const address = (i: number): string => f.fleet.members[i]!.id;

  before(async function () {
    this.timeout(120_000);
    f = await startAppClientFleet(SIZE, { memberArgs: (i) => ['--tag', `zone=z${i}`], memberTags: ['rack'], podLabels: (i) => ({ rack: `r${i}` }) });
  });
  afterEach(async () => {
    for (const c of collectors.splice(0)) await c.stop();
  });
  after(async () => {
    await f?.stop();
  });

  it('connect gives up with UNAVAILABLE after its attempts, each after a backoff; a live sidecar answers at once', async () => {
    // An address of this runner's loopback block that no member uses.
    const nobody = `${fleetHost(100 + (process.pid % 150), 200)}:${FLEET_APP_PORT}`;
    let retries = 0;
    const random = (): number => {
      retries++;
      return 0.5;
    };
    const started = Date.now();
    const err = await thrown(() =>
      connect(nobody, { maxAttempts: 3, attemptTimeoutMs: 300, backoff: { initialMs: 50, multiplier: 2, maxMs: 200, jitter: 0.1 }, random }),
    );
    expect(err).to.be.instanceOf(UnavailableError);
    expect((err as UnavailableError).details).to.match(/after 3 attempt\(s\)/);
    expect(retries).to.equal(3);
    expect(Date.now() - started).to.be.lessThan(5_000);
    // A live sidecar: connected at the first attempt, and it knows which member it is.
    const c = await connect(f.fleet.members[1]!.appAddress);
    try {
      expect(c.self).to.equal(address(1));
      await c.waitForReady({ timeoutMs: 1000 });
    } finally {
      c.close();
    }
  });

  it('connect is cancelled by its AbortSignal while retrying', async () => {
    const nobody = `${fleetHost(100 + (process.pid % 150), 201)}:${FLEET_APP_PORT}`;
    const abort = new AbortController();
    const pending = connect(nobody, { attemptTimeoutMs: 200, signal: abort.signal });
    setTimeout(() => abort.abort(new Error('app shutting down')), 300).unref();
    const err = await thrown(() => pending);
    expect(err).to.be.instanceOf(CancelledError);
    expect((err as CancelledError).cause).to.have.property('message', 'app shutting down');
  });

  it('members() lists every member with this one as self', async () => {
    const m = await client(0).members();
    expect(m.self).to.equal(address(0));
    expect(m.members.map((x) => x.address).sort()).to.deep.equal(f.fleet.ids().slice().sort());
    expect(m.epoch).to.be.greaterThan(0);
  });

  it('broadcast reaches every other subscriber exactly once; send reaches its destination only', async () => {
    const subs = await Promise.all([0, 1, 2].map((i) => new Collector(client(i)).subscribed()));
    collectors.push(...subs);
    const sent = await client(0).broadcast('hello-all');
    expect(sent.session).to.not.equal('');
    expect(sent.id).to.contain(address(0));
    await waitUntil('broadcast at members 1 and 2', () => subs[1]!.payloads().includes('hello-all') && subs[2]!.payloads().includes('hello-all'), 20_000);
    const direct = await client(1).send(address(2), new TextEncoder().encode('just-for-2'));
    await waitUntil('send at member 2', () => subs[2]!.payloads().includes('just-for-2'), 20_000);
    const got = subs[2]!.items.find((i) => i.kind === 'message' && i.id === direct.id);
    expect(got).to.include({ kind: 'message', origin: address(1), to: address(2) });
    for (const s of subs) expect(s.payloads().filter((p) => p === 'hello-all')).to.have.length(s === subs[0] ? 0 : 1);
    expect(subs[0]!.payloads()).to.not.include('just-for-2');
    expect(subs[1]!.payloads()).to.not.include('just-for-2');
  });

  it('refusals are typed errors naming the field and the limit', async () => {
    const bad = await thrown(() => client(0).send('not an address', 'x'));
    expect(bad).to.be.instanceOf(InvalidArgumentError);
    expect((bad as InvalidArgumentError).field).to.equal('Send.to');
    expect((bad as TopologyError).code).to.equal('INVALID_ARGUMENT');
    const empty = await thrown(() => client(0).send('', 'x'));
    expect((empty as InvalidArgumentError).field).to.equal('Send.to');
    const unknown = await thrown(() => client(0).send('127.0.0.1:1', 'x'));
    expect(unknown).to.be.instanceOf(NotFoundError);
    const big = await thrown(() => client(0).broadcast(new Uint8Array(MAX_APP_PAYLOAD_BYTES + 1)));
    expect(big).to.be.instanceOf(ResourceExhaustedError);
    expect((big as TopologyError).details).to.contain(String(MAX_APP_PAYLOAD_BYTES));
  });

  it('break out of for-await cancels the Subscribe stream at the sidecar (more than its stream limit, one after another)', async () => {
    for (let n = 0; n < MAX_SUBSCRIBERS + 4; n++) {
      let first: string | undefined;
      for await (const item of client(1).subscribe()) {
        first = item.kind;
        break;
      }
      expect(first, `subscription ${n}`).to.equal('subscribed');
    }
    // And the streams are really gone: a fresh one still gets a broadcast.
    const s = await new Collector(client(1)).subscribed();
    collectors.push(s);
    await client(0).broadcast('after-breaks');
    await waitUntil('a broadcast after the breaks', () => s.payloads().includes('after-breaks'), 20_000);
  });

  it('an AbortSignal cancels a waiting subscription and any call', async () => {
    const abort = new AbortController();
    const it = client(2).subscribe({ signal: abort.signal });
    expect((await it.next()).value).to.have.property('kind', 'subscribed');
    const waiting = it.next();
    abort.abort(new Error('done'));
    const err = await thrown(() => waiting);
    expect(err).to.be.instanceOf(CancelledError);
    expect(await it.next()).to.deep.equal({ value: undefined, done: true });
    const pre = await thrown(() => client(0).members({ signal: AbortSignal.abort() }));
    expect(pre).to.be.instanceOf(CancelledError);
    const stream = await thrown(async () => {
      for await (const e of client(0).watchMembers({ signal: AbortSignal.abort() })) void e;
    });
    expect(stream).to.be.instanceOf(CancelledError);
  });

  describe('App API v2 calls', () => {
    /** Skips the test when the sidecar does not serve `call` yet (the branch with the contract only). */
    const skipIfUnimplemented = (ctx: Mocha.Context, err: unknown, call: string): void => {
      if (err instanceof UnimplementedError) ctx.skip();
      if (err !== undefined) throw new Error(`${call} failed: ${String(err)}`, { cause: err });
    };

    it('watchMembers: one current event per member with pod and tags, synced, then left and joined as a member goes and comes back', async function () {
      const abort = new AbortController();
      const events: MembershipEvent[] = [];
      let err: unknown;
      const watching = (async () => {
        try {
          for await (const e of client(0).watchMembers({ signal: abort.signal })) events.push(e);
        } catch (e) {
          if (!abort.signal.aborted) err = e;
        }
      })();
      try {
        await waitUntil('synced (or an error)', () => err !== undefined || events.some((e) => e.type === 'synced'), 10_000, 20);
        skipIfUnimplemented(this, err, 'WatchMembers');
        const current = events.flatMap((e) => (e.type === 'current' ? [e.member] : []));
        expect(current.map((m) => m.address).sort()).to.deep.equal(f.fleet.ids().slice().sort());
        expect(events.findIndex((e) => e.type === 'synced')).to.equal(SIZE);
        for (const m of current) {
          const i = f.fleet.ids().indexOf(m.address);
          expect(m.pod, m.address).to.not.equal(''); // the pod name the operator pushed
          await waitUntil(
            `tags of ${m.address}`,
            async () => (await client(0).members()).members.find((x) => x.address === m.address)?.tags['rack'] === `r${i}`,
            20_000,
          );
        }
        const one = (await client(0).members()).members.find((x) => x.address === address(1))!;
        expect(one.tags).to.deep.equal({ zone: 'z1', rack: 'r1' });
        // Member 1's pod goes unready (the operator drops it from the members it pushes) and comes back.
        f.operator.setPodReady(address(1), false);
        await f.operator.reconcile();
        await waitUntil('left', () => events.some((e) => e.type === 'left' && e.member.address === address(1)), 20_000);
        f.operator.setPodReady(address(1), true);
        await f.operator.reconcile();
        await waitUntil('joined', () => events.some((e) => e.type === 'joined' && e.member.address === address(1)), 20_000);
        const joined = events.find((e) => e.type === 'joined');
        expect(joined?.type === 'joined' ? joined.member.tags['zone'] : undefined).to.equal('z1');
        await waitUntil(
          'every member lists every member again',
          async () => (await Promise.all(f.clients.map((c) => c.members()))).every((r) => r.members.length === SIZE),
          20_000,
        );
      } finally {
        abort.abort();
        await watching;
      }
    });

    it('request / respond: the answer of the destination app; respond to an unknown id is NOT_FOUND', async function () {
      const answerer = new AbortController();
      const answering = (async () => {
        for await (const d of client(1).subscribe({ signal: answerer.signal })) {
          if (d.kind === 'request') await client(1).respond(d.requestId, `pong:${d.payload.toString('utf8')}`);
        }
      })().catch(() => undefined);
      try {
        let err: unknown;
        let reply;
        try {
          reply = await client(0).request(address(1), 'ping', { timeoutMs: 10_000, waitForReady: true });
        } catch (e) {
          err = e;
        }
        skipIfUnimplemented(this, err, 'Request');
        expect(reply!.from).to.equal(address(1));
        expect(reply!.payload.toString('utf8')).to.equal('pong:ping');
        const unknown = await thrown(() => client(0).respond('no-such-request', 'x'));
        expect(unknown).to.be.instanceOf(NotFoundError);
        // No app subscribed at member 2 (the collectors of earlier tests are stopped): FAILED_PRECONDITION.
        await waitUntil(
          'FAILED_PRECONDITION from a member without an app',
          async () => (await thrown(() => client(0).request(address(2), 'anyone?', { timeoutMs: 1000 }))) instanceof FailedPreconditionError,
          10_000,
        );
        // An app that never answers: DEADLINE_EXCEEDED after timeoutMs, and its late Respond is refused.
        const silent = await new Collector(client(2)).subscribed();
        collectors.push(silent);
        const t0 = Date.now();
        const late = await thrown(() => client(0).request(address(2), 'answer me', { timeoutMs: 300 }));
        expect(late).to.be.instanceOf(DeadlineExceededError);
        expect(Date.now() - t0).to.be.lessThan(1_300 + DEADLINE_GRACE_MS);
        await waitUntil('the request at the silent app', () => silent.items.some((i) => i.kind === 'request'), 5_000);
        const request = silent.items.find((i) => i.kind === 'request');
        expect(request?.kind).to.equal('request');
        if (request?.kind === 'request') expect(await thrown(() => client(2).respond(request.requestId, 'too late'))).to.be.instanceOf(TopologyError);
        expect(await thrown(() => client(0).request('127.0.0.1:1', 'x'))).to.be.instanceOf(NotFoundError);
        const range = await thrown(() => client(0).request(address(1), 'x', { timeoutMs: 300_001 }));
        expect((range as InvalidArgumentError).field).to.equal('RequestMessage.timeout_ms');
        const topic = await thrown(() => client(0).broadcast('x', { topic: 'has space' }));
        expect(topic).to.be.instanceOf(InvalidArgumentError);
        expect((topic as InvalidArgumentError).field).to.equal('Broadcast.topic');
      } finally {
        answerer.abort();
        await answering;
      }
    });

    it('query: answers from every other member stream back until the deadline', async function () {
      const answerers = [1, 2].map((i) => {
        const abort = new AbortController();
        const run = (async () => {
          for await (const d of client(i).subscribe({ signal: abort.signal })) {
            if (d.kind === 'request') await client(i).respond(d.requestId, `answer-from-${i}`);
          }
        })().catch(() => undefined);
        return { abort, run };
      });
      try {
        const answers: string[] = [];
        let err: unknown;
        try {
          for await (const a of client(0).query('who is there', { timeoutMs: 2_000 })) answers.push(a.payload.toString('utf8'));
        } catch (e) {
          err = e;
        }
        skipIfUnimplemented(this, err, 'Query');
        expect(answers).to.include.members(['answer-from-1', 'answer-from-2']);
      } finally {
        for (const a of answerers) a.abort.abort();
        await Promise.all(answerers.map((a) => a.run));
      }
    });

    it('topics: a subscriber of topic "a" gets the broadcasts on "a", not on "b"', async function () {
      const onA = await new Collector(client(1), { topics: ['a'] }).subscribed();
      const all = await new Collector(client(2)).subscribed();
      collectors.push(onA, all);
      await client(0).broadcast('on-b', { topic: 'b' });
      await client(0).broadcast('on-a', { topic: 'a' });
      await waitUntil('both broadcasts at the every-topic subscriber', () => all.payloads().includes('on-a') && all.payloads().includes('on-b'), 20_000);
      const delivered = all.items.find((i) => i.kind === 'message' && i.payload.toString() === 'on-a');
      if (delivered?.kind === 'message' && delivered.topic === '') this.skip(); // the sidecar does not carry topics yet
      await waitUntil('on-a at the topic subscriber', () => onA.payloads().includes('on-a'), 20_000);
      expect(onA.payloads()).to.not.include('on-b');
    });

    it('an acknowledged send resolves once the destination app has it; without a subscribed app it is DEADLINE_EXCEEDED, never a false OK', async () => {
      // Nobody subscribed at member 1 (earlier collectors are stopped): the message waits in its log, no ack comes.
      await waitUntil(
        'DEADLINE_EXCEEDED from a member without an app',
        async () => (await thrown(() => client(0).send(address(1), 'unacked', { ack: true, deadlineMs: 300 }))) instanceof DeadlineExceededError,
        10_000,
      );
      const s = await new Collector(client(2)).subscribed();
      collectors.push(s);
      const sent = await client(0).send(address(2), 'acked', { ack: true, deadlineMs: 10_000 });
      expect(sent.id).to.contain(address(0));
      await waitUntil('the acked message at its app', () => s.payloads().includes('acked'), 5_000);
    });
  });

  describe('a sidecar that restarts, or starts after its app', () => {
    it('a resubscribing subscription resumes across a sidecar restart and is told: a SIDECAR_RESTARTED GAP with reset', async () => {
      const s = await new Collector(client(2), { resubscribe: { backoff: { initialMs: 50, multiplier: 2, maxMs: 500, jitter: 0 } } }).subscribed();
      collectors.push(s);
      await client(0).send(address(2), 'before-restart');
      await waitUntil('the message before the restart', () => s.payloads().includes('before-restart'), 20_000);
      const before = s.items.find((i) => i.kind === 'message' && i.payload.toString() === 'before-restart');
      await f.fleet.kill(2);
      await f.fleet.restart(2);
      await waitUntil('the GAP after the restart', () => s.items.some((i) => i.kind === 'gap'), 30_000, 20);
      const kinds = s.items.map((i) => i.kind);
      const resub = kinds.indexOf('resubscribing');
      expect(resub, kinds.join(',')).to.be.greaterThan(0);
      const again = s.items.slice(resub).find((i) => i.kind === 'subscribed');
      expect(again?.kind === 'subscribed' ? again.resumedFrom : undefined).to.deep.equal(
        before?.kind === 'message' ? { session: before.session, cursor: before.cursor } : 'no message',
      );
      const gap = s.items.find((i) => i.kind === 'gap');
      expect(gap).to.include({ kind: 'gap', reason: 'SIDECAR_RESTARTED', reset: true });
      expect(gap?.kind === 'gap' ? gap.session : '').to.not.equal(before?.kind === 'message' ? before.session : '');
      expect(s.error).to.equal(undefined);
    });

    it('connect retries with backoff until the sidecar answers', async () => {
      await f.fleet.kill(2);
      let retries = 0;
      const pending = connect(f.fleet.members[2]!.appAddress, { attemptTimeoutMs: 500, random: () => (retries++, 0.5) });
      await waitUntil('connect retried at least twice', () => retries >= 2, 20_000, 20);
      await f.fleet.restart(2);
      const c = await pending;
      try {
        expect(c.self).to.equal(address(2));
        expect((await c.members()).self).to.equal(address(2));
      } finally {
        c.close();
      }
    });
  });
});
