/**
 * Peer addresses for the fuzz suite: a generator of the strings an attacker or a buggy peer may
 * put where a `host:port` belongs, and the oracle that says which of them a sidecar must refuse.
 *
 * Safety first: every generated string that a resolver could turn into an address resolves to
 * loopback, and every dialable one points into this run's own loopback /16 where nothing listens
 * (`127.B.250.x`), or to port 1 of the usual loopback names, so a sidecar that dials what it is
 * given (the bug the suite looks for) reaches nobody else's listener and no other host. Junk is
 * made of punctuation, whitespace and control characters, never letters or digits, so no junk
 * string is a host name or an IP address of its own.
 */
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';

/** The addresses a run knows about. */
export interface AddressContext {
  /** Peer addresses of the overlay's members (the operator's list). */
  readonly members: readonly string[];
  /** Peer addresses of fleet sidecars outside the overlay. */
  readonly outsiders: readonly string[];
  /** Overlay API addresses of the fleet (a host:port that is no peer). */
  readonly appAddresses: readonly string[];
  /** Second octet of the run's loopback /16 (`127.B.0.0`). */
  readonly block: number;
}

/** Longest address a sidecar needs to accept: the wire codec's string limit (src/sidecar/wire-codec.ts). */
export const MAX_ADDRESS_LENGTH = 1024;

/** Hosts in the run's /16 where nothing listens (the fleet uses 127.B.2.x, the listener 127.B.251.x). */
export function quietHosts(block: number): string[] {
  return [2, 3, 4, 5, 6].map((i) => `127.${block}.250.${i}`);
}

/** A loopback address in the run's /16 on which nothing listens, for `from` metadata and fake peers. */
export function quietAddress(block: number, i: number): string {
  return `127.${block}.250.${2 + (i % 5)}:${7000 + (i % 1000)}`;
}

/**
 * Strings from the reports in issue #13 and the corners of host:port parsing. The only letters
 * are in `a b` (from the issue), scheme prefixes and `localhost`; every port on a shared loopback
 * name is 1, where nothing listens.
 */
export const FIXED_ODDITIES: readonly string[] = [
  '',
  ' ',
  '\n',
  'x\ny',
  'a b',
  '::::',
  ':',
  ':1',
  '127.0.0.1',
  '127.0.0.1:',
  '127.0.0.1:99999999',
  '127.0.0.1:0',
  '127.0.0.1:65536',
  '127.0.0.1:-1',
  '127.0.0.1:+1',
  '127.0.0.1:0x1',
  '127.0.0.1:01',
  '127.0.0.1:1\n',
  ' 127.0.0.1:1',
  '127.0.0.1:1 ',
  '127.0.0.1:1:1',
  '127.0.0.1\u0000:1',
  '127.0.0.1:\u0661',
  '[::1]:1',
  '[::1]',
  '::1',
  '::1:1',
  'localhost:1',
  'unix:/nonexistent/topology-fuzz.sock',
  'dns:///localhost:1',
  'ipv4:127.0.0.1:1',
  'http://127.0.0.1:1',
  '127.0.0.1:1/x',
  '\u0000',
  '\u202e127.0.0.1:1',
];

/** Characters junk is made of: no letter, no digit. */
const JUNK_UNITS = [' ', '\n', '\t', '\r', '\u0000', ':', '[', ']', '/', '%', '@', '#', '.', '\u00e9', '\u202e', '\u00a0'];

/** Ports: mostly valid numbers, then the malformed kinds. */
function portArb(sharedName: boolean): fc.Arbitrary<string> {
  const malformed = fc.constantFrom('0', '65536', '99999999', '-1', '', '+1', '0x1', '01', '9'.repeat(40));
  const valid = sharedName ? fc.constant('1') : fc.integer({ min: 1, max: 65535 }).map(String);
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: malformed });
}

