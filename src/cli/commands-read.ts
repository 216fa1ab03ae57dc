/**
 * The read-only commands: `status`, `history`, `analyze`. Each renders from the resource alone
 * (the plugin never computes status itself; the operator owns it), as a table or `-o json|yaml`.
 */
import type { ClusterTopology } from '../api/types.js';
import type { OutputFormat } from './args.js';
import { ageOf, num, renderFields, renderStructured, renderTable } from './format.js';
import { historyNewestFirst, membersLabel, stepLabel, summarize, topologyLabel } from './view.js';

/** `status NAME`: phase, topologies, members, the rollout and the conditions. */
export function renderStatus(ct: ClusterTopology, output: OutputFormat, now: Date): string {
  const s = summarize(ct);
  if (output !== 'table') return renderStructured(output, s);
  const r = s.rollout;
  const fields: [string, string][] = [
    ['Name', s.name],
    ['Namespace', s.namespace],
    ['Mode', `${s.mode}${s.paused ? ' (paused)' : ''}`],
    ['Spec topology', s.specTopology ?? '-'],
    ['Topology', topologyLabel(ct)],
    ['Phase', s.phase ?? 'Pending (not reconciled yet)'],
    ['Epoch', s.epoch === undefined ? '-' : String(s.epoch)],
    ['Members', membersLabel(ct)],
    ['Generation', `${s.generation ?? '-'} (observed ${s.observedGeneration ?? '-'})`],
  ];
  if (r !== undefined) {
    fields.push([
      'Rollout',
      `${s.inFlight ? '' : 'last: '}${r.from ?? '-'} → ${r.to}, ${stepLabel(ct)}, trigger ${r.trigger}, started ${ageOf(r.startedAt, now)} ago`,
    ]);
    if (r.message) fields.push(['Rollout message', r.message]);
  }
  if (s.lastSwitchTime !== undefined) fields.push(['Last switch', `${s.lastSwitchTime} (${ageOf(s.lastSwitchTime, now)} ago)`]);
  const aborted = ct.status?.abortedTarget;
  if (aborted !== undefined)
    fields.push(['Aborted', `${aborted.topology} (epoch ${aborted.epoch}): not restarted until kubectl topology retry or a spec change`]);
  const control = ct.status?.lastControlRequest;
  if (control !== undefined)
    fields.push(['Last control request', `${control.action ?? '?'} ${control.result} ${ageOf(control.time, now)} ago: ${control.message}`]);
  const conds =
    s.conditions.length === 0
      ? '  <none>'
      : renderTable(
          ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
          s.conditions.map((c) => [c.type, c.status, c.reason, ageOf(c.lastTransitionTime, now), c.message]),
        )
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n');
  return `${renderFields(fields)}\nConditions:\n${conds}`;
}

/** `history NAME`: finished switches, newest first. */
export function renderHistory(ct: ClusterTopology, output: OutputFormat, now: Date): string {
  const h = historyNewestFirst(ct);
  if (output !== 'table') return renderStructured(output, h);
  if (h.length === 0) return `No switches recorded for ${ct.metadata.namespace}/${ct.metadata.name} yet.`;
  return renderTable(
    ['AGE', 'EPOCH', 'FROM', 'TO', 'TRIGGER', 'RESULT', 'DURATION', 'REASON'],
    h.map((e) => [ageOf(e.time, now), String(e.epoch), e.from ?? '-', e.to, e.trigger, e.result, `${num(e.durationSeconds, 1)}s`, e.reason]),
  );
}

/** `analyze NAME`: the rule engine's recommendation (status.recommendation) and the sampled metrics. */
export function renderAnalyze(ct: ClusterTopology, output: OutputFormat, now: Date): string {
  const s = ct.status ?? {};
  const rec = s.recommendation;
  const m = s.metrics;
  if (output !== 'table') {
    return renderStructured(output, {
      name: ct.metadata.name,
      namespace: ct.metadata.namespace,
      currentTopology: s.currentTopology ?? null,
      recommendation: rec ?? null,
      metrics: m ?? null,
      lastEvaluationTime: s.lastEvaluationTime ?? null,
    });
  }
  const lines: string[] = [];
  const current = s.currentTopology ?? '-';
  if (rec === undefined) {
    lines.push(
      `Recommendation: none yet (the operator has not evaluated ${ct.metadata.name}; metrics are sampled every spec.autoSwitch.evaluationIntervalSeconds)`,
    );
  } else {
    const verdict = rec.topology === s.currentTopology ? 'keep' : 'switch to';
    lines.push(`Current:         ${current}`);
    lines.push(
      `Recommendation:  ${verdict} ${rec.topology}${rec.trigger ? ` (trigger ${rec.trigger})` : ''}${rec.workload ? `, workload ${rec.workload}` : ''}`,
    );
    if ((ct.spec.mode ?? 'Manual') === 'Manual' && rec.topology !== s.currentTopology)
      lines.push(`                 (Manual mode: apply it with kubectl topology switch ${ct.metadata.name} --to ${rec.topology})`);
    lines.push('Reasons:');
    for (const r of rec.reasons) lines.push(`  - ${r}`);
  }
  if (m === undefined) {
    lines.push('Metrics: none sampled yet');
  } else {
    lines.push(`Metrics (sampled ${m.sampledAt ? `${ageOf(m.sampledAt, now)} ago` : 'at an unknown time'}):`);
    lines.push(
      renderTable(
        ['METRIC', 'VALUE'],
        [
          ['nodeCount', String(m.nodeCount)],
          ['latencyP50', num(m.latencyP50Ms, 2, ' ms')],
          ['latencyP99', num(m.latencyP99Ms, 2, ' ms')],
          ['connectivityScore', num(m.connectivityScore, 3)],
          ['partitionCount', num(m.partitionCount, 0)],
          ['connectionsPerNode', num(m.connectionsPerNode, 2)],
          ['hops', num(m.hops, 2)],
          ['bytesPerSecond', num(m.bytesPerSecond, 0)],
          ['maxQueueLength', num(m.maxQueueLength, 0)],
        ],
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  return lines.join('\n');
}
