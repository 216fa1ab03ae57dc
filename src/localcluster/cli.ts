/**
 * `npm run cluster:build | cluster:up | cluster:down | cluster:status` — the local control plane
 * from the command line:
 *
 *   build            build (or find) the binaries; prints the bin directory
 *   up [--name n]    start the cluster (default name "default"); prints the kubeconfig path;
 *                    a running cluster is reused, a stale one cleaned up first
 *   down [--name n]  stop exactly what `up` started and remove its directory
 *   status [--name n] print the state file of a running cluster
 */
import { parseArgs } from 'node:util';
import { ensureBinaries } from './binaries.js';
import { runningCluster, startCluster, stopCluster } from './control-plane.js';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string', default: 'default' } } });
  const name = values.name!;
  switch (positionals[0]) {
    case 'build':
      process.stdout.write(`${await ensureBinaries()}\n`);
      return 0;
    case 'up': {
      const t0 = Date.now();
      const state = await startCluster({ name });
      process.stdout.write(
        `cluster "${name}" is up (${((Date.now() - t0) / 1000).toFixed(1)} s). Use it with:\n  export KUBECONFIG=${state.kubeconfig}\n  kubectl get nodes\nhelm: ${state.binDir}/helm\nlogs: ${state.dir}/logs\nstop it with: npm run cluster:down${name === 'default' ? '' : ` -- --name ${name}`}\n`,
      );
      return 0;
    }
    case 'down':
      process.stdout.write((await stopCluster(name)) ? `cluster "${name}" stopped and removed\n` : `no cluster "${name}"\n`);
      return 0;
    case 'status': {
      const state = runningCluster(name);
      process.stdout.write(state ? `${JSON.stringify(state, null, 2)}\n` : `cluster "${name}" is not running\n`);
      return state ? 0 : 1;
    }
    default:
      process.stderr.write('usage: cli.js build | up [--name n] | down [--name n] | status [--name n]\n');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  },
);
