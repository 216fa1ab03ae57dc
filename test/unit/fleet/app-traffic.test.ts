// AppClient's accounting of failed sends, over real gRPC: an Overlay client whose sidecar address
// has nothing listening gets UNAVAILABLE from grpc-js for every call, which is what the tally,
// its bounded samples and the failure-message summary are checked against.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:net';
import { AppClient, SEND_ERROR_SAMPLES, TrafficGenerator, describeSendErrors, waitUntil } from '../../../src/fleet/app-traffic.js';

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

describe('AppClient send errors', () => {
  let app: AppClient;

  beforeEach(async () => {
    app = new AppClient('127.0.0.1:7070', `127.0.0.1:${await closedPort()}`);
  });

  afterEach(() => app.close());

  it('tallies every failed send by gRPC status code, keeps the first few as samples, and clears', async () => {
    const t0 = Date.now();
    const results = [await app.send(undefined, Buffer.from('b')), await app.send('127.0.0.2:7070', Buffer.from('s'))];
    for (let i = 0; i < SEND_ERROR_SAMPLES + 2; i++) results.push(await app.send(undefined, Buffer.from('more')));
    expect(results.every((r) => r === undefined)).to.equal(true);
    expect(app.sent).to.have.length(0);
    expect(app.sendErrors).to.equal(SEND_ERROR_SAMPLES + 4);
    expect([...app.sendErrorsByCode.keys()]).to.deep.equal([grpc.status.UNAVAILABLE]);
    const tally = app.sendErrorsByCode.get(grpc.status.UNAVAILABLE)!;
    expect(tally.count).to.equal(SEND_ERROR_SAMPLES + 4);
    expect(tally.samples).to.have.length(SEND_ERROR_SAMPLES);
    expect(tally.samples.map((s) => s.method).slice(0, 2)).to.deep.equal(['Broadcast', 'Send']);
    for (const s of tally.samples) {
      expect(s.startedAt).to.be.at.least(t0);
      expect(s.waitedMs).to.be.at.least(0);
      expect(s.details).to.not.equal('');
    }
    const text = describeSendErrors([app], t0);
    expect(text).to.match(new RegExp(`^UNAVAILABLE ×${SEND_ERROR_SAMPLES + 4} \\(127\\.0\\.0\\.1:7070 ×${SEND_ERROR_SAMPLES + 4}\\)`));
    expect(text).to.contain('127.0.0.1:7070 Broadcast at +');
    app.clearSendErrors();
    expect(app.sendErrors).to.equal(0);
    expect(describeSendErrors([app], t0)).to.equal('');
  });

  it('TrafficGenerator reports the load of its own process while traffic ran, frozen at stop', async () => {
    const other = new AppClient('127.0.0.2:7070', `127.0.0.1:${await closedPort()}`);
    const traffic = new TrafficGenerator([app, other], { ratePerMember: 200, seed: 1 });
    try {
      expect(traffic.clientLoad()).to.deep.equal({ loopDelayP99Ms: 0, loopDelayMaxMs: 0, cpuMsPerSecond: 0 });
      traffic.start();
      await waitUntil('20 failed sends', () => app.sendErrors + other.sendErrors >= 20, 10_000);
    } finally {
      await traffic.stop();
      other.close();
    }
    const load = traffic.clientLoad();
    expect(load.cpuMsPerSecond).to.be.greaterThan(0);
    expect(load.loopDelayMaxMs).to.be.at.least(load.loopDelayP99Ms);
    expect(traffic.clientLoad()).to.deep.equal(load);
  });
});
