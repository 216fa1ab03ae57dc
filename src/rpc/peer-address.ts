/**
 * The grammar of a peer address (a member's NodeId, `host:port`), checked wherever an address
 * enters a sidecar: Control member lists, contacts, server ids and probe targets, the app's
 * `Send.to`, the `x-topology-from` metadata of a Peer link, every address inside an overlay
 * message from a peer, and the sidecar's own flags. An address that passes is safe to hand to
 * `new grpc.Client(...)` (which throws on an empty string, a newline or a missing value, and reads
 * `unix:...` or `dns:...` as a resolver scheme rather than a host) and is the one canonical
 * spelling of that member: no leading zeros, no zone id, so one member has one NodeId.
 *
 * Accepted: `A.B.C.D:PORT` (an IPv4 dotted quad, octets 0-255 without leading zeros),
 * `[IPV6]:PORT` (bracketed, as RFC 3986 writes it; no `%zone`), or `NAME:PORT` with NAME an
 * RFC 1123 DNS name (labels of letters, digits and inner hyphens, 1-63 characters, at most 253 in
 * all, the last label not all digits, and not a gRPC resolver scheme such as `unix` or `dns`);
 * PORT is 1-65535 in decimal without leading zeros. At most {@link MAX_PEER_ADDRESS_LENGTH}
 * characters, all printable ASCII (no whitespace, no control characters).
 *
 * Parsing never throws: the result says why an address was refused, for an error message that
 * names the field ({@link addressRefusal}).
 */
import { isIPv6 } from 'node:net';

/**
 * Longest address accepted: the longest DNS name (253, RFC 1035 §2.3.4 as RFC 1123 reads it),
 * a colon and a five-digit port.
 */
export const MAX_PEER_ADDRESS_LENGTH = 253 + 1 + 5;
/** Longest DNS name (RFC 1035 §2.3.4). */
export const MAX_DNS_NAME_LENGTH = 253;
/** Longest DNS label (RFC 1035 §2.3.4). */
export const MAX_DNS_LABEL_LENGTH = 63;
/** Highest TCP port. */
export const MAX_PORT = 65_535;
/**
 * Single-label host names that gRPC's target parser takes as a resolver scheme (`unix:7070` is a
 * Unix socket named "7070", `dns:7070` a DNS lookup of "7070"), so they are no host here.
 */
export const GRPC_SCHEME_NAMES: readonly string[] = ['dns', 'ipv4', 'ipv6', 'unix', 'unix-abstract', 'vsock', 'xds'];

/** Which grammar the host matched. */
export type PeerAddressFamily = 'ipv4' | 'ipv6' | 'dns';

/** A parsed peer address. `text` is the input, which is already canonical. */
export interface PeerAddress {
  readonly text: string;
  /** The host without brackets. */
  readonly host: string;
  readonly port: number;
  readonly family: PeerAddressFamily;
}

/** Outcome of {@link parsePeerAddress}: the address, or why it is none. */
export type PeerAddressResult = { readonly ok: true; readonly value: PeerAddress } | { readonly ok: false; readonly reason: string };

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const DECIMAL_PORT = /^[1-9][0-9]{0,4}$/;

function refuse(reason: string): PeerAddressResult {
  return { ok: false, reason };
}

