/**
 * Validates a ClusterTopology spec the way the API server would: defaults first, then the
 * structural schema (types, enums, bounds, unknown fields) and the CEL rules through their
 * TypeScript mirrors, with the same messages.
 *
 * The CLI uses it before it sends anything; the operator uses it as a defence (an object that
 * somehow bypassed the CRD's rules gets a Stalled condition instead of a crash loop).
 */
import { CLUSTER_TOPOLOGY_SCHEMA } from './crd-schema.js';
import { applySchemaDefaults, checkAgainstSchema, type FieldError } from './schema-walk.js';

export type { FieldError } from './schema-walk.js';

const SPEC_SCHEMA = CLUSTER_TOPOLOGY_SCHEMA.properties!['spec']!;

/** Returns every problem of `spec` (empty when valid), each with its field path under `spec`. */
export function validateSpec(spec: unknown): FieldError[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return [{ path: 'spec', message: 'must be of type object' }];
  return checkAgainstSchema(applySchemaDefaults(spec, SPEC_SCHEMA), SPEC_SCHEMA, 'spec');
}

/** One line per problem, `path: message`, as kubectl prints API server rejections. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}
