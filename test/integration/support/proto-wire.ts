/**
 * A minimal protobuf wire-format writer for the fuzz suite. protobufjs (behind proto-loader) only
 * writes what its schema allows; a fuzzer needs the rest too: uint64 values above 2^53 and
 * negative int64s as their 10-byte varints, out-of-range enum numbers, a field sent with the wrong
 * wire type, unknown field numbers, and bytes that are no protobuf at all. Messages are lists of
 * fields, written in order (a repeated field is the same number several times), so a generator
 * says exactly what goes on the wire.
 */

/** One field on the wire. Nested messages are field lists; `raw` is written as is (no tag). */
export type WireField =
  | { readonly no: number; readonly varint: bigint }
  | { readonly no: number; readonly double: number }
  | { readonly no: number; readonly bytes: Uint8Array | string | readonly WireField[] }
  | { readonly no: number; readonly fixed32: number }
  | { readonly raw: Uint8Array };

/** Wire types of the protobuf encoding (https://protobuf.dev/programming-guides/encoding/). */
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Appends `value` (taken modulo 2^64, so -1 becomes 2^64 - 1 as int64 does) as a varint. */
function pushVarint(out: number[], value: bigint): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function pushTag(out: number[], no: number, wireType: number): void {
  pushVarint(out, (BigInt(no) << 3n) | BigInt(wireType));
}

/** Encodes `fields` in order. */
export function encodeFields(fields: readonly WireField[]): Buffer {
  const parts: Buffer[] = [];
  let head: number[] = [];
  const flush = (): void => {
    if (head.length > 0) parts.push(Buffer.from(head));
    head = [];
  };
  for (const f of fields) {
    if ('raw' in f) {
      flush();
      parts.push(Buffer.from(f.raw));
    } else if ('varint' in f) {
      pushTag(head, f.no, WIRE_VARINT);
      pushVarint(head, f.varint);
    } else if ('double' in f) {
      pushTag(head, f.no, WIRE_FIXED64);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(f.double);
      head.push(...b);
    } else if ('fixed32' in f) {
      pushTag(head, f.no, WIRE_FIXED32);
      const b = Buffer.alloc(4);
      b.writeUInt32LE(f.fixed32 >>> 0);
      head.push(...b);
    } else {
      const body = typeof f.bytes === 'string' ? Buffer.from(f.bytes, 'utf8') : f.bytes instanceof Uint8Array ? f.bytes : encodeFields(f.bytes);
      pushTag(head, f.no, WIRE_LENGTH_DELIMITED);
      pushVarint(head, BigInt(body.length));
      flush();
      parts.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    }
  }
  flush();
  return Buffer.concat(parts);
}

/** A varint field, from a JS number or a bigint. */
export function varint(no: number, value: number | bigint | boolean): WireField {
  return { no, varint: typeof value === 'bigint' ? value : BigInt(typeof value === 'boolean' ? Number(value) : Math.trunc(value)) };
}

/** A length-delimited field: a string, bytes or a nested message. */
export function bytes(no: number, value: Uint8Array | string | readonly WireField[]): WireField {
  return { no, bytes: value };
}

/** A double field. */
export function double(no: number, value: number): WireField {
  return { no, double: value };
}

/** Kinds of input that no protobuf decoder accepts, whatever the message type. */
export type UndecodableKind = 'truncated-length' | 'bad-wire-type' | 'truncated-varint';

/** A field number no message of the contract uses, so the decoder must skip it by its wire type. */
const UNUSED_FIELD = 15;

/**
 * Bytes that every protobuf decoder refuses, after `prefix` (a valid start, so the refusal happens
 * mid-message), on a field number no message uses (a decoder reads a known field by its declared
 * type, whatever the wire says, but must skip an unknown one by its wire type): a length running
 * past the end, wire type 7 (there is none), or a varint whose last byte is missing.
 */
export function undecodable(kind: UndecodableKind, prefix: Uint8Array = new Uint8Array(0)): Buffer {
  const tail: Record<UndecodableKind, number[]> = {
    'truncated-length': [(UNUSED_FIELD << 3) | WIRE_LENGTH_DELIMITED, 0x7f, 0x41],
    'bad-wire-type': [(UNUSED_FIELD << 3) | 7, 0x01],
    'truncated-varint': [(UNUSED_FIELD << 3) | WIRE_VARINT, 0xff, 0xff],
  };
  return Buffer.concat([Buffer.from(prefix), Buffer.from(tail[kind])]);
}
