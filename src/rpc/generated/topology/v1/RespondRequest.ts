// Original file: proto/topology/v1/overlay.proto


export interface RespondRequest {
  'requestId'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
}

export interface RespondRequest__Output {
  'requestId': (string);
  'payload': (Buffer);
}
