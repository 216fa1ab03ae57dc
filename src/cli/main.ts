#!/usr/bin/env node
/**
 * `kubectl-topology`: the kubectl plugin of the topology operator (`kubectl topology ...` once the
 * executable is on $PATH). Parses the command line, connects like kubectl does, runs one command
 * and exits with 0 (ok), 1 (failure: API error, not found, switch rolled back, timeout) or
 * 2 (usage error). See docs/plugin.md.
 */
import { parseCliArgs, type ParsedCommand } from './args.js';
import { renderAnalyze, renderHistory, renderStatus } from './commands-read.js';
import { abortSwitch, promoteSwitch, retrySwitch, setPaused, switchTopology, type WriteResult } from './commands-write.js';
import { watchTopology } from './command-watch.js';
import { doctor, renderChecks, renderList } from './command-doctor.js';
import { renderStructured, renderTable, num } from './format.js';
import { CliError, loadKubeConfig, resolveNamespace, topologyClient, type TopologyClient } from './kube-client.js';
import { simulate, type SimulateReport } from './simulate.js';
import { summarize } from './view.js';
import { completionOutput } from './completion-run.js';
import { completionScript } from './completion-scripts.js';

/** The version printed by `kubectl topology version` (the package's). */
export const CLI_VERSION = '0.1.0';

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => process.once('SIGINT', () => resolve()));
}

function renderSimulate(r: SimulateReport): string {
  const pct = (v: number): string => `${num(v * 100, 1)}%`;
  const table = renderTable(
    ['TOPOLOGY', 'CONN/MEMBER', 'MAX CONN', 'HOPS (LDH)', 'RELIABILITY', `RELIABILITY @${r.failPercent}% FAIL`, 'RECOVERY', 'RMR', 'P99 MS'],
    r.overlays.map((o) => [
      o.topology + (o.topology === r.recommendation.topology ? ' *' : ''),
      num(o.connectionsPerMember, 1),
      String(o.connectionsMax),
      num(o.hops, 2),
      pct(o.reliability),
      r.failPercent === 0 ? '-' : pct(o.reliabilityUnderFailure),
      o.broadcastsToRecover === null ? 'never' : `${o.broadcastsToRecover} bcast`,
      num(o.rmr, 2),
      num(o.latencyP99Ms, 1),
    ]),
  );
  const notes = r.overlays.filter((o) => o.note !== undefined).map((o) => `note: ${o.topology}: ${o.note}`);
  return [
    `Simulated ${r.nodes} members (seed ${r.seed}, workload ${r.workload}, ${r.failPercent}% crashed at once):`,
    table,
    ...notes,
    `* recommended: ${r.recommendation.topology}`,
    ...r.recommendation.reasons.map((x) => `  - ${x}`),
  ].join('\n');
}

async function runWrite(p: ParsedCommand, client: TopologyClient, action: () => Promise<WriteResult>): Promise<number> {
  const res = await action();
  if (p.output !== 'table') out(renderStructured(p.output, summarize(res.resource)));
  else out(res.message);
  if (p.command === 'switch' && p.wait && res.changed && p.to !== undefined) {
    const w = await watchTopology(client, p.name as string, process.stderr.isTTY ? process.stderr : process.stdout, {
      timeoutSeconds: p.timeoutSeconds,
      intervalMs: p.intervalMs,
      follow: false,
      target: p.to,
      interrupted: interrupted(),
    });
    switch (w.outcome) {
      case 'succeeded':
        out(`clustertopology ${p.name}: ${p.to} is established (epoch ${w.last.status?.epoch ?? '-'})`);
        return 0;
      case 'failed':
        throw new CliError(
          `clustertopology ${p.name}: the switch to ${p.to} did not complete: ${w.last.status?.rollout?.stage ?? ''} ${w.last.status?.rollout?.reason ?? w.last.status?.rollout?.message ?? ''}`.trim(),
        );
      case 'timeout':
        throw new CliError(`clustertopology ${p.name}: timed out after ${p.timeoutSeconds}s waiting for ${p.to} (phase ${w.last.status?.phase ?? '-'})`);
      default:
        return 130;
    }
  }
  return 0;
}

/** Runs one parsed command; returns the exit code. */
export async function run(p: ParsedCommand): Promise<number> {
  if (p.command === 'version') {
    out(p.output === 'table' ? `kubectl-topology ${CLI_VERSION}` : renderStructured(p.output, { version: CLI_VERSION }));
    return 0;
  }
  if (p.command === 'completion') {
    process.stdout.write(completionScript(p.shell!));
    return 0;
  }
  if (p.command === 'simulate') {
    const report = simulate(p.simulate, (line) => process.stderr.write(`${line}\n`));
    out(p.output === 'table' ? renderSimulate(report) : renderStructured(p.output, report));
    return 0;
  }
  const kc = loadKubeConfig(p.connection);
  const client = topologyClient(kc, resolveNamespace(kc, p.connection));
  const name = p.name as string;
  const now = new Date();
  const all = p.connection.allNamespaces === true;
  switch (p.command) {
    case 'list':
      out(renderList(await client.list(all), all, p.output, now));
      return 0;
    case 'doctor': {
      // Retry until every check passes or --timeout (helm test waits for a leader this way).
      const deadline = Date.now() + p.retrySeconds * 1000;
      let checks = await doctor(kc, client, all, p.lease, now);
      while (!checks.every((c) => c.ok) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        checks = await doctor(kc, client, all, p.lease, new Date());
      }
      out(renderChecks(checks, p.output));
      return checks.every((c) => c.ok) ? 0 : 1;
    }
    case 'status':
      out(renderStatus(await client.get(name), p.output, now));
      return 0;
    case 'history':
      out(renderHistory(await client.get(name), p.output, now));
      return 0;
    case 'analyze':
      out(renderAnalyze(await client.get(name), p.output, now));
      return 0;
    case 'switch':
      return runWrite(p, client, () => switchTopology(client, name, p.to!));
    case 'pause':
      return runWrite(p, client, () => setPaused(client, name, true));
    case 'resume':
      return runWrite(p, client, () => setPaused(client, name, false));
    case 'abort':
      return runWrite(p, client, () => abortSwitch(client, name, now));
    case 'retry':
      return runWrite(p, client, () => retrySwitch(client, name, now));
    case 'promote':
      return runWrite(p, client, () => promoteSwitch(client, name, now));
    case 'watch': {
      const w = await watchTopology(client, name, process.stdout, {
        timeoutSeconds: p.timeoutSeconds,
        intervalMs: p.intervalMs,
        follow: p.follow,
        interrupted: interrupted(),
      });
      if (p.output !== 'table') out(renderStructured(p.output, summarize(w.last)));
      if (w.outcome === 'timeout' && !p.follow)
        throw new CliError(`clustertopology ${name}: not Ready after ${p.timeoutSeconds}s (phase ${w.last.status?.phase ?? '-'})`);
      return w.outcome === 'interrupted' ? 130 : 0;
    }
    default:
      throw new CliError(`command ${p.command} is not implemented`, 2);
  }
}

/** Cobra's hidden request of the completion scripts (src/cli/completion-scripts.ts). */
const COMPLETE_REQUEST = '__complete';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === COMPLETE_REQUEST) {
    out(await completionOutput(argv.slice(1)));
    return 0;
  }
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      out(parsed.message);
      return 0;
    }
    process.stderr.write(`error: ${parsed.message}\n`);
    return 2;
  }
  return run(parsed.parsed);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
