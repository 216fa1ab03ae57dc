#!/usr/bin/env node
/**
 * `kubectl_complete-topology`: kubectl (≥ 1.26) runs this executable, found on $PATH by its name,
 * when the user presses Tab after `kubectl topology`, passing the words typed after the plugin
 * name (the last one partial), and reads Cobra-style candidates and a `:<directive>` line
 * (kubernetes/kubernetes#105867). Installed with the package's `bin` next to `kubectl-topology`.
 */
import { completionOutput } from './completion-run.js';

completionOutput(process.argv.slice(2)).then(
  (text) => {
    process.stdout.write(`${text}\n`);
    process.exit(0);
  },
  () => {
    process.stdout.write(':1\n'); // ShellCompDirectiveError: the shell completes nothing
    process.exit(0);
  },
);