/** host[sep]port with junk spliced in somewhere: the malformed addresses a parser must handle. */
function composedArb(block: number): fc.Arbitrary<string> {
  const own = fc.constantFrom(...quietHosts(block), `127.${block}.250.256`, `127.${block}.250`);
  const shared = fc.constantFrom('127.0.0.1', 'localhost', '[::1]', '::1', '');
  return fc
    .oneof(fc.record({ host: own, port: portArb(false) }), fc.record({ host: shared, port: portArb(true) }))
    .chain(({ host, port }) =>
      fc.record({
        base: fc.constant(`${host}:${port}`),
        sep: fc.constantFrom(':', ':', ':', '', '::', ' :'),
        host: fc.constant(host),
        port: fc.constant(port),
        junk: fc.string({ unit: fc.constantFrom(...JUNK_UNITS), maxLength: 3 }),
        at: fc.nat(),
      }),
    )
    .map(({ host, sep, port, junk, at }) => {
      const s = `${host}${sep}${port}`;
      const i = at % (s.length + 1);
      return s.slice(0, i) + junk + s.slice(i);
    });
}

/** Options of {@link addressArb}. */
export interface AddressArbOptions {
  /** Addresses that may appear besides the generated ones (say, a recording listener). */
  readonly extra?: readonly string[];
  /** Leave out overlong strings (for list entries repeated thousands of times). */
  readonly short?: boolean;
}

/**
 * A string where a peer address belongs: a member (valid, the common case), a fleet address that
 * is no member, an oddity, a composed malformed address, or an overlong one.
 */
export function addressArb(ctx: AddressContext, options: AddressArbOptions = {}): fc.Arbitrary<string> {
  const known = [...ctx.outsiders, ...ctx.appAddresses, ...(options.extra ?? [])];
  const arbs: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [
    { weight: 4, arbitrary: fc.constantFrom(...ctx.members) },
    { weight: 3, arbitrary: fc.constantFrom(...FIXED_ODDITIES) },
    { weight: 5, arbitrary: composedArb(ctx.block) },
  ];
  if (options.short !== true)
    arbs.push({
      weight: 1,
      arbitrary: fc.integer({ min: MAX_ADDRESS_LENGTH - 20, max: 4 * MAX_ADDRESS_LENGTH }).map((n) => `${quietHosts(ctx.block)[0]}:1${'%'.repeat(n)}`),
    });
  if (known.length > 0) arbs.push({ weight: 2, arbitrary: fc.constantFrom(...known) });
  return fc.oneof(...arbs);
}

/** What the oracle says of an address: a sidecar must accept it, must refuse it, or may do either. */
export type AddressVerdict = 'valid' | 'invalid' | 'unsure';

function portVerdict(port: string): AddressVerdict {
  if (!/^[0-9]+$/.test(port)) return 'invalid';
  const n = Number(port);
  if (n < 1 || n > 65535) return 'invalid';
  return port.startsWith('0') ? 'unsure' : 'valid';
}

/**
 * The oracle: `valid` for an IP literal and a port in 1..65535 (what a NodeId is: POD_IP:port),
 * `invalid` for what cannot be a host:port at all (empty, overlong, whitespace, control or
 * non-ASCII characters, no port, a port that is no number in 1..65535, unbracketed colons, a URI
 * scheme), `unsure` for host names and other spellings the sidecar's grammar may take or leave.
 */
export function classifyAddress(s: string): AddressVerdict {
  if (s.length === 0 || s.length > MAX_ADDRESS_LENGTH) return 'invalid';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return 'invalid';
  }
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(s);
  if (bracketed !== null) {
    const port = portVerdict(bracketed[2] as string);
    if (port === 'invalid') return 'invalid';
    return isIPv6(bracketed[1] as string) ? port : 'invalid';
  }
  const parts = s.split(':');
  if (parts.length !== 2) return 'invalid';
  const [host, portText] = parts as [string, string];
  const port = portVerdict(portText);
  if (port === 'invalid' || host === '') return 'invalid';
  if (isIPv4(host)) return port;
  return /^[A-Za-z0-9.-]+$/.test(host) ? 'unsure' : 'invalid';
}

/** The oracle of `x-topology-epoch` metadata: a positive decimal integer that is a safe JS integer, nothing else. */
export function epochTextIsValid(text: string): boolean {
  return /^[1-9][0-9]*$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER;
}
