// Original file: proto/topology/v1/overlay.proto

import type { Member as _topology_v1_Member, Member__Output as _topology_v1_Member__Output } from '../../topology/v1/Member.js';
import type { Long } from '@grpc/proto-loader';

export interface MembersReply {
  'self'?: (string);
  'members'?: (string)[];
  'epoch'?: (number | string | Long);
  'memberDetails'?: (_topology_v1_Member)[];
}

export interface MembersReply__Output {
  'self': (string);
  'members': (string)[];
  'epoch': (number);
  'memberDetails': (_topology_v1_Member__Output)[];
}
