/**
 * Public surface of the simulator: the executor, its network models and the papers' metrics, for
 * tests, benchmarks and the CLI's `simulate`.
 */
export * from './simulator.js';
export * from './event-queue.js';
export * from './latency.js';
export * from './metrics.js';
export * from './workload.js';
export * from './topology.js';
export * from './delivery-record.js';
