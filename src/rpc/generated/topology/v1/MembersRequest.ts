// Original file: proto/topology/v1/overlay.proto


export interface MembersRequest {
}

export interface MembersRequest__Output {
}
