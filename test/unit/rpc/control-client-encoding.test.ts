// The Control client encodes a fan-out's request once (one request object for every member), but
// never sends stale bytes: a member list changed in place since builds a new request. A real
// gRPC server on loopback records what arrives.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { ControlClient } from '../../../src/rpc/control-client.js';
import { loadProto } from '../../../src/rpc/proto.js';

describe('ControlClient request encoding', () => {
  let server: grpc.Server;
  let client: ControlClient;
  const received: { members: string[]; prepared?: string[] }[] = [];

  before(async () => {
    server = new grpc.Server();
    server.addService(loadProto().topology.v1.Control.service, {
      SetMembers: (call: grpc.ServerUnaryCall<{ members: string[] }, unknown>, cb: grpc.sendUnaryData<{ count: number }>) => {
        received.push({ members: [...call.request.members] });
        cb(null, { count: call.request.members.length });
      },
      Prepare: (call: grpc.ServerUnaryCall<{ members: string[] }, unknown>, cb: grpc.sendUnaryData<object>) => {
        received.push({ members: [], prepared: [...call.request.members] });
        cb(null, { activeEpoch: 0, stagedEpoch: 1, routeEpoch: 0, changed: true });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new ControlClient(`127.0.0.1:${port}`);
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  it('sends the same request object twice with the same content', async () => {
    const list = ['127.0.0.1:1', '127.0.0.1:2'];
    expect((await client.setMembers(list)).ok).to.equal(true);
    expect((await client.setMembers(list)).ok).to.equal(true);
    expect(received.slice(-2).map((r) => r.members)).to.deep.equal([list, list]);
  });

  it('sends the new content of a member list changed in place', async () => {
    const list = ['127.0.0.1:1', '127.0.0.1:2'];
    await client.setMembers(list);
    list.push('127.0.0.1:3');
    await client.setMembers(list);
    list[0] = '127.0.0.1:9';
    await client.setMembers(list);
    expect(received.slice(-3).map((r) => r.members)).to.deep.equal([
      ['127.0.0.1:1', '127.0.0.1:2'],
      ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'],
      ['127.0.0.1:9', '127.0.0.1:2', '127.0.0.1:3'],
    ]);
  });

  it('encodes a shared Prepare request once and every member receives it whole', async () => {
    const members = Array.from({ length: 500 }, (_, i) => `127.0.0.${1 + (i % 200)}:${7000 + i}`);
    const req = { epoch: 1, topology: 'HYPAR_VIEW' as const, params: {}, members, seed: 1 };
    const replies = await Promise.all([client.prepare(req), client.prepare(req), client.prepare(req)]);
    expect(replies.every((r) => r.ok)).to.equal(true);
    expect(received.slice(-3).map((r) => r.prepared)).to.deep.equal([members, members, members]);
  });
});
