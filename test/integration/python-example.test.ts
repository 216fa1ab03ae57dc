/**
 * The Python example (examples/python/topology_app.py: grpcio and stubs generated from proto/ by
 * grpcio-tools, in the venv hack/python-env.sh makes) against three real sidecars on loopback:
 * every instance sees the membership (WatchMembers, with tags), gets only the broadcasts of its
 * topics, and answers a query another instance asks. The venv is a one-off cached step, timed in
 * `before`; each test is seconds.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import { startAppClientFleet, type AppClientFleet } from './support/app-client-fleet.js';
import { PythonApp, pythonEnv, PYTHON_ENV_TIMEOUT_MS, type PyEvent } from './support/python-app.js';

const SIZE = 3;
/** Topics of the instances: 0 every broadcast, 1 "alpha", 2 "beta". */
const TOPICS = ['', 'alpha', 'beta'];
const WAIT_MS = 20_000;

describe('Python example app on real sidecars (integration)', function () {
  this.timeout(60_000);
  let f: AppClientFleet;
  let apps: PythonApp[] = [];
  const app = (i: number): PythonApp => apps[i]!;
  const failed = (a: PythonApp): string => `${a.name}: ${JSON.stringify(a.events.slice(-10))}\n${a.errors}`;
  /** Skips when the sidecar answered `call` with UNIMPLEMENTED (a sidecar without App API v2 yet). */
  const skipIfUnimplemented = (ctx: Mocha.Context, call: string): void => {
    if (apps.some((a) => a.of('unimplemented').some((e) => e['call'] === call))) ctx.skip();
  };

  before(async function () {
    this.timeout(PYTHON_ENV_TIMEOUT_MS + 120_000);
    if (spawnSync('python3', ['--version']).status !== 0) {
      console.log('      (skipped: python3 is not installed)');
      this.skip();
    }
    const t0 = Date.now();
    const python = pythonEnv();
    console.log(`      (python env: ${Date.now() - t0} ms)`);
    f = await startAppClientFleet(SIZE, { memberArgs: (i) => ['--tag', `zone=z${i}`] });
    apps = f.fleet.members.map(
      (m, i) => new PythonApp(python, `py-${i}`, ['--sidecar', m.appAddress, '--topics', TOPICS[i]!, '--answer', `answer-from-py-${i}`]),
    );
    await waitUntil(
      () => `every Python app subscribed: ${apps.map(failed).join('\n')}`,
      () => apps.every((a) => a.of('subscribed').length === 1),
      30_000,
    );
  });
  after(async () => {
    for (const a of apps) await a.stop();
    await f?.stop();
  });

  it('each instance connects and sees one CURRENT event per member with its tags, then SYNCED', async function () {
    for (const a of apps) expect(a.of('ready')[0]?.['self'], failed(a)).to.be.oneOf(f.fleet.ids());
    await waitUntil(
      'synced or unimplemented everywhere',
      () => apps.every((a) => a.of('member').some((e) => e['type'] === 'synced') || a.of('unimplemented').length > 0),
      WAIT_MS,
    );
    skipIfUnimplemented(this, 'WatchMembers');
    for (const a of apps) {
      const events = a.of('member');
      const current = events.filter((e) => e['type'] === 'current');
      expect(
        current.map((e) => e['address']),
        failed(a),
      ).to.have.members(f.fleet.ids());
      expect(events[SIZE]?.['type']).to.equal('synced');
      const zones = Object.fromEntries(current.map((e) => [e['address'], (e['tags'] as Record<string, string>)['zone']]));
      expect(zones).to.deep.equal(Object.fromEntries(f.fleet.ids().map((id, i) => [id, `z${i}`])));
    }
  });

  it('a broadcast on a topic reaches the subscribers of that topic (and of every topic) only', async function () {
    app(0).command({ op: 'broadcast', topic: 'beta', payload: 'on-beta' });
    app(0).command({ op: 'broadcast', topic: 'alpha', payload: 'on-alpha' });
    app(1).command({ op: 'broadcast', payload: 'no-topic' });
    const payloads = (a: PythonApp): unknown[] => a.of('delivery').map((e) => e['payload']);
    await waitUntil('on-alpha at py-1 and no-topic at py-0', () => payloads(app(1)).includes('on-alpha') && payloads(app(0)).includes('no-topic'), WAIT_MS);
    const delivered = app(1)
      .of('delivery')
      .find((e) => e['payload'] === 'on-alpha') as PyEvent;
    if (delivered['topic'] === '') this.skip(); // the sidecar does not carry topics yet
    await waitUntil('on-beta at py-2', () => payloads(app(2)).includes('on-beta'), WAIT_MS);
    expect(delivered['topic']).to.equal('alpha');
    expect(payloads(app(1)), failed(app(1))).to.not.include.members(['on-beta']);
    expect(payloads(app(2)), failed(app(2))).to.not.include.members(['on-alpha', 'no-topic']);
    expect(payloads(app(1))).to.not.include('no-topic'); // its own broadcast
    expect(payloads(app(0))).to.not.include.members(['on-alpha', 'on-beta']); // its own broadcasts
  });

  it('a query from one instance is answered by the others', async function () {
    app(0).command({ op: 'query', payload: 'who is there?', timeout_ms: 3000 });
    await waitUntil(
      'query done or unimplemented',
      () =>
        app(0).of('query_done').length +
          app(0)
            .of('unimplemented')
            .filter((e) => e['call'] === 'Query').length >
        0,
      WAIT_MS,
    );
    skipIfUnimplemented(this, 'Query');
    const answers = app(0)
      .of('query_answer')
      .map((e) => `${String(e['from'])}=${String(e['payload'])}`);
    expect(answers, failed(app(0))).to.include.members([`${f.fleet.ids()[1]}=answer-from-py-1`, `${f.fleet.ids()[2]}=answer-from-py-2`]);
    for (const i of [1, 2]) expect(app(i).of('answered'), failed(app(i))).to.have.length.greaterThan(0);
  });

  it('a query with a tag filter, or on a topic, is answered by the matching members only', async function () {
    const ids = f.fleet.ids();
    const ask = async (cmd: Record<string, unknown>): Promise<string[]> => {
      const before = app(0).of('query_done').length;
      const answersBefore = app(0).of('query_answer').length;
      app(0).command({ op: 'query', payload: 'which?', timeout_ms: 2000, ...cmd });
      await waitUntil(
        'query done',
        () =>
          app(0).of('query_done').length > before ||
          app(0)
            .of('unimplemented')
            .some((e) => e['call'] === 'Query'),
        WAIT_MS,
      );
      return app(0)
        .of('query_answer')
        .slice(answersBefore)
        .map((e) => String(e['from']));
    };
    const byTag = await ask({ tag_filter: { zone: 'z2' } });
    skipIfUnimplemented(this, 'Query');
    expect(byTag, failed(app(0))).to.deep.equal([ids[2]]);
    // Topic "alpha": py-1 subscribes to it, py-2 ("beta") does not; py-0 (every topic) is the asker.
    const byTopic = await ask({ topic: 'alpha' });
    expect(byTopic).to.include(ids[1]);
    expect(byTopic).to.not.include(ids[2]);
  });
});
