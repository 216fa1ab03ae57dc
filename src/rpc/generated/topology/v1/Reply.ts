// Original file: proto/topology/v1/peer.proto


export interface Reply {
  'requestId'?: (string);
  'status'?: (number);
  'detail'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
}

export interface Reply__Output {
  'requestId': (string);
  'status': (number);
  'detail': (string);
  'payload': (Buffer);
}
