/**
 * Member tags (App API v2, issue #16): the metadata each member carries, as Serf's tags or
 * memberlist's node meta. Shared by the sidecar (its `--tag key=value` flags, and the
 * `SetMembersRequest.member_info` it is pushed) and the operator (which reads the pod labels
 * named in `spec.memberTags`, merges the sidecar's own tags over them and pushes the result).
 *
 * A tag key is a Kubernetes label key (src/api/label-syntax.ts), so a pod label can always be a
 * tag under its own name; a value is at most {@link MAX_TAG_VALUE_LENGTH} characters without
 * control characters (looser than a label value: a flag can say more than a label).
 *
 * The digest lets the operator push member details level-based: the sidecar reports the digest
 * of what it was last pushed (`SidecarState.member_info_digest`) and the operator pushes only
 * when its own digest of what it wants differs.
 */
import { createHash } from 'node:crypto';
import { isLabelKey, LABEL_KEY_SYNTAX } from '../api/label-syntax.js';
import { quoteValue } from './peer-address.js';

/** Longest tag value (characters). Wild guess: room for a version string or a URL, far below any frame limit. */
export const MAX_TAG_VALUE_LENGTH = 256;
/** Most tags one member may carry. Wild guess: the CRD's matchLabels limit (64). */
export const MAX_TAGS = 64;

/** A member's tags, key → value. */
export type Tags = Readonly<Record<string, string>>;

/** One member's details: what `Member` (overlay.proto) and `MemberInfo` (control.proto) carry. */
export interface MemberDetails {
  readonly address: string;
  readonly pod: string;
  readonly tags: Tags;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Why the tag `key`=`value` is refused (`field` names where it came from), or undefined when it is fine. */
export function tagRefusal(field: string, key: string, value: string): string | undefined {
  if (!isLabelKey(key)) return `${field} key ${quoteValue(key)} is not a label key: ${LABEL_KEY_SYNTAX}`;
  if (value.length > MAX_TAG_VALUE_LENGTH) return `${field} ${key}: value of ${value.length} characters exceeds the limit of ${MAX_TAG_VALUE_LENGTH}`;
  if (CONTROL_CHARACTER.test(value)) return `${field} ${key}: value ${quoteValue(value)} contains a control character`;
  return undefined;
}

/** Why the tag set is refused (count and each tag), or undefined. */
export function tagsRefusal(field: string, tags: Tags): string | undefined {
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS) return `${field} has ${keys.length} tags, the limit is ${MAX_TAGS}`;
  for (const k of keys) {
    const bad = tagRefusal(field, k, tags[k] as string);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/**
 * The tags of a member: the pod labels named in `keys` (`spec.memberTags`; absent labels are
 * skipped), then the member sidecar's own tags over them (a flag wins over a label).
 */
export function mergeTags(labels: Tags, keys: readonly string[], own: Tags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (Object.hasOwn(labels, k)) out[k] = labels[k] as string;
  for (const [k, v] of Object.entries(own)) out[k] = v;
  return out;
}

/** True when `tags` has every entry of `filter` with the same value (an empty filter matches anything). */
export function tagsMatch(tags: Tags, filter: Tags): boolean {
  for (const [k, v] of Object.entries(filter)) if (tags[k] !== v) return false;
  return true;
}

/** True when `a` and `b` hold the same entries. */
export function sameTags(a: Tags, b: Tags): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The digest of a list of member details, independent of their order and of the tags' order: 16 hex digits of SHA-256. */
export function memberInfoDigest(infos: readonly MemberDetails[]): string {
  if (infos.length === 0) return '';
  const canonical = [...infos]
    .sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0))
    .map((i) => [i.address, i.pod, Object.entries(i.tags).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}
