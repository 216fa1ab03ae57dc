/**
 * The parent side of the virtual-member load generator: forks a few host processes
 * (virtual-host.ts), deals the members out to them round-robin, relays every host's live-epoch
 * reports to the others (so a probe anywhere knows who runs an epoch), and sums their call
 * counts. Stops only the processes it forked, by their pids.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CallCounts } from './virtual-member.js';
import type { FromHost, HostedMember, LiveUpdate, ToHost } from './virtual-host.js';

/** Summed counts of every host, and their memory. */
export interface HostCounts extends CallCounts {
  readonly hostRssBytes: readonly number[];
}

interface Host {
  readonly child: ChildProcess;
  readonly members: HostedMember[];
  pendingCounts?: (c: { counts: CallCounts; rssBytes: number }) => void;
  failed?: string;
}

/** A few processes answering Control for many virtual members. */
export class VirtualMemberHosts {
  /** Set by {@link stop}: nothing more is sent to the hosts (a late live report is not relayed). */
  private stopped = false;

  private constructor(private readonly hosts: Host[]) {}

  /** Forks `hostCount` hosts serving `members` with `token`; resolves when every address is bound. */
  static async start(members: readonly HostedMember[], hostCount: number, token: string, timeoutMs = 120_000): Promise<VirtualMemberHosts> {
    const script = fileURLToPath(new URL('./virtual-host.js', import.meta.url));
    const hosts: Host[] = Array.from({ length: Math.max(1, Math.min(hostCount, members.length)) }, () => ({
      child: fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
      members: [],
    }));
    members.forEach((m, i) => hosts[i % hosts.length]!.members.push(m));
    const self = new VirtualMemberHosts(hosts);
    const ready = hosts.map(
      (h) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`virtual host pid ${h.child.pid} did not bind its ${h.members.length} addresses in ${timeoutMs} ms`)),
            timeoutMs,
          );
          h.child.on('message', (m: FromHost) => {
            if (m.kind === 'ready') {
              clearTimeout(timer);
              resolve();
            } else if (m.kind === 'failed') {
              clearTimeout(timer);
              h.failed = m.error;
              reject(new Error(`virtual host pid ${h.child.pid}: ${m.error}`));
            } else if (m.kind === 'live') self.relay(h, m.updates);
            else if (m.kind === 'counts') h.pendingCounts?.(m);
          });
          // A send to a host that is exiting fails with EPIPE; that is the end of it, not an error of the run.
          h.child.on('error', (err) => {
            if (!self.stopped) h.failed = err.message;
          });
          h.child.once('exit', (code, signal) => {
            clearTimeout(timer);
            reject(new Error(`virtual host pid ${h.child.pid} exited (${code ?? signal})`));
          });
        }),
    );
    for (const h of hosts) self.tell(h, { kind: 'start', members: h.members, token });
    try {
      await Promise.all(ready);
    } catch (err) {
      await self.stop();
      throw err;
    }
    return self;
  }

  /** Pids of the host processes. */
  pids(): number[] {
    return this.hosts.map((h) => h.child.pid).filter((p): p is number => p !== undefined);
  }

  /** Every host's counts, summed. */
  async counts(): Promise<HostCounts> {
    const each = await Promise.all(
      this.hosts.map(
        (h) =>
          new Promise<{ counts: CallCounts; rssBytes: number }>((resolve) => {
            h.pendingCounts = resolve;
            this.tell(h, { kind: 'counts' });
          }),
      ),
    );
    const calls: Record<string, number> = {};
    for (const { counts } of each) for (const [k, v] of Object.entries(counts.calls)) calls[k] = (calls[k] ?? 0) + v;
    return {
      calls,
      requestBytes: each.reduce((a, x) => a + x.counts.requestBytes, 0),
      responseBytes: each.reduce((a, x) => a + x.counts.responseBytes, 0),
      refused: each.reduce((a, x) => a + x.counts.refused, 0),
      hostRssBytes: each.map((x) => x.rssBytes),
    };
  }

  /** Stops the hosts (they exit when their IPC channel closes); resolves when every one has exited, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const running = this.hosts.filter((h) => h.child.exitCode === null && h.child.signalCode === null);
    for (const h of running) this.tell(h, { kind: 'stop' });
    this.stopped = true;
    await Promise.all(
      running.map(
        (h) =>
          new Promise<void>((resolve) => {
            if (h.child.exitCode !== null || h.child.signalCode !== null) {
              resolve();
              return;
            }
            const pid = h.child.pid;
            const timer = setTimeout(() => {
              if (h.child.exitCode === null && h.child.signalCode === null && pid !== undefined) process.kill(pid, 'SIGKILL');
            }, 5000);
            h.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }

  private relay(from: Host, updates: readonly LiveUpdate[]): void {
    for (const h of this.hosts) if (h !== from) this.tell(h, { kind: 'live', updates });
  }

  private tell(h: Host, m: ToHost): void {
    if (this.stopped || !h.child.connected) return;
    // With a callback a failed send is reported there, not thrown as an 'error' nobody expects.
    h.child.send(m, (err) => {
      if (err !== null && !this.stopped) h.failed = err.message;
    });
  }
}