/** Parses `input` as a peer address (see the file comment); never throws. */
export function parsePeerAddress(input: unknown): PeerAddressResult {
  if (typeof input !== 'string') return refuse(input === undefined ? 'missing' : `not a string but ${typeof input}`);
  if (input.length === 0) return refuse('empty');
  if (input.length > MAX_PEER_ADDRESS_LENGTH) return refuse(`${input.length} characters, more than ${MAX_PEER_ADDRESS_LENGTH}`);
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return refuse('contains whitespace or a control character');
    if (c > 0x7e) return refuse('contains a non-ASCII character');
  }
  let host: string;
  let portText: string;
  let bracketed = false;
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0) return refuse('an opening "[" without its "]"');
    if (input[close + 1] !== ':') return refuse('no ":port" after the bracketed IPv6 address');
    host = input.slice(1, close);
    portText = input.slice(close + 2);
    bracketed = true;
  } else {
    const colon = input.lastIndexOf(':');
    if (colon < 0) return refuse('no ":port"');
    host = input.slice(0, colon);
    portText = input.slice(colon + 1);
    if (host.includes(':')) return refuse('an IPv6 address must be in brackets, as in [::1]:7070');
  }
  if (host.length === 0) return refuse('no host before ":port"');
  if (portText.length === 0) return refuse('no port after ":"');
  if (!/^[0-9]+$/.test(portText)) return refuse(`port "${portText}" is not a decimal number`);
  if (!DECIMAL_PORT.test(portText))
    return refuse(portText.startsWith('0') && portText !== '0' ? `port "${portText}" has a leading zero` : `port ${portText} is out of range 1-${MAX_PORT}`);
  const port = Number(portText);
  if (port > MAX_PORT) return refuse(`port ${portText} is out of range 1-${MAX_PORT}`);
  if (bracketed) {
    if (host.includes('%')) return refuse('an IPv6 zone id is not allowed');
    if (!isIPv6(host)) return refuse(`"${host}" is not an IPv6 address`);
    return { ok: true, value: { text: input, host, port, family: 'ipv6' } };
  }
  if (/^[0-9.]+$/.test(host)) {
    const octets = host.split('.');
    if (octets.length !== 4) return refuse(`"${host}" is not a dotted quad (four octets)`);
    for (const o of octets) {
      if (!DECIMAL_OCTET.test(o)) return refuse(o === '' ? `"${host}" has an empty octet` : `octet "${o}" has a leading zero`);
      if (Number(o) > 255) return refuse(`octet ${o} is out of range 0-255`);
    }
    return { ok: true, value: { text: input, host, port, family: 'ipv4' } };
  }
  if (host.length > MAX_DNS_NAME_LENGTH) return refuse(`host name of ${host.length} characters, more than ${MAX_DNS_NAME_LENGTH}`);
  const labels = host.split('.');
  for (const label of labels) {
    if (label.length === 0) return refuse('host name has an empty label');
    if (label.length > MAX_DNS_LABEL_LENGTH) return refuse(`host name label of ${label.length} characters, more than ${MAX_DNS_LABEL_LENGTH}`);
    if (!DNS_LABEL.test(label)) return refuse(`host name label "${label}" is not letters, digits and inner hyphens`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return refuse('the last label of a host name must not be all digits');
  if (labels.length === 1 && GRPC_SCHEME_NAMES.includes(host.toLowerCase())) return refuse(`"${host}" is a gRPC resolver scheme, not a host`);
  return { ok: true, value: { text: input, host, port, family: 'dns' } };
}

/** True when `input` is a peer address. */
export function isPeerAddress(input: unknown): input is string {
  return parsePeerAddress(input).ok;
}

/** Longest excerpt of a refused value quoted in an error message. */
export const QUOTED_VALUE_LIMIT = 80;

/**
 * `value` quoted for an error message or a log line: JSON-style escapes for quotes, backslashes,
 * control and non-ASCII characters (so a newline shows as `\n` and nothing unprintable reaches a
 * terminal), cut at {@link QUOTED_VALUE_LIMIT} characters.
 */
export function quoteValue(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? '(missing)' : `(${typeof value})`;
  const cut = value.length > QUOTED_VALUE_LIMIT ? value.slice(0, QUOTED_VALUE_LIMIT) : value;
  let out = '"';
  for (const ch of cut) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c >= 0x7f) out += c > 0xffff ? `\\u{${c.toString(16)}}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  out += '"';
  return value.length > QUOTED_VALUE_LIMIT ? `${out}… (${value.length} characters)` : out;
}

/** The error message for a refused address: `Send.to "a b": not a host:port address (contains whitespace or a control character)`. */
export function addressRefusal(field: string, value: unknown, reason: string): string {
  return `${field} ${quoteValue(value)}: not a host:port address (${reason})`;
}

/** Outcome of {@link checkPeerAddressList}: fine, or the message naming the entry or the limit. */
export type AddressListResult = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly tooMany: boolean };

/**
 * Checks a list of addresses from a request: at most `maxEntries`, each a peer address. The
 * refusal names the field, the first bad entry by index (`Prepare.members[3] "a b": not a
 * host:port address (...)`) or the limit.
 */
export function checkPeerAddressList(field: string, list: readonly unknown[], maxEntries: number): AddressListResult {
  if (list.length > maxEntries) return { ok: false, tooMany: true, reason: `${field}: ${list.length} entries, more than the limit of ${maxEntries}` };
  for (let i = 0; i < list.length; i++) {
    const r = parsePeerAddress(list[i]);
    if (!r.ok) return { ok: false, tooMany: false, reason: addressRefusal(`${field}[${i}]`, list[i], r.reason) };
  }
  return { ok: true };
}
