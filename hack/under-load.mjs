#!/usr/bin/env node
// Runs a command while a CPU hog keeps every core busy, as a loaded node or CI machine would, and
// repeats it: `node hack/under-load.mjs [--runs N] [--hogs N] -- COMMAND ARGS...`.
//
// Why: a test that passes on a quiet machine and fails on a busy one is a bug in the product or
// the test. This is the check: the hogs are plain busy loops (one per core by default), started
// here and ended here by their pids, so nothing else on the machine is touched. Each run's exit
// code and wall time are printed, then a closing "N passed, N failed" line; the exit code is 0
// only when every run passed.
//
// Examples:
//   npm run test:loaded                       # the whole suite, 3 runs
//   node hack/under-load.mjs --runs 10 -- npx mocha --no-config --timeout 600000 --exit \
//     --grep '12 ordered pairs' dist/test/integration/sidecar-fleet.test.js
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import process from 'node:process';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0 || sep === argv.length - 1) {
  process.stderr.write('usage: node hack/under-load.mjs [--runs N] [--hogs N] -- COMMAND ARGS...\n');
  process.exit(2);
}
const opts = argv.slice(0, sep);
const command = argv.slice(sep + 1);
const flag = (name, def) => {
  const i = opts.indexOf(`--${name}`);
  if (i < 0) return def;
  const n = Number(opts[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer, got "${opts[i + 1]}"\n`);
    process.exit(2);
  }
  return n;
};
const runs = flag('runs', 1);
const hogs = flag('hogs', availableParallelism());

let stopping = false;
let hogsLost = 0;
/** One busy loop per hog, each its own process, ended by pid. */
const hogProcs = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopHogs = () => {
  stopping = true;
  for (const h of hogProcs) {
    if (h.exitCode !== null || h.signalCode !== null || h.pid === undefined) continue;
    try {
      process.kill(h.pid, 'SIGKILL');
    } catch (err) {
      // ESRCH: the hog already exited (e.g. killed by the OOM killer); nothing left to end.
      if (err.code !== 'ESRCH') throw err;
    }
  }
};
/** A hog that ends early means the runs after it were not under full load: reported, and the check fails. */
for (const h of hogProcs) {
  h.on('exit', (code, signal) => {
    if (stopping) return;
    hogsLost++;
    process.stderr.write(`[under-load] CPU hog ${h.pid} ended early (${signal ?? `exit ${code}`}); later runs are not fully loaded\n`);
  });
}
process.on('exit', stopHogs);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
process.stderr.write(`[under-load] ${hogs} CPU hog(s) started (pids ${hogProcs.map((h) => h.pid).join(', ')}); ${runs} run(s) of: ${command.join(' ')}\n`);

let passed = 0;
let failed = 0;
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
    child.on('exit', (c, s) => resolve(c ?? (s !== null ? 128 : 1)));
    child.on('error', (err) => {
      process.stderr.write(`[under-load] cannot start ${command[0]}: ${err.message}\n`);
      resolve(127);
    });
  });
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  if (code === 0) passed++;
  else failed++;
  process.stderr.write(`[under-load] run ${i}/${runs}: exit ${code} in ${seconds} s\n`);
}
stopHogs();
process.stdout.write(`under-load: ${passed} passed, ${failed} failed${hogsLost > 0 ? `; ${hogsLost} hog(s) ended early` : ''}\n`);
process.exit(failed === 0 && hogsLost === 0 ? 0 : 1);
