// Original file: proto/topology/v1/control.proto


export interface GetStateRequest {
}

export interface GetStateRequest__Output {
}
