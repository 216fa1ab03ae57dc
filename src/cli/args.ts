/**
 * Command-line parsing of `kubectl-topology`, pure (argv in, a parsed command or an error out) so
 * that it is unit-tested without a cluster and bad input is reported before any API call.
 *
 * Flags follow kubectl's plugin conventions: `-n/--namespace`, `--context`, `--kubeconfig`,
 * `-o/--output json|yaml`, `-h/--help`, accepted before or after the subcommand. Durations take
 * kubectl's forms (`90s`, `5m`, `1h`, a bare number is seconds).
 */
import { parseArgs } from 'node:util';
import { OVERLAY_KINDS, type OverlayKind } from '../overlays/types.js';
import { WORKLOADS, type Workload } from '../api/types.js';

/** Subcommands that act on one ClusterTopology named by the first positional argument. */
export const RESOURCE_COMMANDS = ['status', 'history', 'switch', 'pause', 'resume', 'abort', 'retry', 'promote', 'analyze', 'watch'] as const;
/** Every subcommand. */
export const COMMANDS = [...RESOURCE_COMMANDS, 'list', 'doctor', 'simulate', 'completion', 'help', 'version'] as const;
/** One of {@link COMMANDS}. */
export type Command = (typeof COMMANDS)[number];

/** Shells `completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
/** One of {@link COMPLETION_SHELLS}. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Output formats of `-o`. `table` is the human default. */
export type OutputFormat = 'table' | 'json' | 'yaml';

/** Connection flags shared by every command that talks to the API server. */
export interface ConnectionFlags {
  namespace?: string;
  /** `-A/--all-namespaces` (list, doctor). */
  allNamespaces?: boolean;
  context?: string;
  kubeconfig?: string;
}

/** A successfully parsed command line. */
export interface ParsedCommand {
  command: Command;
  /** The ClusterTopology's name (resource commands only). */
  name?: string;
  connection: ConnectionFlags;
  output: OutputFormat;
  /** `switch --to`. */
  to?: OverlayKind;
  /** `switch --wait`. */
  wait: boolean;
  /** `switch --wait` / `watch` give up after this many seconds. */
  timeoutSeconds: number;
  /** `doctor --timeout`: retry failing checks this long (0: check once). */
  retrySeconds: number;
  /** `watch --follow`: keep watching after Ready. */
  follow: boolean;
  /** `watch` / `switch --wait` poll interval. */
  intervalMs: number;
  /** `doctor --lease`: the operator's leader-election Lease to check, in the namespace. */
  lease?: string;
  /** `simulate` settings. */
  simulate: SimulateFlags;
  /** `completion SHELL`. */
  shell?: CompletionShell;
}

/** `simulate` flags. */
export interface SimulateFlags {
  nodes: number;
  topologies: OverlayKind[];
  failPercent: number;
  seed: number;
  broadcasts: number;
  workload: Workload;
}

/** Parse result: a command, a help request (with the text to print) or a usage error. */
export type ParseResult = { ok: true; parsed: ParsedCommand } | { ok: false; help: boolean; message: string };

/** Default `--timeout` of `switch --wait` and `watch`: the CRD's default progress deadline. */
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** Default simulator seed: fixed, so two runs print the same numbers. */
export const DEFAULT_SEED = 1;
/** Default `--fail`: the HyParView paper's mid-range crash scenario (50 %). */
export const DEFAULT_FAIL_PERCENT = 50;
/** Largest `--nodes`: what the simulator handles in seconds to minutes on one core. */
export const MAX_SIMULATE_NODES = 10_000;

