/**
 * `list` and `doctor`. `list` is `kubectl get ctopo` with the plugin's columns. `doctor` checks
 * what a working installation needs, through the API only (so it also runs as the chart's
 * `helm test` hook, with the operator's ServiceAccount, on clusters where no Service network is
 * reachable from the test pod): the CRD answers a list, and with `--lease NAME`, the operator's
 * leader-election Lease has a holder that renewed it recently (a live, elected operator).
 */
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ClusterTopology } from '../api/types.js';
import type { OutputFormat } from './args.js';
import { ageOf, renderStructured, renderTable } from './format.js';
import { describeApiError, type TopologyClient } from './kube-client.js';
import { membersLabel, topologyLabel } from './view.js';

/** `list`: one row per ClusterTopology. */
export function renderList(items: ClusterTopology[], all: boolean, output: OutputFormat, now: Date): string {
  if (output !== 'table')
    return renderStructured(
      output,
      items.map((ct) => ({
        namespace: ct.metadata.namespace,
        name: ct.metadata.name,
        mode: ct.spec.mode ?? 'Manual',
        topology: ct.status?.currentTopology ?? null,
        phase: ct.status?.phase ?? null,
        members: ct.status?.members ?? null,
      })),
    );
  if (items.length === 0) return 'No ClusterTopologies found.';
  const rows = items.map((ct) => [
    ...(all ? [ct.metadata.namespace ?? ''] : []),
    ct.metadata.name ?? '',
    ct.spec.mode ?? 'Manual',
    topologyLabel(ct),
    ct.status?.phase ?? 'Pending',
    membersLabel(ct),
    ageOf(ct.metadata.creationTimestamp, now),
  ]);
  return renderTable([...(all ? ['NAMESPACE'] : []), 'NAME', 'MODE', 'TOPOLOGY', 'PHASE', 'MEMBERS', 'AGE'], rows);
}

/** One check of `doctor`. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Lease freshness: the holder renewed within this many lease durations. */
const LEASE_SLACK = 2;

/** Runs the checks; never throws for a failed check (it is reported), only for bugs. */
export async function doctor(kc: KubeConfig, client: TopologyClient, all: boolean, lease: string | undefined, now: Date): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const items = await client.list(all);
    checks.push({ name: 'clustertopologies', ok: true, detail: `list ${all ? 'in all namespaces' : `in ${client.namespace}`} works (${items.length} found)` });
  } catch (err) {
    checks.push({ name: 'clustertopologies', ok: false, detail: (err as Error).message });
  }
  if (lease !== undefined) {
    try {
      const l = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: lease, namespace: client.namespace });
      const holder = l.spec?.holderIdentity;
      const renew = l.spec?.renewTime;
      const duration = l.spec?.leaseDurationSeconds ?? 15;
      const age = renew === undefined ? Infinity : (now.getTime() - new Date(renew).getTime()) / 1000;
      const fresh = holder !== undefined && holder !== '' && age <= duration * LEASE_SLACK;
      checks.push({
        name: 'leader',
        ok: fresh,
        detail: fresh
          ? `lease ${client.namespace}/${lease} held by ${holder}, renewed ${ageOf(new Date(now.getTime() - age * 1000).toISOString(), now)} ago`
          : `lease ${client.namespace}/${lease} ${holder ? `held by ${holder} but not renewed for ${Number.isFinite(age) ? `${Math.round(age)}s` : 'ever'} (duration ${duration}s)` : 'has no holder'}: is the operator running?`,
      });
    } catch (err) {
      checks.push({
        name: 'leader',
        ok: false,
        detail: `${describeApiError(err, `lease ${client.namespace}/${lease}`).message} (the operator creates it when it starts)`,
      });
    }
  }
  return checks;
}

/** Renders the checks as `ok`/`FAIL` lines or structured output. */
export function renderChecks(checks: Check[], output: OutputFormat): string {
  if (output !== 'table') return renderStructured(output, checks);
  return checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`).join('\n');
}
