// Original file: proto/topology/v1/overlay.proto

import type { MembershipEventType as _topology_v1_MembershipEventType, MembershipEventType__Output as _topology_v1_MembershipEventType__Output } from '../../topology/v1/MembershipEventType.js';
import type { Member as _topology_v1_Member, Member__Output as _topology_v1_Member__Output } from '../../topology/v1/Member.js';

export interface MembershipEvent {
  'type'?: (_topology_v1_MembershipEventType);
  'member'?: (_topology_v1_Member | null);
  'atMs'?: (number | string);
}

export interface MembershipEvent__Output {
  'type': (_topology_v1_MembershipEventType__Output);
  'member': (_topology_v1_Member__Output | null);
  'atMs': (number);
}
