// Original file: proto/topology/v1/overlay.proto


export interface BroadcastRequest {
  'payload'?: (Buffer | Uint8Array | string);
  'topic'?: (string);
}

export interface BroadcastRequest__Output {
  'payload': (Buffer);
  'topic': (string);
}
