/**
 * The seed's `collect_performance_metrics` (§5): overlay health sampled from the sidecars into
 * `status.metrics`, the rule engine's input.
 *
 * At most `spec.autoSwitch.sampleSize` members are asked for Control.Metrics per evaluation
 * (seed §6: sampling at scale), chosen by the rule engine's deterministic `metricsSample` and
 * rotated by evaluation round. From the committed ("active") overlay of each sampled member:
 *
 * | field              | formula                                                                 |
 * |--------------------|-------------------------------------------------------------------------|
 * | nodeCount          | ready members (all of them, not the sample)                             |
 * | latencyP50Ms       | median over the sample of each member's delivery-latency p50            |
 * | latencyP99Ms       | largest delivery-latency p99 in the sample                              |
 * | connectionsPerNode | mean open links                                                         |
 * | bytesPerSecond     | mean bytes sent per second since the previous sample of that member    |
 * | maxQueueLength     | largest send queue                                                      |
 * | connectivityScore  | share of ready members in the largest component of the active views (from the states already observed, so no extra calls) |
 *
 * Latencies of 0 (nothing delivered yet) are left out rather than reported as perfect.
 */
import type { TopologyMetrics } from '../../api/types.js';
import { metricsSample } from '../rules/metrics-sample.js';
import { isoSeconds } from '../../api/status.js';
import { components } from '../../overlays/components.js';
import type { MemberObservation } from './observe.js';
import type { SidecarPool } from './pool.js';

interface ByteSample {
  epoch: number;
  bytesOut: number;
  atMs: number;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Share of `nodes` in the largest connected component of the (undirected) view graph; 1 for no nodes. */
export function largestComponentShare(nodes: readonly string[], views: ReadonlyMap<string, readonly string[]>): number {
  if (nodes.length === 0) return 1;
  return (components(nodes, views)[0]?.length ?? 0) / nodes.length;
}

/** Samples metrics from member sidecars; remembers byte counters between samples for rates. */
export class SidecarMetricsCollector {
  private readonly bytes = new Map<string, ByteSample>();

  constructor(private readonly pool: SidecarPool) {}

  /**
   * One sample over the ready members of `observations`. `round` rotates the sample. `pool`
   * overrides the collector's (a resource's own token, see SidecarPool.withToken).
   */
  async collect(
    observations: readonly MemberObservation[],
    sampleSize: number,
    round: number,
    now: Date,
    pool: SidecarPool = this.pool,
  ): Promise<TopologyMetrics> {
    const ready = observations.filter((o) => o.observed.ready && o.pod.address !== undefined);
    const metrics: TopologyMetrics = { nodeCount: ready.length, sampledAt: isoSeconds(now) };
    if (ready.length === 0) return metrics;

    // Connectivity of the committed overlay, from the states observed this reconcile.
    const views = new Map<string, string[]>();
    for (const o of ready) {
      const active = o.state?.overlays.find((x) => x.role === 'active');
      if (active !== undefined) views.set(o.pod.address!, active.activeView);
    }
    if (views.size > 0)
      metrics.connectivityScore = round3(
        largestComponentShare(
          ready.map((o) => o.pod.address!),
          views,
        ),
      );

    const names = ready.map((o) => o.pod.name);
    const chosen = new Set(metricsSample(names, sampleSize, round));
    const addresses = ready.filter((o) => chosen.has(o.pod.name)).map((o) => o.pod.address!);
    const replies = await pool.each('GetMetrics', addresses, (c) => c.getMetrics());
    const p50s: number[] = [];
    const p99s: number[] = [];
    const links: number[] = [];
    const rates: number[] = [];
    let maxQueue: number | undefined;
    const nowMs = now.getTime();
    for (const { address, result } of replies) {
      if (!result.ok) continue;
      const active = result.value.overlays.find((o) => o.role === 'active');
      if (active === undefined) continue;
      if (active.deliveryLatencyP50Ms > 0) p50s.push(active.deliveryLatencyP50Ms);
      if (active.deliveryLatencyP99Ms > 0) p99s.push(active.deliveryLatencyP99Ms);
      links.push(active.connections);
      maxQueue = Math.max(maxQueue ?? 0, active.maxQueueLength);
      const prev = this.bytes.get(address);
      if (prev !== undefined && prev.epoch === active.epoch && nowMs > prev.atMs && active.bytesOut >= prev.bytesOut) {
        rates.push(((active.bytesOut - prev.bytesOut) * 1000) / (nowMs - prev.atMs));
      }
      this.bytes.set(address, { epoch: active.epoch, bytesOut: active.bytesOut, atMs: nowMs });
    }
    const p50 = median(p50s);
    if (p50 !== undefined) metrics.latencyP50Ms = round3(p50);
    if (p99s.length > 0) metrics.latencyP99Ms = round3(Math.max(...p99s));
    if (links.length > 0) metrics.connectionsPerNode = round3(links.reduce((a, b) => a + b, 0) / links.length);
    if (rates.length > 0) metrics.bytesPerSecond = round3(rates.reduce((a, b) => a + b, 0) / rates.length);
    if (maxQueue !== undefined) metrics.maxQueueLength = maxQueue;
    return metrics;
  }
}
