/**
 * Pod IPs on the loopback network: each pod its own address, so every pod's processes can listen
 * on the same port as in a real cluster. On Linux the whole 127.0.0.0/8 is routed to `lo`, so
 * these addresses work without configuration.
 *
 * Each cluster on a machine gets its own second octet N (its "pod network", chosen by
 * control-plane.ts among the running clusters; 0 for the first): pods get 127.N.1.1 upward to
 * 127.N.255.254, so two clusters (two test runs) never hand out the same address. As a second line
 * of defence an address on which some process already listens (per /proc/net/tcp{,6}) is skipped.
 *
 * Allocation continues after the last address handed out (wrapping around) rather than reusing
 * the lowest free one, so a just-deleted pod's address is not given to its replacement at once
 * (a stale client would otherwise reach the wrong pod).
 */
import { readFileSync } from 'node:fs';

function toText(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function fromText(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** IPv4 addresses that have a listening TCP socket now (from /proc/net/tcp and tcp6). */
export function listeningAddresses(): Set<string> {
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== '0A') continue; // TCP_LISTEN
      const hex = (cols[1] ?? '').split(':')[0] ?? '';
      // IPv4 in tcp: 8 hex digits, little-endian; IPv4-mapped in tcp6: the last 8 digits.
      const v4 = hex.length === 8 ? hex : hex.length === 32 && hex.startsWith('0000000000000000FFFF0000') ? hex.slice(24) : undefined;
      if (v4 === undefined) continue;
      const bytes = [6, 4, 2, 0].map((i) => parseInt(v4.slice(i, i + 2), 16));
      out.add(bytes.join('.'));
    }
  }
  return out;
}

/** Hands out and takes back pod IPs (see the file comment). */
export class IpPool {
  private readonly used = new Set<number>();
  private readonly first: number;
  private readonly last: number;
  private next: number;

  /**
   * @param network the second octet N of 127.N.x.y (0-255)
   * @param busy addresses to skip although free in this pool (default: those with a listener)
   */
  constructor(
    network = 0,
    private readonly busy: () => Set<string> = listeningAddresses,
  ) {
    if (!Number.isInteger(network) || network < 0 || network > 255) throw new Error(`pod network must be 0-255, got ${network}`);
    this.first = ((127 << 24) >>> 0) + (network << 16) + (1 << 8) + 1;
    this.last = ((127 << 24) >>> 0) + (network << 16) + (255 << 8) + 254;
    this.next = this.first;
  }

  /** Allocates a free address; throws when all ~65,000 are in use. */
  allocate(): string {
    const busy = this.busy();
    for (let i = 0; i <= this.last - this.first; i++) {
      const n = this.next;
      this.next = n >= this.last ? this.first : n + 1;
      const host = n & 255;
      if (host === 0 || host === 255 || this.used.has(n) || busy.has(toText(n))) continue;
      this.used.add(n);
      return toText(n);
    }
    throw new Error(`no free pod IP left in ${toText(this.first)}-${toText(this.last)}`);
  }

  /** Marks an address as used (a pod that already had it, seen again after an agent restart). */
  reserve(ip: string): boolean {
    const n = fromText(ip);
    if (n === undefined || n < this.first || n > this.last || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  /** Returns an address to the pool. */
  release(ip: string): void {
    const n = fromText(ip);
    if (n !== undefined) this.used.delete(n);
  }

  /** Number of addresses in use. */
  get size(): number {
    return this.used.size;
  }
}
