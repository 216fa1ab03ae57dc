/**
 * Runs several sidecars in one process (the loopback fleet's `perProcess` option), so a
 * 200-member benchmark fits in memory. argv[2] is a JSON array of flag lists, one per sidecar,
 * exactly as `topology-sidecar` takes them. SIGTERM stops them all cleanly.
 */
import { hostname } from 'node:os';
import { parseConfig } from '../sidecar/config.js';
import { Sidecar, loadSecrets } from '../sidecar/sidecar.js';
import { createLogger } from '../sidecar/logger.js';
import { installLastResort } from '../sidecar/last-resort.js';

async function main(): Promise<void> {
  const argvs = JSON.parse(process.argv[2] ?? '[]') as string[][];
  // As topology-sidecar does: the sidecars of this process survive an error nothing else caught, logged and counted.
  installLastResort(createLogger('fleet-host'));
  const sidecars: Sidecar[] = [];
  for (const argv of argvs) {
    const parsed = parseConfig(argv, {}, hostname());
    if (!parsed.ok) {
      process.stderr.write(`fleet-host: ${parsed.error}\n`);
      process.exit(2);
    }
    const sidecar = new Sidecar(parsed.config, loadSecrets(parsed.config), createLogger(parsed.config.podName, parsed.config.logLevel));
    await sidecar.start();
    sidecars.push(sidecar);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.all(sidecars.map((s) => s.stop())).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
