// Original file: proto/topology/v1/overlay.proto


export interface SubscribeRequest {
}

export interface SubscribeRequest__Output {
}
