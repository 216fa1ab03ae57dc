/**
 * The syntax of Kubernetes label keys and values, as the API server checks them on Pods
 * (k8s.io/apimachinery/pkg/util/validation: `IsQualifiedName`, `IsValidLabelValue`).
 *
 * Why here: a selector with a key or value no label can have selects nothing, silently; the CRD
 * refuses it instead, and so must validateSpec. The patterns are written in the common subset of
 * RE2 (CEL `matches()`, which searches, hence the anchors) and JavaScript RegExp, without
 * escapes (`[.]` for a dot), so the CRD's CEL rules and their TypeScript mirrors accept exactly
 * the same strings.
 *
 * - key: an optional prefix, a DNS-1123 subdomain of at most 253 characters, and `/`; then a name
 *   of 1–63 characters of `[A-Za-z0-9_.-]`, beginning and ending with a letter or digit.
 * - value: empty, or 1–63 characters of the name's alphabet, beginning and ending alphanumeric.
 */

/** A label name, the part after any prefix (length checked apart, by {@link LABEL_KEY_LENGTH_PATTERN}). */
const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?';
/** A DNS-1123 subdomain: dot-separated lowercase labels (length checked apart). */
const DNS_SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*';

/** Characters and shape of a label key: `[prefix/]name`. */
export const LABEL_KEY_PATTERN = `^(${DNS_SUBDOMAIN}/)?${NAME}$`;
/** Lengths of a label key's parts: prefix at most 253 characters, name 1–63 (apimachinery's DNS1123SubdomainMaxLength and QualifiedNameMaxLength). */
export const LABEL_KEY_LENGTH_PATTERN = '^([^/]{1,253}/)?[^/]{1,63}$';
/** A label value (its length, at most 63, is the schema's maxLength). */
export const LABEL_VALUE_PATTERN = `^(${NAME})?$`;
/** Longest label value: apimachinery's LabelValueMaxLength. */
export const MAX_LABEL_VALUE_LENGTH = 63;

/** What a label key must look like, for the messages (no quotes: it is embedded in CEL string literals). */
export const LABEL_KEY_SYNTAX =
  'an optional prefix (a DNS subdomain of lowercase letters, digits, - and ., at most 253 characters) and /, then a name of 1 to 63 letters, digits, -, _ or . that begins and ends with a letter or digit, e.g. app or example.com/tier';
/** What a label value must look like, for the messages. */
export const LABEL_VALUE_SYNTAX = 'empty, or 1 to 63 letters, digits, -, _ or . that begin and end with a letter or digit, e.g. chat or v1.2';

const KEY = new RegExp(LABEL_KEY_PATTERN);
const KEY_LENGTHS = new RegExp(LABEL_KEY_LENGTH_PATTERN);
const VALUE = new RegExp(LABEL_VALUE_PATTERN);

/** True when `key` is a valid label key. */
export function isLabelKey(key: string): boolean {
  return KEY.test(key) && KEY_LENGTHS.test(key);
}

/** True when `value` is a valid label value. */
export function isLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE_LENGTH && VALUE.test(value);
}

/** The CEL expression that is true when the string expression `x` is a valid label key (the twin of {@link isLabelKey}). */
export function celIsLabelKey(x: string): string {
  return `${x}.matches('${LABEL_KEY_PATTERN}') && ${x}.matches('${LABEL_KEY_LENGTH_PATTERN}')`;
}

/** The CEL expression that is true when the string expression `x` is a valid label value (the twin of {@link isLabelValue}). */
export function celIsLabelValue(x: string): string {
  return `size(${x}) <= ${MAX_LABEL_VALUE_LENGTH} && ${x}.matches('${LABEL_VALUE_PATTERN}')`;
}
