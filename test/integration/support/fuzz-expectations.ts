/**
 * What a fuzz case may get back, and the judgement of what it got. Each generated case comes with
 * an expectation from the suite's oracles (addresses, sizes, epochs, auth): it must succeed, it
 * must be refused with one of a few codes (and why), or it may go either way. Two rules hold for
 * every case whatever its expectation: the status is OK or an allowed refusal with details, and a
 * refusal of bad input is counted by the sidecar.
 */
import * as grpc from '@grpc/grpc-js';
import { codeName, statusViolation, type RawOutcome } from './raw-grpc.js';

/**
 * The rule an expectation comes from, so that each property checks its own rules and reports its
 * own minimal counterexample (one property per rule family), instead of the first rule any case
 * breaks masking the others.
 */
export type Rule =
  /** Input that must get through (a Send to a member, a valid member list, GetState). */
  | 'accept'
  | 'undecodable'
  | 'size'
  | 'auth'
  /** Overlay.Send to something that is no other member. */
  | 'destination'
  /** An address in a Control list that is no host:port. */
  | 'address'
  | 'params'
  | 'topology'
  | 'epoch'
  /** Link metadata (`x-topology-from`, `x-topology-epoch`). */
  | 'metadata'
  /** A Broadcast.topic or Subscribe.topics entry that is no topic (App API v2; random bytes may decode into one). */
  | 'topic';

/** What the oracle expects of one case. */
export type Expectation =
  | { readonly kind: 'ok' }
  | { readonly kind: 'refuse'; readonly codes: ReadonlySet<grpc.status>; readonly why: string; readonly rules: ReadonlySet<Rule> }
  | { readonly kind: 'any'; readonly alsoAllowed?: ReadonlySet<grpc.status> };

/** Expects success (rule `accept`). */
export const OK: Expectation = { kind: 'ok' };
/** Expects nothing but the status rule. */
export const ANY: Expectation = { kind: 'any' };

/** Expects a refusal with one of `codes`, by `rule`, for the reason `why`. */
export function refuse(rule: Rule, why: string, ...codes: grpc.status[]): Expectation {
  return { kind: 'refuse', codes: new Set(codes), why, rules: new Set([rule]) };
}

/** Refusals that say "your input was bad": the sidecar must count each one (issue #13, item 1). */
export const COUNTED_REFUSALS: ReadonlySet<grpc.status> = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAUTHENTICATED,
]);

/**
 * Combines the refusals several oracles ask for (say, a Send whose destination is no member and
 * whose payload is too large): any of their codes will do. Undefined when none asks for one.
 */
export function anyRefusal(parts: readonly (Expectation | undefined)[]): Expectation | undefined {
  const codes = new Set<grpc.status>();
  const rules = new Set<Rule>();
  const why: string[] = [];
  for (const p of parts) {
    if (p?.kind !== 'refuse') continue;
    for (const c of p.codes) codes.add(c);
    for (const r of p.rules) rules.add(r);
    why.push(p.why);
  }
  return why.length === 0 ? undefined : { kind: 'refuse', codes, why: why.join('; '), rules };
}

/** How a case ended: a status, or (a stream) still open when the case was over. */
export type CaseOutcome = RawOutcome | 'open';

function describe(o: CaseOutcome): string {
  return o === 'open' ? 'a stream still open' : o.code === grpc.status.OK ? 'OK' : `${codeName(o.code)} (${JSON.stringify(o.details.slice(0, 200))})`;
}

/** Why `o` breaks the status rule, or undefined; `alsoAllowed` are codes the case may end with besides the allowed refusals (say, a deadline the case chose). */
export function statusRuleViolation(o: CaseOutcome, e: Expectation): string | undefined {
  if (o === 'open') return undefined;
  if (e.kind === 'any' && e.alsoAllowed?.has(o.code)) return undefined;
  return statusViolation(o);
}

/** Why `o` does not meet `e`, or undefined; only expectations from `rules` are checked. */
export function expectationViolation(o: CaseOutcome, e: Expectation, rules: ReadonlySet<Rule>): string | undefined {
  const okLike = o === 'open' || o.code === grpc.status.OK;
  if (e.kind === 'ok') return !rules.has('accept') || okLike ? undefined : `expected success, got ${describe(o)}`;
  if (e.kind === 'refuse') {
    if (![...e.rules].some((r) => rules.has(r))) return undefined;
    if (o !== 'open' && e.codes.has(o.code)) return undefined;
    return `expected ${[...e.codes].map(codeName).join(' or ')} (${e.why}), got ${describe(o)}`;
  }
  return undefined;
}

/** True when `o` is a refusal the sidecar must have counted. */
export function mustBeCounted(o: CaseOutcome): boolean {
  return o !== 'open' && COUNTED_REFUSALS.has(o.code);
}
