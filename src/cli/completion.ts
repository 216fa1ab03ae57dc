/**
 * Shell completion of `kubectl-topology`, in Cobra's `__complete` protocol: given the words typed
 * after the program name (the last one the partial word being completed, possibly empty), print
 * one candidate per line and then `:<directive>`. That protocol is what kubectl (≥ 1.26) expects
 * from a plugin's `kubectl_complete-<plugin>` executable when the user presses Tab after
 * `kubectl topology` (kubernetes/kubernetes#105867), and what the scripts of `completion
 * bash|zsh|fish` (src/cli/completion-scripts.ts) call. Commands and flags come from the parser's
 * own tables (src/cli/args.ts), so completion cannot offer what the parser refuses.
 */
import { OVERLAY_KINDS } from '../overlays/types.js';
import { WORKLOADS } from '../api/types.js';
import { COMMAND_FLAGS, COMMANDS, COMMON_FLAGS, COMPLETION_SHELLS, OPTIONS, RESOURCE_COMMANDS, type Command, type ConnectionFlags } from './args.js';

/** Cobra's ShellCompDirective bits (spf13/cobra completions.go). */
export const DIRECTIVE = {
  /** Let the shell also complete file names (Cobra's ShellCompDirectiveDefault). */
  default: 0,
  /** An error happened; the shell completes nothing. */
  error: 1,
  /** Offer only the candidates, never file names. */
  noFileComp: 4,
} as const;

/** What to print: candidates and the directive. */
export interface Completion {
  candidates: string[];
  directive: number;
}

/** Looks up ClusterTopology names for a resource command (the API is asked only then). */
export type NameSource = (connection: ConnectionFlags) => Promise<string[]>;

/** Looks up kubeconfig context names for `--context`. */
export type ContextSource = (connection: ConnectionFlags) => string[];

type FlagName = keyof typeof OPTIONS;

const isStringFlag = (name: FlagName): boolean => OPTIONS[name].type === 'string';

/** Resolves `--name` or `-x` to the flag it names. */
function flagNamed(word: string): FlagName | undefined {
  if (word.startsWith('--')) {
    const name = word.slice(2).split('=')[0]!;
    return name in OPTIONS ? (name as FlagName) : undefined;
  }
  const short = word.slice(1, 2);
  return (Object.keys(OPTIONS) as FlagName[]).find((k) => 'short' in OPTIONS[k] && (OPTIONS[k] as { short: string }).short === short);
}

/** The flag words (`--x`, and `-x` when it has one) of the flags a command accepts. */
function flagWords(command: Command | undefined): string[] {
  const names: FlagName[] = command === undefined ? (Object.keys(OPTIONS) as FlagName[]) : [...COMMON_FLAGS, ...COMMAND_FLAGS[command]];
  return names.flatMap((n) => {
    const o = OPTIONS[n];
    return ['short' in o ? [`-${(o as { short: string }).short}`] : [], [`--${n}`]].flat();
  });
}

/** Fixed value sets of string flags; undefined: free text. */
function flagValues(flag: FlagName): readonly string[] | undefined {
  switch (flag) {
    case 'output':
      return ['json', 'yaml'];
    case 'to':
    case 'topology':
      return OVERLAY_KINDS;
    case 'workload':
      return WORKLOADS;
    default:
      return undefined;
  }
}

const matching = (values: readonly string[], prefix: string): string[] => values.filter((v) => v.startsWith(prefix));

/** Completes `words` (after the program name; the last is the partial word). */
export async function complete(words: readonly string[], names: NameSource, contexts: ContextSource): Promise<Completion> {
  const typed = words.length === 0 ? [''] : words;
  const partial = typed[typed.length - 1]!;
  const before = typed.slice(0, -1);
  const connection: ConnectionFlags = {};
  const positionals: string[] = [];
  let pending: FlagName | undefined;
  for (const w of before) {
    if (pending !== undefined) {
      if (pending === 'namespace') connection.namespace = w;
      if (pending === 'context') connection.context = w;
      if (pending === 'kubeconfig') connection.kubeconfig = w;
      pending = undefined;
      continue;
    }
    if (w.startsWith('-') && w.length > 1) {
      const f = flagNamed(w);
      if (f === 'all-namespaces') connection.allNamespaces = true;
      const eq = w.indexOf('=');
      if (f !== undefined && eq > 0) {
        const v = w.slice(eq + 1);
        if (f === 'namespace') connection.namespace = v;
        if (f === 'context') connection.context = v;
        if (f === 'kubeconfig') connection.kubeconfig = v;
      } else if (f !== undefined && isStringFlag(f) && !w.startsWith('--') && w.length > 2) {
        // -nNS: the value is attached.
        if (f === 'namespace') connection.namespace = w.slice(2);
      } else if (f !== undefined && isStringFlag(f)) {
        pending = f;
      }
      continue;
    }
    positionals.push(w);
  }
  const command = COMMANDS.find((c) => c === positionals[0]);
  const none: Completion = { candidates: [], directive: DIRECTIVE.noFileComp };

  // The value of a string flag: after `--flag ` or in `--flag=`.
  const eq = partial.indexOf('=');
  const valueOf = pending ?? (partial.startsWith('--') && eq > 0 ? flagNamed(partial) : undefined);
  if (valueOf !== undefined) {
    const prefix = pending !== undefined ? '' : partial.slice(0, eq + 1);
    const typedValue = pending !== undefined ? partial : partial.slice(eq + 1);
    if (valueOf === 'kubeconfig') return { candidates: [], directive: DIRECTIVE.default };
    const fixed = flagValues(valueOf);
    const values = fixed ?? (valueOf === 'context' ? contexts(connection) : []);
    return { candidates: matching(values, typedValue).map((v) => prefix + v), directive: DIRECTIVE.noFileComp };
  }
  if (partial.startsWith('-')) return { candidates: matching(flagWords(command), partial), directive: DIRECTIVE.noFileComp };
  if (positionals.length === 0) return { candidates: matching(COMMANDS, partial), directive: DIRECTIVE.noFileComp };
  if (command === undefined) return none;
  if (positionals.length === 1 && command === 'completion') return { candidates: matching(COMPLETION_SHELLS, partial), directive: DIRECTIVE.noFileComp };
  if (positionals.length === 1 && (RESOURCE_COMMANDS as readonly string[]).includes(command)) {
    let found: string[];
    try {
      found = await names(connection);
    } catch {
      found = []; // no cluster, no access: nothing to offer, and no error on the terminal
    }
    return { candidates: matching(found, partial), directive: DIRECTIVE.noFileComp };
  }
  return none;
}

/** The protocol's text: the candidates, one a line, then `:<directive>`. */
export function formatCompletion(c: Completion): string {
  return [...c.candidates, `:${c.directive}`].join('\n');
}
