// Original file: proto/topology/v1/control.proto

import type { MemberInfo as _topology_v1_MemberInfo, MemberInfo__Output as _topology_v1_MemberInfo__Output } from '../../topology/v1/MemberInfo.js';

export interface SetMembersRequest {
  'members'?: (string)[];
  'memberInfo'?: (_topology_v1_MemberInfo)[];
}

export interface SetMembersRequest__Output {
  'members': (string)[];
  'memberInfo': (_topology_v1_MemberInfo__Output)[];
}
