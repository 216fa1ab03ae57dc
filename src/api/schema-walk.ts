/**
 * Structural defaulting and validation of a value against a {@link SchemaProps}, the way the API
 * server does it for a CRD: defaults fill absent fields top-down (a `default: {}` object then gets its
 * own fields defaulted), then types, enums, bounds, required fields, unknown fields and the CEL rules
 * (through their TypeScript mirrors) are checked.
 *
 * This is what lets the CLI and the operator default and validate a spec without an API server,
 * from the same schema the API server enforces.
 */
import type { JsonValue, SchemaProps } from './schema-types.js';
import { mirrorOf } from './validation-rules.js';

/** One problem, with the field path the API server would report (`spec.rollout.steps[1]`). */
export interface FieldError {
  path: string;
  message: string;
}

function clone<T extends JsonValue>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns a copy of `value` with the schema's defaults applied to absent fields, recursively. */
export function applySchemaDefaults(value: unknown, schema: SchemaProps): unknown {
  if (schema.type === 'object' && isObject(value)) {
    const out: Record<string, unknown> = { ...value };
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      if (out[key] === undefined && prop.default !== undefined) out[key] = clone(prop.default);
      if (out[key] !== undefined) out[key] = applySchemaDefaults(out[key], prop);
    }
    return out;
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    return value.map((v) => applySchemaDefaults(v, items));
  }
  return value;
}

function typeError(value: unknown, schema: SchemaProps): string | undefined {
  if (schema['x-kubernetes-int-or-string'] === true)
    return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'string' ? undefined : 'must be of type integer or string';
  switch (schema.type) {
    case 'object':
      return isObject(value) ? undefined : 'must be of type object';
    case 'array':
      return Array.isArray(value) ? undefined : 'must be of type array';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be of type string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be of type boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : 'must be of type integer';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be of type number';
    default:
      return undefined;
  }
}

/** Checks `value` (already defaulted) against `schema`; returns every problem found, in field order. */
export function checkAgainstSchema(value: unknown, schema: SchemaProps, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const add = (p: string, message: string): void => void errors.push({ path: p, message });
  const te = typeError(value, schema);
  if (te !== undefined) {
    add(path, te);
    return errors;
  }
  if (schema.enum !== undefined && !schema.enum.some((e) => e === value)) {
    add(path, `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) add(path, `should be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) add(path, `should be less than or equal to ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) add(path, `should be at least ${schema.minLength} chars long`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) add(path, `may not be more than ${schema.maxLength} bytes`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) add(path, `should match '${schema.pattern}'`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) add(path, `should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) add(path, `must have at most ${schema.maxItems} items`);
    const items = schema.items;
    if (items !== undefined) value.forEach((v, i) => errors.push(...checkAgainstSchema(v, items, `${path}[${i}]`)));
  }
  if (isObject(value)) {
    const props = schema.properties;
    for (const req of schema.required ?? []) if (value[req] === undefined) add(`${path}.${req}`, 'Required value');
    const n = Object.keys(value).length;
    if (schema.maxProperties !== undefined && n > schema.maxProperties) add(path, `must have at most ${schema.maxProperties} properties`);
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const declared = props?.[key];
      const prop = declared ?? schema.additionalProperties;
      if (prop === undefined) {
        if (props !== undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) add(`${path}.${key}`, 'field not declared in schema');
        continue;
      }
      // A map entry is `path[key]`, as the API server writes it; a field is `path.key`.
      errors.push(...checkAgainstSchema(v, prop, declared !== undefined ? `${path}.${key}` : `${path}[${key}]`));
    }
  }
  // CEL rules run only on a value whose own structure is sound, as their has() guards assume.
  if (errors.length === 0) {
    for (const rule of schema['x-kubernetes-validations'] ?? []) {
      const mirror = mirrorOf(rule);
      if (mirror === undefined) throw new Error(`no TypeScript mirror for CEL rule at ${path}: ${rule.rule}`);
      if (!mirror.holds(value)) add(path + (rule.fieldPath ?? ''), rule.message);
    }
  }
  return errors;
}
