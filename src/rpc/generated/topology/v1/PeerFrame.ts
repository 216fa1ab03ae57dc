// Original file: proto/topology/v1/peer.proto

import type { Hello as _topology_v1_Hello, Hello__Output as _topology_v1_Hello__Output } from '../../topology/v1/Hello.js';
import type { OverlayMessage as _topology_v1_OverlayMessage, OverlayMessage__Output as _topology_v1_OverlayMessage__Output } from '../../topology/v1/OverlayMessage.js';
import type { Ping as _topology_v1_Ping, Ping__Output as _topology_v1_Ping__Output } from '../../topology/v1/Ping.js';
import type { Pong as _topology_v1_Pong, Pong__Output as _topology_v1_Pong__Output } from '../../topology/v1/Pong.js';
import type { Goodbye as _topology_v1_Goodbye, Goodbye__Output as _topology_v1_Goodbye__Output } from '../../topology/v1/Goodbye.js';
import type { Long } from '@grpc/proto-loader';

export interface PeerFrame {
  'epoch'?: (number | string | Long);
  'hello'?: (_topology_v1_Hello | null);
  'message'?: (_topology_v1_OverlayMessage | null);
  'ping'?: (_topology_v1_Ping | null);
  'pong'?: (_topology_v1_Pong | null);
  'goodbye'?: (_topology_v1_Goodbye | null);
  'body'?: "hello"|"message"|"ping"|"pong"|"goodbye";
}

export interface PeerFrame__Output {
  'epoch': (number);
  'hello'?: (_topology_v1_Hello__Output | null);
  'message'?: (_topology_v1_OverlayMessage__Output | null);
  'ping'?: (_topology_v1_Ping__Output | null);
  'pong'?: (_topology_v1_Pong__Output | null);
  'goodbye'?: (_topology_v1_Goodbye__Output | null);
  'body'?: "hello"|"message"|"ping"|"pong"|"goodbye";
}
