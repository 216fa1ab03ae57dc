/**
 * A listener that records who dials it: a gRPC server on a loopback address of the run's own /16
 * serving the Peer service (any call is recorded with its metadata, then refused). The fuzz suite
 * names its address only through the app's Overlay API, which carries no credential; a sidecar
 * must never dial it (issue #13: it dials only addresses its own membership taught it, and sends
 * its token to nothing else), so anything recorded here is a violation, with the evidence.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../../../src/rpc/proto.js';
import { AUTHORIZATION_KEY } from '../../../src/rpc/auth.js';
import { EPOCH_KEY, FROM_KEY } from '../../../src/sidecar/peer-frames.js';

/** One call the listener received. */
export interface RecordedCall {
  readonly method: string;
  /** Whether the call carried an `authorization` value at all, and whether it was `token`. */
  readonly authorization: 'none' | 'other' | 'the fleet token';
  readonly from: string | undefined;
  readonly epoch: string | undefined;
}

/** A running recording listener. */
export class RecordingListener {
  private constructor(
    /** Every call received, in order. */
    readonly calls: readonly RecordedCall[],
    private readonly server: grpc.Server,
    /** Its host:port. */
    readonly address: string,
  ) {}

  /** Listens on `host` (an ephemeral port) and records calls; `token` is what counts as a leaked credential. */
  static async start(host: string, token: string): Promise<RecordingListener> {
    const server = new grpc.Server();
    const identity = (b: Buffer): Buffer => b;
    const methods: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    for (const [name, method] of Object.entries(loadProto().topology.v1.Peer.service)) {
      methods[name] = { ...method, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
    }
    const definition = methods as grpc.ServiceDefinition;
    const calls: RecordedCall[] = [];
    const record = (method: string, md: grpc.Metadata): void => {
      const auth = md.get(AUTHORIZATION_KEY)[0];
      const from = md.get(FROM_KEY)[0];
      const epoch = md.get(EPOCH_KEY)[0];
      calls.push({
        method,
        authorization: auth === undefined ? 'none' : auth === `Bearer ${token}` ? 'the fleet token' : 'other',
        from: typeof from === 'string' ? from : undefined,
        epoch: typeof epoch === 'string' ? epoch : undefined,
      });
    };
    server.addService(definition, {
      Link: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        record('Link', call.metadata);
        call.on('data', () => undefined);
        call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'recording listener: this address belongs to no member' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return new RecordingListener(calls, server, `${host}:${port}`);
  }

  /** Stops listening. */
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
