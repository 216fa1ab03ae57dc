/**
 * Public surface of the ClusterTopology API: what the operator and the CLI import.
 */
export * from './constants.js';
export * from './types.js';
export * from './defaults.js';
export { applyDefaults } from './apply-defaults.js';
export { validateSpec, formatFieldErrors, type FieldError } from './validate-spec.js';
export { CLUSTER_TOPOLOGY_SCHEMA, MAX_HISTORY } from './crd-schema.js';
export { buildCrd, renderCrdYaml, CRD_FILE, PRINTER_COLUMNS } from './crd.js';
export { selectorMatches } from './label-selector.js';
export { sidecarPort, sidecarAddress } from './sidecar-port.js';
