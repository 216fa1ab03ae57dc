// Original file: proto/topology/v1/control.proto


export interface GetMetricsRequest {
}

export interface GetMetricsRequest__Output {
}
