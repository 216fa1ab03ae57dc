// Original file: proto/topology/v1/overlay.proto


export interface QueryResponse {
  'from'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'requestId'?: (string);
}

export interface QueryResponse__Output {
  'from': (string);
  'payload': (Buffer);
  'requestId': (string);
}
