/** The hand-written grpc.health.v1 client/server definition used by the node agent's gRPC probes. */
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { checkHealth, healthServiceDefinition, type HealthCheckRequest, type HealthCheckResponse } from '../../../src/localcluster/grpc-health.js';

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
});
