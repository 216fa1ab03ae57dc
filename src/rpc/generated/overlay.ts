import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { BroadcastRequest as _topology_v1_BroadcastRequest, BroadcastRequest__Output as _topology_v1_BroadcastRequest__Output } from './topology/v1/BroadcastRequest.js';
import type { Delivery as _topology_v1_Delivery, Delivery__Output as _topology_v1_Delivery__Output } from './topology/v1/Delivery.js';
import type { Gap as _topology_v1_Gap, Gap__Output as _topology_v1_Gap__Output } from './topology/v1/Gap.js';
import type { GapRange as _topology_v1_GapRange, GapRange__Output as _topology_v1_GapRange__Output } from './topology/v1/GapRange.js';
import type { Member as _topology_v1_Member, Member__Output as _topology_v1_Member__Output } from './topology/v1/Member.js';
import type { MembersReply as _topology_v1_MembersReply, MembersReply__Output as _topology_v1_MembersReply__Output } from './topology/v1/MembersReply.js';
import type { MembersRequest as _topology_v1_MembersRequest, MembersRequest__Output as _topology_v1_MembersRequest__Output } from './topology/v1/MembersRequest.js';
import type { MembershipEvent as _topology_v1_MembershipEvent, MembershipEvent__Output as _topology_v1_MembershipEvent__Output } from './topology/v1/MembershipEvent.js';
import type { OverlayClient as _topology_v1_OverlayClient, OverlayDefinition as _topology_v1_OverlayDefinition } from './topology/v1/Overlay.js';
import type { QueryRequest as _topology_v1_QueryRequest, QueryRequest__Output as _topology_v1_QueryRequest__Output } from './topology/v1/QueryRequest.js';
import type { QueryResponse as _topology_v1_QueryResponse, QueryResponse__Output as _topology_v1_QueryResponse__Output } from './topology/v1/QueryResponse.js';
import type { ReplyMessage as _topology_v1_ReplyMessage, ReplyMessage__Output as _topology_v1_ReplyMessage__Output } from './topology/v1/ReplyMessage.js';
import type { RequestMessage as _topology_v1_RequestMessage, RequestMessage__Output as _topology_v1_RequestMessage__Output } from './topology/v1/RequestMessage.js';
import type { RespondReply as _topology_v1_RespondReply, RespondReply__Output as _topology_v1_RespondReply__Output } from './topology/v1/RespondReply.js';
import type { RespondRequest as _topology_v1_RespondRequest, RespondRequest__Output as _topology_v1_RespondRequest__Output } from './topology/v1/RespondRequest.js';
import type { SendReply as _topology_v1_SendReply, SendReply__Output as _topology_v1_SendReply__Output } from './topology/v1/SendReply.js';
import type { SendRequest as _topology_v1_SendRequest, SendRequest__Output as _topology_v1_SendRequest__Output } from './topology/v1/SendRequest.js';
import type { SubscribeRequest as _topology_v1_SubscribeRequest, SubscribeRequest__Output as _topology_v1_SubscribeRequest__Output } from './topology/v1/SubscribeRequest.js';
import type { WatchMembersRequest as _topology_v1_WatchMembersRequest, WatchMembersRequest__Output as _topology_v1_WatchMembersRequest__Output } from './topology/v1/WatchMembersRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  topology: {
    v1: {
      BroadcastRequest: MessageTypeDefinition<_topology_v1_BroadcastRequest, _topology_v1_BroadcastRequest__Output>
      Delivery: MessageTypeDefinition<_topology_v1_Delivery, _topology_v1_Delivery__Output>
      DeliveryKind: EnumTypeDefinition
      Gap: MessageTypeDefinition<_topology_v1_Gap, _topology_v1_Gap__Output>
      GapRange: MessageTypeDefinition<_topology_v1_GapRange, _topology_v1_GapRange__Output>
      GapReason: EnumTypeDefinition
      Member: MessageTypeDefinition<_topology_v1_Member, _topology_v1_Member__Output>
      MembersReply: MessageTypeDefinition<_topology_v1_MembersReply, _topology_v1_MembersReply__Output>
      MembersRequest: MessageTypeDefinition<_topology_v1_MembersRequest, _topology_v1_MembersRequest__Output>
      MembershipEvent: MessageTypeDefinition<_topology_v1_MembershipEvent, _topology_v1_MembershipEvent__Output>
      MembershipEventType: EnumTypeDefinition
      Overlay: SubtypeConstructor<typeof grpc.Client, _topology_v1_OverlayClient> & { service: _topology_v1_OverlayDefinition }
      QueryRequest: MessageTypeDefinition<_topology_v1_QueryRequest, _topology_v1_QueryRequest__Output>
      QueryResponse: MessageTypeDefinition<_topology_v1_QueryResponse, _topology_v1_QueryResponse__Output>
      ReplyMessage: MessageTypeDefinition<_topology_v1_ReplyMessage, _topology_v1_ReplyMessage__Output>
      RequestMessage: MessageTypeDefinition<_topology_v1_RequestMessage, _topology_v1_RequestMessage__Output>
      RespondReply: MessageTypeDefinition<_topology_v1_RespondReply, _topology_v1_RespondReply__Output>
      RespondRequest: MessageTypeDefinition<_topology_v1_RespondRequest, _topology_v1_RespondRequest__Output>
      SendReply: MessageTypeDefinition<_topology_v1_SendReply, _topology_v1_SendReply__Output>
      SendRequest: MessageTypeDefinition<_topology_v1_SendRequest, _topology_v1_SendRequest__Output>
      SubscribeRequest: MessageTypeDefinition<_topology_v1_SubscribeRequest, _topology_v1_SubscribeRequest__Output>
      WatchMembersRequest: MessageTypeDefinition<_topology_v1_WatchMembersRequest, _topology_v1_WatchMembersRequest__Output>
    }
  }
}

