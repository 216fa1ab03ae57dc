/**
 * metav1.LabelSelector matching, for choosing member pods and ClientServer servers without an API
 * server round-trip (the CLI's `simulate`, the rollout engine's server designation).
 */
import type { LabelSelector } from './types.js';

/**
 * True when `labels` satisfy every matchLabels entry and every matchExpressions requirement, with
 * the semantics of k8s.io/apimachinery `LabelSelectorAsSelector`. An empty selector matches
 * nothing here: the CRD forbids it, and matching everything would be the dangerous reading.
 */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const ml = Object.entries(selector.matchLabels ?? {});
  const me = selector.matchExpressions ?? [];
  if (ml.length === 0 && me.length === 0) return false;
  for (const [k, v] of ml) if (labels[k] !== v) return false;
  for (const r of me) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'In':
        if (!has || value === undefined || !(r.values ?? []).includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && (r.values ?? []).includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
