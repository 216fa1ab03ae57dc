/**
 * A process serving the Control API of many virtual members (virtual-member.ts), each on its own
 * loopback address, as a pod's sidecar would be on its pod IP. Started by
 * {@link VirtualMemberHosts} with an IPC channel: it is told its members, reports when every
 * address is bound, tells the parent whenever one of its members' live epochs change (batched),
 * applies what the other hosts reported (so a probe knows who runs an epoch anywhere), and answers
 * a request for its call counts.
 *
 * Messages (parent → host): `start`, `live` (others' epochs), `counts`, `stop`.
 * Messages (host → parent): `ready`, `live` (its members' epochs), `counts`, `failed`.
 */
import * as grpc from '@grpc/grpc-js';
import process from 'node:process';
import { loadProto } from '../../../src/rpc/proto.js';
import type { NodeId } from '../../../src/overlays/types.js';
import { authenticatedCounted, VirtualMember, type CallCounts, type ProbeWorld } from './virtual-member.js';

/** One member a host serves. */
export interface HostedMember {
  readonly address: NodeId;
  readonly pod: string;
}

/** Parent → host. */
export type ToHost =
  | { readonly kind: 'start'; readonly members: readonly HostedMember[]; readonly token: string }
  | { readonly kind: 'live'; readonly updates: readonly LiveUpdate[] }
  | { readonly kind: 'counts' }
  | { readonly kind: 'stop' };

/** Host → parent. */
export type FromHost =
  | { readonly kind: 'ready'; readonly bound: number }
  | { readonly kind: 'live'; readonly updates: readonly LiveUpdate[] }
  | { readonly kind: 'counts'; readonly counts: CallCounts; readonly rssBytes: number }
  | { readonly kind: 'failed'; readonly error: string };

/** A member's live epochs. */
export interface LiveUpdate {
  readonly address: NodeId;
  readonly live: readonly number[];
}

/** Batching of live updates to the parent (ms). */
const LIVE_BATCH_MS = 10;

/** Sends to the parent unless the channel is gone (the parent stopped this host): nothing to report then. */
const send = (m: FromHost): void => {
  if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
};

/** The epochs every member runs, as this host knows them. */
class World implements ProbeWorld {
  private readonly live = new Map<NodeId, readonly number[]>();
  private pending: LiveUpdate[] = [];
  private timer: NodeJS.Timeout | undefined;

  runs(address: NodeId, epoch: number): boolean {
    return this.live.get(address)?.includes(epoch) === true;
  }

  changed(address: NodeId, live: readonly number[]): void {
    this.live.set(address, live);
    this.pending.push({ address, live });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const updates = this.pending;
      this.pending = [];
      send({ kind: 'live', updates });
    }, LIVE_BATCH_MS);
  }

  apply(updates: readonly LiveUpdate[]): void {
    for (const u of updates) this.live.set(u.address, u.live);
  }
}

/** A Control service definition whose (de)serializers count the bytes they handle. */
function countedDefinition(counts: CallCounts): grpc.ServiceDefinition {
  const base = loadProto().topology.v1.Control.service as grpc.ServiceDefinition;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(base)) {
    out[name] = {
      ...m,
      requestDeserialize: (b: Buffer) => {
        counts.requestBytes += b.length;
        return m.requestDeserialize(b);
      },
      responseSerialize: (v: unknown) => {
        const b = m.responseSerialize(v);
        counts.responseBytes += b.length;
        return b;
      },
    };
  }
  return out;
}

async function start(members: readonly HostedMember[], token: string, world: World, counts: CallCounts): Promise<grpc.Server[]> {
  const definition = countedDefinition(counts);
  const acceptor = { accepts: (presented: string) => presented === token };
  const servers: grpc.Server[] = [];
  for (const m of members) {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 << 20 });
    const member = new VirtualMember(m.address, m.pod, world);
    server.addService(definition, authenticatedCounted(member.handlers(), acceptor, counts));
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(m.address, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(new Error(`binding ${m.address}: ${err.message}`)) : resolve(),
      ),
    );
    servers.push(server);
  }
  return servers;
}

if (process.send !== undefined) {
  const world = new World();
  const counts: CallCounts = { calls: {}, requestBytes: 0, responseBytes: 0, refused: 0 };
  let servers: grpc.Server[] = [];
  process.on('message', (m: ToHost) => {
    switch (m.kind) {
      case 'start':
        start(m.members, m.token, world, counts).then(
          (s) => {
            servers = s;
            send({ kind: 'ready', bound: s.length });
          },
          (err: Error) => send({ kind: 'failed', error: err.message }),
        );
        return;
      case 'live':
        world.apply(m.updates);
        return;
      case 'counts':
        send({ kind: 'counts', counts, rssBytes: process.memoryUsage().rss });
        return;
      case 'stop':
        for (const s of servers) s.forceShutdown();
        process.disconnect();
        return;
    }
  });
  process.on('disconnect', () => process.exit(0));
}
