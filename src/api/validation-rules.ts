/**
 * The cross-field rules of the ClusterTopology spec, each written twice side by side: as CEL for the
 * API server (`x-kubernetes-validations` in the CRD) and as a TypeScript predicate for
 * {@link validateSpec} (the CLI and the operator's defence). Keeping both in one record, with one
 * message, is what stops them drifting; a unit test evaluates every rule against both the real API
 * server (e2e) and the predicate (unit).
 *
 * Messages say what to fix. The API server prefixes them with the field path, so they name fields
 * relative to where the rule sits.
 */
import { celIsLabelKey, celIsLabelValue, isLabelKey, isLabelValue, LABEL_KEY_SYNTAX, LABEL_VALUE_SYNTAX } from './label-syntax.js';
import type { CelRule } from './schema-types.js';

/** A CEL rule with its TypeScript mirror. `holds(self)` gets the value the rule is attached to. */
export interface MirroredRule extends CelRule {
  holds(self: unknown): boolean;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function has(o: Obj, k: string): boolean {
  return o[k] !== undefined && o[k] !== null;
}
function num(o: Obj, k: string): number | undefined {
  const v = o[k];
  return typeof v === 'number' ? v : undefined;
}
function size(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length;
  return 0;
}
/** `a OP b` when both are numbers; true (nothing to check) otherwise, like a CEL `has()` guard. */
function cmp(a: number | undefined, b: number | undefined, ok: (x: number, y: number) => boolean): boolean {
  return a === undefined || b === undefined || ok(a, b);
}

/** The rules, by name. The schema builder attaches each one where its comment says. */
export const RULES = {
  /** On `spec`. */
  manualNeedsTopology: {
    rule: "(has(self.mode) && self.mode != 'Manual') || has(self.topology)",
    message: 'spec.topology is required when spec.mode is Manual: set spec.topology to FullMesh, HyParView, ClientServer or PubSub, or set spec.mode to Auto',
    fieldPath: '.topology',
    reason: 'FieldValueRequired',
    holds: (self) => {
      const s = obj(self);
      return (has(s, 'mode') && s['mode'] !== 'Manual') || has(s, 'topology');
    },
  },
  /** On `spec`. */
  clientServerNeedsServers: {
    rule:
      "!has(self.topology) || self.topology != 'ClientServer' || (has(self.overlays) && has(self.overlays.clientServer) && " +
      '(has(self.overlays.clientServer.serverSelector) || (has(self.overlays.clientServer.servers) && self.overlays.clientServer.servers > 0)))',
    message: 'topology ClientServer needs servers: set spec.overlays.clientServer.servers to 1 or more, or set spec.overlays.clientServer.serverSelector',
    fieldPath: '.overlays.clientServer',
    holds: (self) => {
      const s = obj(self);
      if (s['topology'] !== 'ClientServer') return true;
      const cs = obj(obj(s['overlays'])['clientServer']);
      return has(cs, 'serverSelector') || (num(cs, 'servers') ?? 0) > 0;
    },
  },
  /**
   * On every LabelSelector (`spec.selector`, `spec.overlays.clientServer.serverSelector`): it must
   * require a label the pods have. An empty selector, or one whose requirements are all NotIn or
   * DoesNotExist, matches nearly every pod of the namespace (every pod *without* some label).
   */
  selectorNamesPods: {
    rule:
      '(has(self.matchLabels) && size(self.matchLabels) > 0) || ' +
      "(has(self.matchExpressions) && self.matchExpressions.exists(r, r.operator == 'In' || r.operator == 'Exists'))",
    message:
      'selector must require a label the pods carry: set matchLabels, or a matchExpressions requirement with operator In or Exists (an empty selector, or one of only NotIn and DoesNotExist requirements, matches nearly every pod in the namespace)',
    holds: (self) => {
      const s = obj(self);
      const positive = (r: unknown): boolean => obj(r)['operator'] === 'In' || obj(r)['operator'] === 'Exists';
      return size(s['matchLabels']) > 0 || (Array.isArray(s['matchExpressions']) && s['matchExpressions'].some(positive));
    },
  },
  /**
   * On `matchLabels` of every LabelSelector: its keys are label keys. (Keys have no schema of their
   * own; a messageExpression naming the bad key exceeds the API server's cost budget, as map keys
   * have no maxLength, so the message describes the syntax.)
   */
  matchLabelsKeysValid: {
    rule: `self.all(k, ${celIsLabelKey('k')})`,
    message: `every matchLabels key must be a valid label key: ${LABEL_KEY_SYNTAX}`,
    holds: (self) => Object.keys(obj(self)).every(isLabelKey),
  },
  /** On every `matchExpressions[].key`. */
  labelKeyValid: {
    rule: celIsLabelKey('self'),
    message: `must be a valid label key: ${LABEL_KEY_SYNTAX}`,
    holds: (self) => typeof self !== 'string' || isLabelKey(self),
  },
  /** On every `matchLabels` value and `matchExpressions[].values[]` item. */
  labelValueValid: {
    rule: celIsLabelValue('self'),
    message: `must be a valid label value: ${LABEL_VALUE_SYNTAX}`,
    holds: (self) => typeof self !== 'string' || isLabelValue(self),
  },
  /** On every item of `matchExpressions`. */
  selectorValuesMatchOperator: {
    rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
    message: 'values must be non-empty for operators In and NotIn, and empty for Exists and DoesNotExist',
    fieldPath: '.values',
    holds: (self) => {
      const s = obj(self);
      const n = size(s['values']);
      return s['operator'] === 'In' || s['operator'] === 'NotIn' ? n > 0 : n === 0;
    },
  },
  /** On `spec.overlays.hyParView`. */
  passiveViewAtLeastActive: {
    rule: '!has(self.passiveViewSize) || !has(self.activeViewSize) || self.passiveViewSize >= self.activeViewSize',
    message:
      'passiveViewSize must be at least activeViewSize (the passive view holds the replacements for active links): raise passiveViewSize or lower activeViewSize',
    fieldPath: '.passiveViewSize',
    holds: (self) => cmp(num(obj(self), 'passiveViewSize'), num(obj(self), 'activeViewSize'), (p, a) => p >= a),
  },
  /** On `spec.overlays.hyParView`. */
  passiveWalkWithinActiveWalk: {
    rule: '!has(self.passiveRandomWalkLength) || !has(self.activeRandomWalkLength) || self.passiveRandomWalkLength <= self.activeRandomWalkLength',
    message: 'passiveRandomWalkLength must not exceed activeRandomWalkLength (a forward-join adds to passive views when its walk has PRWL hops left)',
    fieldPath: '.passiveRandomWalkLength',
    holds: (self) => cmp(num(obj(self), 'passiveRandomWalkLength'), num(obj(self), 'activeRandomWalkLength'), (p, a) => p <= a),
  },
  /** On `spec.overlays.hyParView`. */
  shuffleActiveWithinView: {
    rule: '!has(self.shuffleActive) || !has(self.activeViewSize) || self.shuffleActive <= self.activeViewSize',
    message: 'shuffleActive must not exceed activeViewSize (a shuffle samples the active view)',
    fieldPath: '.shuffleActive',
    holds: (self) => cmp(num(obj(self), 'shuffleActive'), num(obj(self), 'activeViewSize'), (k, a) => k <= a),
  },
  /** On `spec.overlays.hyParView`. */
  shufflePassiveWithinView: {
    rule: '!has(self.shufflePassive) || !has(self.passiveViewSize) || self.shufflePassive <= self.passiveViewSize',
    message: 'shufflePassive must not exceed passiveViewSize (a shuffle samples the passive view)',
    fieldPath: '.shufflePassive',
    holds: (self) => cmp(num(obj(self), 'shufflePassive'), num(obj(self), 'passiveViewSize'), (k, p) => k <= p),
  },
  /** On `spec.overlays.pubSub`. */
  graftAfterLazyPush: {
    rule: '!has(self.graftTimeoutMs) || !has(self.lazyPushDelayMs) || self.graftTimeoutMs > self.lazyPushDelayMs',
    message: 'graftTimeoutMs must be greater than lazyPushDelayMs (a GRAFT must wait longer than one lazy-push batch)',
    fieldPath: '.graftTimeoutMs',
    holds: (self) => cmp(num(obj(self), 'graftTimeoutMs'), num(obj(self), 'lazyPushDelayMs'), (g, l) => g > l),
  },
  /** On `spec.autoSwitch.thresholds`. */
  smallBelowLarge: {
    rule: '!has(self.smallClusterMaxNodes) || !has(self.largeClusterMinNodes) || self.smallClusterMaxNodes < self.largeClusterMinNodes',
    message: 'smallClusterMaxNodes must be less than largeClusterMinNodes (the gap between them is the hysteresis band of the FullMesh/HyParView switch)',
    fieldPath: '.smallClusterMaxNodes',
    holds: (self) => cmp(num(obj(self), 'smallClusterMaxNodes'), num(obj(self), 'largeClusterMinNodes'), (s, l) => s < l),
  },
  /** On `spec.autoSwitch.thresholds`. */
  largeWithinClientServer: {
    rule: '!has(self.largeClusterMinNodes) || !has(self.clientServerMinNodes) || self.largeClusterMinNodes <= self.clientServerMinNodes',
    message: 'largeClusterMinNodes must not exceed clientServerMinNodes: lower largeClusterMinNodes or raise clientServerMinNodes',
    fieldPath: '.clientServerMinNodes',
    holds: (self) => cmp(num(obj(self), 'largeClusterMinNodes'), num(obj(self), 'clientServerMinNodes'), (l, c) => l <= c),
  },
  /**
   * On every item of `spec.rollout.steps` (an int-or-string): a percentage, or the gate "pause"
   * (PAUSE_STEP in types.ts).
   */
  stepIsPercentOrPause: {
    rule: "type(self) == int ? (self >= 1 && self <= 100) : self == 'pause'",
    message: 'must be a percentage, greater than or equal to 1 and less than or equal to 100, or "pause" (a gate that waits for a promote request)',
    holds: (self) => (typeof self === 'number' ? Number.isInteger(self) && self >= 1 && self <= 100 : self === 'pause'),
  },
  /** On `spec.rollout.steps`: the percentages (gates aside) strictly increase. */
  stepsIncreasing: {
    rule:
      'self.all(a, type(a) != int || self.indexOf(a) == self.lastIndexOf(a)) && ' +
      'self.all(a, type(a) != int || self.all(b, type(b) != int || self.indexOf(b) <= self.indexOf(a) || int(b) > int(a)))',
    message: 'steps must be strictly increasing percentages, e.g. [10, 50, 100] (gates "pause" may stand between them)',
    holds: (self) => {
      if (!Array.isArray(self)) return true;
      const percents = self.filter((x): x is number => typeof x === 'number');
      for (let i = 1; i < percents.length; i++) if (!(percents[i]! > percents[i - 1]!)) return false;
      return true;
    },
  },
  /** On `spec.rollout.steps`: with increasing percentages of at most 100, holding 100 means the last percentage is 100. */
  stepsEndAt100: {
    rule: 'self.exists(s, type(s) == int && s == 100)',
    message: 'steps must end at 100 (every member routes over the new overlay before the commit; a "pause" may follow it): append 100',
    holds: (self) => !Array.isArray(self) || self.some((x) => x === 100),
  },
  /** On `spec.rollout`. */
  deadlineAfterVerification: {
    rule: '!has(self.progressDeadlineSeconds) || !has(self.stepVerificationSeconds) || self.progressDeadlineSeconds > self.stepVerificationSeconds',
    message: 'progressDeadlineSeconds must be greater than stepVerificationSeconds, or no step could pass its health window before the deadline',
    fieldPath: '.progressDeadlineSeconds',
    holds: (self) => cmp(num(obj(self), 'progressDeadlineSeconds'), num(obj(self), 'stepVerificationSeconds'), (d, v) => d > v),
  },
} satisfies Record<string, MirroredRule>;

/** Finds the mirror of a CEL rule by its text: how the schema walker evaluates `x-kubernetes-validations`. */
export function mirrorOf(rule: CelRule): MirroredRule | undefined {
  return Object.values(RULES).find((r) => r.rule === rule.rule);
}

/** The CEL part of a rule, as it goes into the CRD (no function). */
export function cel(r: MirroredRule): CelRule {
  const out: CelRule = { rule: r.rule, message: r.message };
  if (r.fieldPath !== undefined) out.fieldPath = r.fieldPath;
  if (r.reason !== undefined) out.reason = r.reason;
  return out;
}
