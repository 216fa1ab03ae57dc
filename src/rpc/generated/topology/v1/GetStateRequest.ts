// Original file: proto/topology/v1/control.proto


export interface GetStateRequest {
  'viewsOnly'?: (boolean);
}

export interface GetStateRequest__Output {
  'viewsOnly': (boolean);
}