/** Usage text (`kubectl topology --help`). */
export const USAGE = `kubectl-topology: inspect and drive ClusterTopology resources (topology.foundation.dev)

Usage:
  kubectl topology status   NAME                 phase, topologies, members, rollout, conditions
  kubectl topology history  NAME                 finished switches (status.history)
  kubectl topology switch   NAME --to TOPOLOGY [--wait] [--timeout 5m]
                                                 set spec.topology (and mode Manual)
  kubectl topology pause    NAME                 freeze rollouts and auto-switching (spec.paused)
  kubectl topology resume   NAME                 unfreeze
  kubectl topology abort    NAME                 roll back the switch in flight, and do not restart it
  kubectl topology retry    NAME                 start the rolled-back (or failed) switch again
  kubectl topology promote  NAME                 continue a switch waiting at a gate ("pause" step)
                                                 (abort/retry/promote write the annotation
                                                 topology.foundation.dev/control, never spec)
  kubectl topology analyze  NAME                 the rule engine's recommendation and the metrics
  kubectl topology watch    NAME [--follow] [--timeout 5m]
                                                 live phase/step/members until Ready
  kubectl topology list     [-A]                 ClusterTopologies with topology, phase, members
  kubectl topology doctor   [-A] [--lease NAME] [--timeout 60s]
                                                 check API access (and that the operator holds its Lease)
  kubectl topology simulate --nodes N [--topology T] [--fail PERCENT] [--seed S] [--workload W]
                                                 predict each overlay at N members (no cluster)
  kubectl topology completion bash|zsh|fish      print a shell completion script

Topologies: ${OVERLAY_KINDS.join(', ')}

Flags:
  -n, --namespace NS     namespace (default: the context's, else "default")
  -A, --all-namespaces   list/doctor: every namespace
      --context NAME     kubeconfig context
      --kubeconfig FILE  kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
  -o, --output FORMAT    json | yaml (default: a table)
  -h, --help             this text

Exit codes: 0 ok; 1 failure (API error, not found, switch rolled back, timeout); 2 usage error.`;

