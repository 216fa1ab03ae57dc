/**
 * gRPC calls with bytes in and bytes out, for the fuzz suite: one generic `grpc.Client` per
 * address (reused by every case, so thousands of cases cost no handshakes) with identity
 * serializers, so a case sends exactly the bytes its generator wrote, including bytes no protobuf
 * encoder would produce. Every outcome is a status (code and details), never a thrown error.
 */
import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_KEY } from '../../../src/rpc/auth.js';

/** Outcome of a call: the status, and the reply's bytes when it was OK. */
export interface RawOutcome {
  readonly code: grpc.status;
  readonly details: string;
  readonly reply?: Buffer;
}

/**
 * The refusals a sidecar may answer bad input with (issue #13); anything else but OK (INTERNAL,
 * UNKNOWN, ...) means input reached a place that did not expect it.
 */
export const ALLOWED_REFUSALS: ReadonlySet<grpc.status> = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.UNAUTHENTICATED,
  grpc.status.UNAVAILABLE,
  grpc.status.OUT_OF_RANGE,
]);

/** The name of a status code, for messages. */
export function codeName(code: grpc.status): string {
  return grpc.status[code] ?? String(code);
}

/** Why `o` breaks the status rule (OK, or an allowed refusal with non-empty details), or undefined. */
export function statusViolation(o: RawOutcome): string | undefined {
  if (o.code === grpc.status.OK) return undefined;
  if (!ALLOWED_REFUSALS.has(o.code)) return `status ${codeName(o.code)} (${JSON.stringify(o.details)}) is not an allowed refusal`;
  if (o.details.trim() === '') return `status ${codeName(o.code)} without details`;
  return undefined;
}

/** How a call authenticates: the right token, none, or a wrong one in the ways an attacker might try. */
export type AuthMode = 'token' | 'none' | 'wrong' | 'truncated' | 'no-scheme' | 'empty-bearer' | 'other-scheme';

/** The modes that must be refused with UNAUTHENTICATED. */
export const BAD_AUTH_MODES: readonly AuthMode[] = ['none', 'wrong', 'truncated', 'no-scheme', 'empty-bearer', 'other-scheme'];

/** Metadata for `mode` with the fleet's `token`. */
export function authMetadata(mode: AuthMode, token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  const value: Record<AuthMode, string | undefined> = {
    token: `Bearer ${token}`,
    none: undefined,
    wrong: `Bearer ${token}x`,
    truncated: `Bearer ${token.slice(0, -1)}`,
    'no-scheme': token,
    'empty-bearer': 'Bearer ',
    'other-scheme': `Basic ${token}`,
  };
  const v = value[mode];
  if (v !== undefined) md.set(AUTHORIZATION_KEY, v);
  return md;
}

const identity = (b: Buffer): Buffer => b;

/** Channel options of every raw client: reconnect fast after a sidecar is restarted; no size limits of our own. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.max_send_message_length': -1,
  'grpc.max_receive_message_length': -1,
  'grpc.enable_retries': 0,
};

/** One open bidi or server stream and how it ended. */
export interface RawStream {
  /** Writes a message; false when the stream is already gone. */
  write(message: Buffer): boolean;
  /** Writes a message and waits until the stream can take more (flow control); false when the stream is gone. */
  send(message: Buffer): Promise<boolean>;
  /** Half-closes our side. */
  end(): void;
  cancel(): void;
  /** Stops reading (flow control then stops the sender). */
  pause(): void;
  /** Messages received so far. */
  readonly received: number;
  /** Resolves with the stream's final status. */
  readonly done: Promise<RawOutcome>;
}

/** Raw calls to one address. */
export class RawClient {
  private readonly client: grpc.Client;

  constructor(readonly address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  /** One unary call of `method` (full path) with `request` as its exact bytes. */
  unary(method: string, request: Buffer, metadata: grpc.Metadata, deadlineMs: number): Promise<RawOutcome> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(method, identity, identity, request, metadata, { deadline: Date.now() + deadlineMs }, (err, reply) => {
        if (err) resolve({ code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? err.message });
        else resolve({ code: grpc.status.OK, details: '', ...(reply !== undefined ? { reply } : {}) });
      });
    });
  }

  /** Opens a bidi stream of `method`; what it receives is counted and dropped. */
  bidi(method: string, metadata: grpc.Metadata, deadlineMs: number): RawStream {
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(method, identity, identity, metadata, { deadline: Date.now() + deadlineMs });
    return wrapStream(
      call,
      (m) => call.write(m),
      () => call.end(),
      () => new Promise<void>((resolve) => call.once('drain', () => resolve())),
    );
  }

  /** Opens a server stream of `method` with `request` as its exact bytes. */
  serverStream(method: string, request: Buffer, metadata: grpc.Metadata, deadlineMs: number): RawStream {
    const call = this.client.makeServerStreamRequest<Buffer, Buffer>(method, identity, identity, request, metadata, { deadline: Date.now() + deadlineMs });
    return wrapStream(
      call,
      () => true,
      () => undefined,
      () => Promise.resolve(),
    );
  }

  close(): void {
    this.client.close();
  }
}

function wrapStream(
  call: grpc.ClientDuplexStream<Buffer, Buffer> | grpc.ClientReadableStream<Buffer>,
  write: (m: Buffer) => boolean,
  end: () => void,
  drain: () => Promise<void>,
): RawStream {
  let received = 0;
  let gone = false;
  const done = new Promise<RawOutcome>((resolve) => {
    call.on('status', (s: grpc.StatusObject) => {
      gone = true;
      resolve({ code: s.code, details: s.details });
    });
  });
  call.on('data', () => {
    received++;
  });
  // The status event carries the outcome; an error event without a listener would throw.
  call.on('error', () => undefined);
  return {
    write: (m) => {
      if (gone) return false;
      write(m);
      return true;
    },
    send: async (m) => {
      if (gone) return false;
      if (!write(m)) await Promise.race([drain(), done]);
      return !gone;
    },
    end: () => {
      if (!gone) end();
    },
    cancel: () => call.cancel(),
    pause: () => {
      call.pause();
    },
    get received() {
      return received;
    },
    done,
  };
}
