import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AppMessage as _topology_v1_AppMessage, AppMessage__Output as _topology_v1_AppMessage__Output } from './topology/v1/AppMessage.js';
import type { Goodbye as _topology_v1_Goodbye, Goodbye__Output as _topology_v1_Goodbye__Output } from './topology/v1/Goodbye.js';
import type { Hello as _topology_v1_Hello, Hello__Output as _topology_v1_Hello__Output } from './topology/v1/Hello.js';
import type { OverlayMessage as _topology_v1_OverlayMessage, OverlayMessage__Output as _topology_v1_OverlayMessage__Output } from './topology/v1/OverlayMessage.js';
import type { PeerClient as _topology_v1_PeerClient, PeerDefinition as _topology_v1_PeerDefinition } from './topology/v1/Peer.js';
import type { PeerFrame as _topology_v1_PeerFrame, PeerFrame__Output as _topology_v1_PeerFrame__Output } from './topology/v1/PeerFrame.js';
import type { Ping as _topology_v1_Ping, Ping__Output as _topology_v1_Ping__Output } from './topology/v1/Ping.js';
import type { Pong as _topology_v1_Pong, Pong__Output as _topology_v1_Pong__Output } from './topology/v1/Pong.js';
import type { Reply as _topology_v1_Reply, Reply__Output as _topology_v1_Reply__Output } from './topology/v1/Reply.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  topology: {
    v1: {
      AppMessage: MessageTypeDefinition<_topology_v1_AppMessage, _topology_v1_AppMessage__Output>
      Goodbye: MessageTypeDefinition<_topology_v1_Goodbye, _topology_v1_Goodbye__Output>
      Hello: MessageTypeDefinition<_topology_v1_Hello, _topology_v1_Hello__Output>
      OverlayMessage: MessageTypeDefinition<_topology_v1_OverlayMessage, _topology_v1_OverlayMessage__Output>
      Peer: SubtypeConstructor<typeof grpc.Client, _topology_v1_PeerClient> & { service: _topology_v1_PeerDefinition }
      PeerFrame: MessageTypeDefinition<_topology_v1_PeerFrame, _topology_v1_PeerFrame__Output>
      Ping: MessageTypeDefinition<_topology_v1_Ping, _topology_v1_Ping__Output>
      Pong: MessageTypeDefinition<_topology_v1_Pong, _topology_v1_Pong__Output>
      Reply: MessageTypeDefinition<_topology_v1_Reply, _topology_v1_Reply__Output>
    }
  }
}