/** Every flag, in node:util parseArgs form (shell completion offers them too: src/cli/completion.ts). */
export const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  lease: { type: 'string' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  to: { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  follow: { type: 'boolean' },
  interval: { type: 'string' },
  nodes: { type: 'string' },
  topology: { type: 'string' },
  fail: { type: 'string' },
  seed: { type: 'string' },
  broadcasts: { type: 'string' },
  workload: { type: 'string' },
} as const;

/** Flags every command accepts: connection, output and help. */
export const COMMON_FLAGS = ['namespace', 'context', 'kubeconfig', 'output', 'help'] as const;

/** Which command-specific flags each command accepts (besides {@link COMMON_FLAGS}). */
export const COMMAND_FLAGS: Record<Command, readonly (keyof typeof OPTIONS)[]> = {
  list: ['all-namespaces'],
  doctor: ['all-namespaces', 'lease', 'timeout'],
  status: [],
  history: [],
  pause: [],
  resume: [],
  abort: [],
  retry: [],
  promote: [],
  analyze: [],
  help: [],
  version: [],
  completion: [],
  switch: ['to', 'wait', 'timeout', 'interval'],
  watch: ['follow', 'timeout', 'interval'],
  simulate: ['nodes', 'topology', 'fail', 'seed', 'broadcasts', 'workload'],
};

/** Parses a kubectl-style duration (`30s`, `5m`, `1h`, `1m30s`, bare seconds) into seconds. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) return undefined;
    consumed += m[0].length;
    const v = Number(m[1]);
    total += m[2] === 'h' ? v * 3600 : m[2] === 'm' ? v * 60 : m[2] === 'ms' ? v / 1000 : v;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T | string {
  const hit = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  return hit ?? `${flag}: "${value}" is not one of ${allowed.join(', ')}`;
}

function integer(text: string, flag: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(text)) return `${flag} must be a whole number, got "${text}"`;
  const n = Number(text);
  if (n < min || n > max) return `${flag} must be between ${min} and ${max}, got ${n}`;
  return n;
}

/** Parses `argv` (without node and the script). */
export function parseCliArgs(argv: readonly string[]): ParseResult {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (err) {
    return { ok: false, help: false, message: `${(err as Error).message.split('\n')[0]}\n(see kubectl topology --help)` };
  }
  const [cmdText, ...rest] = positionals;
  if (values.help === true || cmdText === undefined || cmdText === 'help') return { ok: false, help: true, message: USAGE };
  const command = COMMANDS.find((c) => c === cmdText);
  if (command === undefined)
    return { ok: false, help: false, message: `unknown command "${cmdText}"; one of ${COMMANDS.join(', ')} (see kubectl topology --help)` };
  const fail = (message: string): ParseResult => ({ ok: false, help: false, message: `${command}: ${message}` });

  for (const key of Object.keys(values)) {
    if ((COMMON_FLAGS as readonly string[]).includes(key)) continue;
    if (!(COMMAND_FLAGS[command] as readonly string[]).includes(key)) return fail(`--${key} is not a flag of this command`);
  }
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);

  let output: OutputFormat = 'table';
  const o = str('output');
  if (o !== undefined) {
    if (o !== 'json' && o !== 'yaml') return fail(`-o must be json or yaml, got "${o}"`);
    output = o;
  }
  const connection: ConnectionFlags = {};
  const ns = str('namespace');
  if (ns !== undefined) connection.namespace = ns;
  const ctx = str('context');
  if (ctx !== undefined) connection.context = ctx;
  const kc = str('kubeconfig');
  if (kc !== undefined) connection.kubeconfig = kc;
  if (values['all-namespaces'] === true) connection.allNamespaces = true;

  const parsed: ParsedCommand = {
    command,
    connection,
    output,
    wait: values.wait === true,
    follow: values.follow === true,
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    retrySeconds: 0,
    intervalMs: 1000,
    simulate: { nodes: 0, topologies: [...OVERLAY_KINDS], failPercent: DEFAULT_FAIL_PERCENT, seed: DEFAULT_SEED, broadcasts: 20, workload: 'Balanced' },
  };

  if ((RESOURCE_COMMANDS as readonly string[]).includes(command)) {
    if (rest.length === 0) return fail('needs the name of a ClusterTopology (kubectl get ctopo lists them)');
    if (rest.length > 1) return fail(`takes one name, got ${rest.join(' ')}`);
    parsed.name = rest[0];
  } else if (command === 'completion') {
    const shell = COMPLETION_SHELLS.find((s) => s === rest[0]);
    if (rest.length !== 1 || shell === undefined) return fail(`takes one shell: ${COMPLETION_SHELLS.join(', ')}`);
    parsed.shell = shell;
  } else if (rest.length > 0) {
    return fail(`unexpected argument "${rest[0]}"`);
  }

  const timeout = str('timeout');
  if (timeout !== undefined) {
    const s = parseDuration(timeout);
    if (s === undefined || s <= 0) return fail(`--timeout must be a duration such as 90s or 5m, got "${timeout}"`);
    parsed.timeoutSeconds = s;
    parsed.retrySeconds = s;
  }
  const interval = str('interval');
  if (interval !== undefined) {
    const s = parseDuration(interval);
    if (s === undefined || s <= 0) return fail(`--interval must be a duration such as 500ms or 2s, got "${interval}"`);
    parsed.intervalMs = Math.round(s * 1000);
  }

  const lease = str('lease');
  if (lease !== undefined) parsed.lease = lease;

  if (command === 'switch') {
    const to = str('to');
    if (to === undefined) return fail(`--to is required (one of ${OVERLAY_KINDS.join(', ')})`);
    const t = oneOf(to, OVERLAY_KINDS, '--to');
    if (!(OVERLAY_KINDS as readonly string[]).includes(t)) return fail(t);
    parsed.to = t as OverlayKind;
  }

  if (command === 'simulate') {
    const nodes = str('nodes');
    if (nodes === undefined) return fail('--nodes is required');
    const n = integer(nodes, '--nodes', 2, MAX_SIMULATE_NODES);
    if (typeof n === 'string') return fail(n);
    parsed.simulate.nodes = n;
    const topo = str('topology');
    if (topo !== undefined) {
      const t = oneOf(topo, OVERLAY_KINDS, '--topology');
      if (!(OVERLAY_KINDS as readonly string[]).includes(t)) return fail(t);
      parsed.simulate.topologies = [t as OverlayKind];
    }
    const f = str('fail');
    if (f !== undefined) {
      const p = integer(f.replace(/%$/, ''), '--fail', 0, 99);
      if (typeof p === 'string') return fail(p);
      parsed.simulate.failPercent = p;
    }
    const seed = str('seed');
    if (seed !== undefined) {
      const s = integer(seed, '--seed', 0, 2 ** 31 - 1);
      if (typeof s === 'string') return fail(s);
      parsed.simulate.seed = s;
    }
    const b = str('broadcasts');
    if (b !== undefined) {
      const s = integer(b, '--broadcasts', 1, 1000);
      if (typeof s === 'string') return fail(s);
      parsed.simulate.broadcasts = s;
    }
    const w = str('workload');
    if (w !== undefined) {
      const v = oneOf(w, WORKLOADS, '--workload');
      if (!(WORKLOADS as readonly string[]).includes(v)) return fail(v);
      parsed.simulate.workload = v as Workload;
    }
  }
  return { ok: true, parsed };
}
