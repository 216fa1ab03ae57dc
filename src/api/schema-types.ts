/**
 * The subset of OpenAPI v3 (apiextensions.k8s.io/v1 JSONSchemaProps) the ClusterTopology CRD uses.
 *
 * Typed so the schema builder, the schema walker (defaulting and validation in TypeScript) and the
 * reference-doc generator share one vocabulary, and a typo in a keyword is a compile error.
 */

/** One CEL rule of `x-kubernetes-validations` (apiextensions.k8s.io/v1 ValidationRule). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A JSON value as it appears in `default:` or an enum. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** apiextensions.k8s.io/v1 JSONSchemaProps, restricted to what a structural schema of ours needs. */
export interface SchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  default?: JsonValue;
  enum?: JsonValue[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, SchemaProps>;
  additionalProperties?: SchemaProps;
  items?: SchemaProps;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  /** An integer or a string (then `type` is absent and `anyOf` names both, as the API server requires). */
  'x-kubernetes-int-or-string'?: boolean;
  anyOf?: SchemaProps[];
}
