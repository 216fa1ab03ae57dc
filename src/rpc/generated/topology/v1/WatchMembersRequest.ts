// Original file: proto/topology/v1/overlay.proto


export interface WatchMembersRequest {
}

export interface WatchMembersRequest__Output {
}
