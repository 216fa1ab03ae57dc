// Original file: proto/topology/v1/peer.proto

import type { Long } from '@grpc/proto-loader';

export interface AppMessage {
  'id'?: (string);
  'origin'?: (string);
  'to'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'sentAt'?: (number | string);
  'session'?: (string);
  'seq'?: (number | string | Long);
  'prevSentAt'?: (number | string);
  'topic'?: (string);
  'requestId'?: (string);
  'deadlineMs'?: (number | string);
  'ack'?: (boolean);
}

export interface AppMessage__Output {
  'id': (string);
  'origin': (string);
  'to': (string);
  'payload': (Buffer);
  'sentAt': (number);
  'session': (string);
  'seq': (number);
  'prevSentAt': (number);
  'topic': (string);
  'requestId': (string);
  'deadlineMs': (number);
  'ack': (boolean);
}
