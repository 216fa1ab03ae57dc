/**
 * The `grpc.health.v1.Health/Check` method, hand-written (two one-field messages) so the node
 * agent's gRPC probes and the echo fixture need no .proto file: the same definition serves as
 * client (probes) and server (echo-server.ts).
 *
 *   message HealthCheckRequest  { string service = 1; }
 *   message HealthCheckResponse { ServingStatus status = 1; }  // UNKNOWN 0, SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3
 */
import * as grpc from '@grpc/grpc-js';

/** Health check request. */
export interface HealthCheckRequest {
  service: string;
}

/** Health check response status names, as numbered on the wire. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** Health check response. */
export interface HealthCheckResponse {
  status: number;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated varint');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

/** Reads field 1 of a message: a varint (wire type 0) or bytes (wire type 2); skips others. */
function readField1(buf: Buffer): number | Buffer | undefined {
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      if (field === 1) return v;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const bytes = buf.subarray(p2, p2 + len);
      pos = p2 + len;
      if (field === 1) return bytes;
    } else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return undefined;
}

/** The service definition (client and server side) of grpc.health.v1.Health/Check. */
export const healthServiceDefinition: grpc.ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: HealthCheckRequest) => {
      const s = Buffer.from(r.service ?? '', 'utf8');
      return s.length === 0 ? Buffer.alloc(0) : Buffer.from([0x0a, ...varint(s.length), ...s]);
    },
    requestDeserialize: (b: Buffer): HealthCheckRequest => {
      const f = readField1(b);
      return { service: Buffer.isBuffer(f) ? f.toString('utf8') : '' };
    },
    responseSerialize: (r: HealthCheckResponse) => (r.status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, ...varint(r.status)])),
    responseDeserialize: (b: Buffer): HealthCheckResponse => {
      const f = readField1(b);
      return { status: typeof f === 'number' ? f : 0 };
    },
    originalName: 'check',
  },
};

const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, 'grpc.health.v1.Health');

function check(client: grpc.Client, service: string, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
      healthServiceDefinition.Check!.path,
      healthServiceDefinition.Check!.requestSerialize as (r: HealthCheckRequest) => Buffer,
      healthServiceDefinition.Check!.responseDeserialize as (b: Buffer) => HealthCheckResponse,
      { service },
      { deadline: Date.now() + timeoutMs },
      (err, res) => {
        if (err) reject(err);
        else resolve(SERVING_STATUS[res?.status ?? 0] ?? `UNKNOWN(${res?.status})`);
      },
    );
  });
}

/**
 * One health check against `address` ("127.0.1.3:9090") on a channel of its own: resolves to the
 * status name, rejects on transport errors or when the deadline passes.
 */
export async function checkHealth(address: string, service: string, timeoutMs: number): Promise<string> {
  const client = new HealthClient(address, grpc.credentials.createInsecure());
  try {
    return await check(client, service, timeoutMs);
  } finally {
    client.close();
  }
}

/**
 * Reconnect backoff of a prober's channels (ms): at most a probe period, so a server that comes
 * back is seen by the next probe (grpc-js defaults grow to 120 s).
 */
const PROBE_RECONNECT_BACKOFF_MS = { initial: 200, max: 1_000 };

/**
 * Health checks over one kept channel per address, for a prober that asks the same servers every
 * period: a fresh channel per probe costs a name resolution, a load-balancer pick and a TCP +
 * HTTP/2 handshake each time — about 3× the CPU of a call on a kept channel (measured on loopback:
 * 2.3 vs 0.8 ms per probe, server side included), and on a busy node agent those steps queued
 * behind everything else until probes timed out. Calls never wait for a connection (fail fast, as
 * a kubelet dial with a deadline would), and {@link close} ends every channel.
 */
export class HealthProber {
  private readonly clients = new Map<string, grpc.Client>();

  /** One check of `service` at `address`; see {@link checkHealth}. */
  check(address: string, service: string, timeoutMs: number): Promise<string> {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new HealthClient(address, grpc.credentials.createInsecure(), {
        'grpc.initial_reconnect_backoff_ms': PROBE_RECONNECT_BACKOFF_MS.initial,
        'grpc.max_reconnect_backoff_ms': PROBE_RECONNECT_BACKOFF_MS.max,
      });
      this.clients.set(address, client);
    }
    return check(client, service, timeoutMs);
  }

  /** Closes every channel (the container stopped). */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
