/** The hand-written grpc.health.v1 client/server definition used by the node agent's gRPC probes. */
import * as grpc from '@grpc/grpc-js';
import { createServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { expect } from 'chai';
import {
  HealthProber,
  checkHealth,
  healthServiceDefinition,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from '../../../src/localcluster/grpc-health.js';

describe('grpc.health.v1 check', () => {
  let server: grpc.Server;
  let address = '';
  const seen: string[] = [];

  before(async () => {
    server = new grpc.Server();
    server.addService(healthServiceDefinition, {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, cb: grpc.sendUnaryData<HealthCheckResponse>) => {
        seen.push(call.request.service);
        const status = call.request.service === '' ? 1 : call.request.service === 'down' ? 2 : 3;
        cb(null, { status });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  after(() => {
    server.forceShutdown();
  });

  it('encodes the service name and decodes every serving status', async () => {
    expect(await checkHealth(address, '', 2000)).to.equal('SERVING');
    expect(await checkHealth(address, 'down', 2000)).to.equal('NOT_SERVING');
    expect(await checkHealth(address, 'topology.v1.Peer', 2000)).to.equal('SERVICE_UNKNOWN');
    expect(seen).to.deep.equal(['', 'down', 'topology.v1.Peer']);
  });

  it('rejects when nothing listens', async () => {
    const err = await checkHealth('127.0.0.1:1', '', 1000).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
  });

  it('a prober keeps one connection per address across checks, and sees a server that came back within a second or two', async () => {
    // A TCP relay in front of the server counts the connections the prober opens.
    let connections = 0;
    const sockets = new Set<Socket>();
    const relay: NetServer = createServer((inbound) => {
      connections++;
      const [host, port] = address.split(':');
      const outbound = connect(Number(port), host);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as { port: number }).port;
    const prober = new HealthProber();
    try {
      for (let i = 0; i < 10; i++) expect(await prober.check(`127.0.0.1:${relayPort}`, '', 2000)).to.equal('SERVING');
      expect(connections).to.equal(1);
      // The relay drops every connection (a restarted server): the next checks fail or reconnect, never hang.
      for (const s of sockets) s.destroy();
      const t0 = Date.now();
      let back = false;
      while (!back && Date.now() - t0 < 5_000)
        back = await prober.check(`127.0.0.1:${relayPort}`, '', 500).then(
          () => true,
          () => false,
        );
      expect(back, 'the prober reached the server again').to.equal(true);
      expect(Date.now() - t0).to.be.lessThan(3_000);
      expect(connections).to.equal(2);
    } finally {
      prober.close();
      for (const s of sockets) s.destroy();
      relay.close();
    }
  });
});
