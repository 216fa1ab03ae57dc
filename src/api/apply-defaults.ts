/**
 * Applies the spec defaults exactly as the API server does on admission, from the same schema.
 *
 * The API server already stores defaulted specs, so for the operator this is a defence (objects
 * written before a default existed) and for the CLI (`simulate`, `validate`) it is the only
 * defaulting. The defaults themselves and their sources are in `defaults.ts`.
 */
import { CLUSTER_TOPOLOGY_SCHEMA } from './crd-schema.js';
import { applySchemaDefaults } from './schema-walk.js';
import type { ClusterTopologySpec, ResolvedSpec } from './types.js';

const SPEC_SCHEMA = CLUSTER_TOPOLOGY_SCHEMA.properties!['spec']!;

/** Returns a defaulted copy of `spec`; the input is not modified. */
export function applyDefaults(spec: ClusterTopologySpec): ResolvedSpec {
  // The schema fills every field ResolvedSpec declares as required (checked by the unit tests).
  return applySchemaDefaults(spec, SPEC_SCHEMA) as ResolvedSpec;
}
