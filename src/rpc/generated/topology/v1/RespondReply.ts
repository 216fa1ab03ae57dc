// Original file: proto/topology/v1/overlay.proto


export interface RespondReply {
}

export interface RespondReply__Output {
}
