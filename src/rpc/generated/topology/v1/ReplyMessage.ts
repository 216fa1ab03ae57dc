// Original file: proto/topology/v1/overlay.proto


export interface ReplyMessage {
  'from'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'requestId'?: (string);
}

export interface ReplyMessage__Output {
  'from': (string);
  'payload': (Buffer);
  'requestId': (string);
}
