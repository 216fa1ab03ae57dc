/**
 * The membership as the app sees it (App API v2: `Members.member_details`, `WatchMembers`): the
 * operator's member list with each member's pod and tags, and the changes between one list and
 * the next. Pure: no IO, no clock.
 *
 * Why its own list and not an overlay's view: a switch of topology is not a membership change.
 * The operator's list (SetMembers, or Prepare's members) names the same members whatever overlay
 * connects them, so a watcher across a live switch sees no LEFT or JOINED; an overlay's view
 * (a HyParView partial view, say) would.
 *
 * Details come with SetMembers (`member_info`) and are kept by address: a list without details
 * (Prepare's, or an operator that predates them) keeps the details of the members it names. This
 * member's own tags (its `--tag` flags) always win over what it was pushed, as the operator's
 * merge does, so its own entry is right before the operator's first push.
 */
import type { NodeId } from '../overlays/types.js';
import { sameTags, type MemberDetails, type Tags } from '../rpc/member-tags.js';

/** A change of the membership. */
export interface MembershipChange {
  readonly kind: 'joined' | 'left' | 'updated';
  /** The member (its last known details, for `left`). */
  readonly member: MemberDetails;
}

/** See the file comment. */
export class MembershipView {
  private order: NodeId[] = [];
  private readonly details = new Map<NodeId, MemberDetails>();

  constructor(
    private readonly self: NodeId,
    private readonly selfPod: string,
    private readonly ownTags: Tags,
  ) {}

  /**
   * Takes a new member list (`members`; empty lists are ignored: no operator pushes an empty one
   * on purpose, and a sidecar before its first push knows nobody) and, when given, the details
   * of its members (`info`: replaces every member's details; a member it does not list has no
   * pod and no tags). Returns the changes, left first, then joined and updated in list order.
   */
  update(members: readonly NodeId[], info?: readonly MemberDetails[]): MembershipChange[] {
    if (members.length === 0) return [];
    const given = info === undefined ? undefined : new Map(info.map((i) => [i.address, i]));
    const next = new Map<NodeId, MemberDetails>();
    for (const address of members) {
      if (next.has(address)) continue;
      const pushed = given !== undefined ? given.get(address) : this.details.get(address);
      next.set(address, this.withOwn(address, pushed));
    }
    const changes: MembershipChange[] = [];
    for (const address of this.order) {
      if (!next.has(address)) changes.push({ kind: 'left', member: this.details.get(address) as MemberDetails });
    }
    for (const [address, d] of next) {
      const before = this.details.get(address);
      if (before === undefined) changes.push({ kind: 'joined', member: d });
      else if (before.pod !== d.pod || !sameTags(before.tags, d.tags)) changes.push({ kind: 'updated', member: d });
    }
    this.order = [...next.keys()];
    this.details.clear();
    for (const [a, d] of next) this.details.set(a, d);
    return changes;
  }

  /** The members, in the order of the last list. */
  list(): MemberDetails[] {
    return this.order.map((a) => this.details.get(a) as MemberDetails);
  }

  /** The details of `address` (a member or not: an overlay may know one the operator's list does not name yet). */
  of(address: NodeId): MemberDetails {
    return this.details.get(address) ?? this.withOwn(address, undefined);
  }

  /** Whether `address` is in the last list. */
  has(address: NodeId): boolean {
    return this.details.has(address);
  }

  private withOwn(address: NodeId, pushed: MemberDetails | undefined): MemberDetails {
    if (address !== this.self) return pushed ?? { address, pod: '', tags: {} };
    return { address, pod: pushed?.pod || this.selfPod, tags: { ...(pushed?.tags ?? {}), ...this.ownTags } };
  }
}
