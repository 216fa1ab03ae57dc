/**
 * Whom a member joins a new overlay through when the operator names no contacts: its parent in a
 * shallow tree laid over the operator's member list (see {@link defaultContacts}).
 */
import type { NodeId } from '../overlays/types.js';

/** Children per member in the bootstrap join tree of {@link defaultContacts}. */
export const CONTACT_FANOUT = 8;

/**
 * Bootstrap contacts when the operator gives none: this member's parent in a tree laid over the
 * operator's member list (member i joins through member ⌊(i−1)/8⌋; member 0 through member 1).
 * The join graph is then connected, so the new overlay cannot start as separate islands
 * (HyParView joins through a single contact, and eight members picking contacts at random formed
 * two islands in our fleet tests); no member takes more than nine joins at once (one contact
 * taking every join evicts most of them from its small active view); and the tree is shallow, so
 * few members are parents: a parent that dies before its children's joins complete leaves them
 * an island (a binary tree did, in our kill test), which only HyParView's own repair can merge.
 */
export function defaultContacts(self: NodeId, members: readonly NodeId[]): NodeId[] {
  const i = members.indexOf(self);
  const parent = i < 0 ? members[0] : i === 0 ? members[1] : members[Math.floor((i - 1) / CONTACT_FANOUT)];
  return parent === undefined || parent === self ? [] : [parent];
}
