// Original file: proto/topology/v1/control.proto


export interface SetMembersReply {
  'count'?: (number);
}

export interface SetMembersReply__Output {
  'count': (number);
}
