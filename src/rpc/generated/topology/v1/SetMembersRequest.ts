// Original file: proto/topology/v1/control.proto


export interface SetMembersRequest {
  'members'?: (string)[];
}

export interface SetMembersRequest__Output {
  'members': (string)[];
}
