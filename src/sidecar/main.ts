#!/usr/bin/env node
/**
 * `topology-sidecar`: the sidecar executable. Reads flags and the downward-API environment,
 * starts one {@link Sidecar}, and shuts it down cleanly on SIGTERM/SIGINT (leave overlays, close
 * links). Invalid flags print the reason and exit with code 2; a start failure exits with 1.
 * Once started, an error nothing else caught is logged and counted by the last-resort handler
 * (last-resort.ts) instead of ending the process.
 */
import { hostname } from 'node:os';
import { parseConfig, USAGE } from './config.js';
import { Sidecar, loadSecrets } from './sidecar.js';
import { createLogger } from './logger.js';
import { installLastResort } from './last-resort.js';

/** Exit code for invalid flags (the usage-error convention of sysexits/getopt tools). */
export const EXIT_USAGE = 2;

async function main(): Promise<void> {
  const parsed = parseConfig(process.argv.slice(2), process.env, hostname());
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    process.stderr.write(`topology-sidecar: ${parsed.error}\n${USAGE}\n`);
    process.exit(EXIT_USAGE);
  }
  const config = parsed.config;
  const logger = createLogger(config.podName, config.logLevel);
  installLastResort(logger);
  let secrets;
  try {
    secrets = loadSecrets(config);
  } catch (err) {
    process.stderr.write(`topology-sidecar: ${(err as Error).message}\n`);
    process.exit(EXIT_USAGE);
  }
  const sidecar = new Sidecar(config, secrets, logger);
  try {
    await sidecar.start();
  } catch (err) {
    logger.error('sidecar failed to start', { error: (err as Error).message });
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('signal received, shutting down', { signal });
    sidecar.stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error('shutdown failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
