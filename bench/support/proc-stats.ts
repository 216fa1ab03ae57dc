/**
 * What a process costs the machine, read from /proc by pid: CPU time (stat), VmRSS and RssAnon
 * (status), private and proportional memory (smaps_rollup). The benches sum them over the
 * processes of a fleet; a process that exited counts 0.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
export const USER_HZ = 100;

const KIB_PER_MIB = 1024;

/** CPU time (user + system, all threads) the processes `pids` used so far, in ms. */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch {
      // exited
    }
  }
  return (ticks * 1000) / USER_HZ;
}

/** Sum of a /proc/<pid>/status field (kB) over `pids`, in MiB. */
export function statusMiB(pids: readonly number[], field: 'VmRSS' | 'RssAnon'): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return kb / KIB_PER_MIB;
}

/** Sum of /proc/<pid>/smaps_rollup fields (kB) over `pids`, in MiB. */
function rollupMiB(pids: readonly number[], fields: readonly string[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      for (const f of fields) kb += Number(new RegExp(`^${f}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return kb / KIB_PER_MIB;
}

/** Private memory of `pids` in MiB: Private_Clean + Private_Dirty, the pages no other process maps. */
export function privateMiB(pids: readonly number[]): number {
  return rollupMiB(pids, ['Private_Clean', 'Private_Dirty']);
}

/** Proportional set size of `pids` in MiB: private pages plus a share of the pages they share. */
export function pssMiB(pids: readonly number[]): number {
  return rollupMiB(pids, ['Pss']);
}
