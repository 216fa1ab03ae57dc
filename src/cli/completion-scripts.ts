/**
 * The scripts `kubectl-topology completion bash|zsh|fish` prints. Each is a thin shell function
 * that asks `kubectl-topology __complete <words...>` for candidates (src/cli/completion.ts) and
 * honours the directive's "no file names" bit, so the command and flag lists live in one place,
 * the parser's. `kubectl topology <Tab>` goes through kubectl's own completion instead, which calls
 * the `kubectl_complete-topology` executable (the same protocol).
 */
import type { CompletionShell } from './args.js';
import { DIRECTIVE } from './completion.js';

/** The program the scripts complete and call. */
export const PROGRAM = 'kubectl-topology';

const BASH = `# bash completion for ${PROGRAM}: source <(${PROGRAM} completion bash)
_kubectl_topology() {
  local cur out directive
  cur="\${COMP_WORDS[COMP_CWORD]}"
  out=$(${PROGRAM} __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  directive=\${out##*:}
  out=$(printf '%s\\n' "$out" | sed '$d' | cut -f1)
  COMPREPLY=()
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
  if [[ \${#COMPREPLY[@]} -eq 0 && $((directive & ${DIRECTIVE.noFileComp})) -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F _kubectl_topology ${PROGRAM}
`;

const ZSH = `#compdef ${PROGRAM}
# zsh completion for ${PROGRAM}: source <(${PROGRAM} completion zsh), or save as _${PROGRAM} in $fpath
_kubectl_topology() {
  local -a lines comps
  local directive
  lines=("\${(@f)$(${PROGRAM} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  directive=\${lines[-1]#:}
  comps=("\${(@)lines[1,-2]}")
  if (( \${#comps} > 0 )); then
    _describe '${PROGRAM}' comps
  elif (( (directive & ${DIRECTIVE.noFileComp}) == 0 )); then
    _files
  fi
}
compdef _kubectl_topology ${PROGRAM}
`;

const FISH = `# fish completion for ${PROGRAM}: ${PROGRAM} completion fish | source
function __kubectl_topology_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    ${PROGRAM} __complete $words 2>/dev/null | string match -v -r '^:'
end
complete -c ${PROGRAM} -f -a '(__kubectl_topology_complete)'
`;

/** The completion script for `shell`. */
export function completionScript(shell: CompletionShell): string {
  switch (shell) {
    case 'bash':
      return BASH;
    case 'zsh':
      return ZSH;
    case 'fish':
      return FISH;
  }
}
