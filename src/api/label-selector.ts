/**
 * metav1.LabelSelector matching, for choosing member pods and ClientServer servers without an API
 * server round-trip (the CLI's `simulate`, the rollout engine's server designation).
 */
import type { LabelSelector } from './types.js';

/**
 * True when `labels` satisfy every matchLabels entry and every matchExpressions requirement, with
 * the semantics of k8s.io/apimachinery `LabelSelectorAsSelector`. A selector that requires no
 * label the pods carry (empty, or only NotIn/DoesNotExist requirements) matches nothing here: the
 * CRD forbids it (validation-rules.ts `selectorNamesPods`), and matching nearly every pod of the
 * namespace would be the dangerous reading of an object that predates that rule.
 */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const ml = Object.entries(selector.matchLabels ?? {});
  const me = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  if (ml.length === 0 && !me.some((r) => r.operator === 'In' || r.operator === 'Exists')) return false;
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
