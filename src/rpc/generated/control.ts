import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ClientServerParams as _topology_v1_ClientServerParams, ClientServerParams__Output as _topology_v1_ClientServerParams__Output } from './topology/v1/ClientServerParams.js';
import type { ControlClient as _topology_v1_ControlClient, ControlDefinition as _topology_v1_ControlDefinition } from './topology/v1/Control.js';
import type { EpochRequest as _topology_v1_EpochRequest, EpochRequest__Output as _topology_v1_EpochRequest__Output } from './topology/v1/EpochRequest.js';
import type { GetMetricsRequest as _topology_v1_GetMetricsRequest, GetMetricsRequest__Output as _topology_v1_GetMetricsRequest__Output } from './topology/v1/GetMetricsRequest.js';
import type { GetStateRequest as _topology_v1_GetStateRequest, GetStateRequest__Output as _topology_v1_GetStateRequest__Output } from './topology/v1/GetStateRequest.js';
import type { HyParViewParams as _topology_v1_HyParViewParams, HyParViewParams__Output as _topology_v1_HyParViewParams__Output } from './topology/v1/HyParViewParams.js';
import type { MemberInfo as _topology_v1_MemberInfo, MemberInfo__Output as _topology_v1_MemberInfo__Output } from './topology/v1/MemberInfo.js';
import type { NeighborMetrics as _topology_v1_NeighborMetrics, NeighborMetrics__Output as _topology_v1_NeighborMetrics__Output } from './topology/v1/NeighborMetrics.js';
import type { OverlayMetrics as _topology_v1_OverlayMetrics, OverlayMetrics__Output as _topology_v1_OverlayMetrics__Output } from './topology/v1/OverlayMetrics.js';
import type { OverlayParams as _topology_v1_OverlayParams, OverlayParams__Output as _topology_v1_OverlayParams__Output } from './topology/v1/OverlayParams.js';
import type { OverlayState as _topology_v1_OverlayState, OverlayState__Output as _topology_v1_OverlayState__Output } from './topology/v1/OverlayState.js';
import type { PrepareRequest as _topology_v1_PrepareRequest, PrepareRequest__Output as _topology_v1_PrepareRequest__Output } from './topology/v1/PrepareRequest.js';
import type { ProbeReply as _topology_v1_ProbeReply, ProbeReply__Output as _topology_v1_ProbeReply__Output } from './topology/v1/ProbeReply.js';
import type { ProbeRequest as _topology_v1_ProbeRequest, ProbeRequest__Output as _topology_v1_ProbeRequest__Output } from './topology/v1/ProbeRequest.js';
import type { ProbeResult as _topology_v1_ProbeResult, ProbeResult__Output as _topology_v1_ProbeResult__Output } from './topology/v1/ProbeResult.js';
import type { PubSubParams as _topology_v1_PubSubParams, PubSubParams__Output as _topology_v1_PubSubParams__Output } from './topology/v1/PubSubParams.js';
import type { SetMembersReply as _topology_v1_SetMembersReply, SetMembersReply__Output as _topology_v1_SetMembersReply__Output } from './topology/v1/SetMembersReply.js';
import type { SetMembersRequest as _topology_v1_SetMembersRequest, SetMembersRequest__Output as _topology_v1_SetMembersRequest__Output } from './topology/v1/SetMembersRequest.js';
import type { SidecarMetrics as _topology_v1_SidecarMetrics, SidecarMetrics__Output as _topology_v1_SidecarMetrics__Output } from './topology/v1/SidecarMetrics.js';
import type { SidecarState as _topology_v1_SidecarState, SidecarState__Output as _topology_v1_SidecarState__Output } from './topology/v1/SidecarState.js';
import type { SwitchReply as _topology_v1_SwitchReply, SwitchReply__Output as _topology_v1_SwitchReply__Output } from './topology/v1/SwitchReply.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  topology: {
    v1: {
      ClientServerParams: MessageTypeDefinition<_topology_v1_ClientServerParams, _topology_v1_ClientServerParams__Output>
      Control: SubtypeConstructor<typeof grpc.Client, _topology_v1_ControlClient> & { service: _topology_v1_ControlDefinition }
      EpochRequest: MessageTypeDefinition<_topology_v1_EpochRequest, _topology_v1_EpochRequest__Output>
      GetMetricsRequest: MessageTypeDefinition<_topology_v1_GetMetricsRequest, _topology_v1_GetMetricsRequest__Output>
      GetStateRequest: MessageTypeDefinition<_topology_v1_GetStateRequest, _topology_v1_GetStateRequest__Output>
      HyParViewParams: MessageTypeDefinition<_topology_v1_HyParViewParams, _topology_v1_HyParViewParams__Output>
      MemberInfo: MessageTypeDefinition<_topology_v1_MemberInfo, _topology_v1_MemberInfo__Output>
      NeighborMetrics: MessageTypeDefinition<_topology_v1_NeighborMetrics, _topology_v1_NeighborMetrics__Output>
      OverlayMetrics: MessageTypeDefinition<_topology_v1_OverlayMetrics, _topology_v1_OverlayMetrics__Output>
      OverlayParams: MessageTypeDefinition<_topology_v1_OverlayParams, _topology_v1_OverlayParams__Output>
      OverlayState: MessageTypeDefinition<_topology_v1_OverlayState, _topology_v1_OverlayState__Output>
      PrepareRequest: MessageTypeDefinition<_topology_v1_PrepareRequest, _topology_v1_PrepareRequest__Output>
      ProbeReply: MessageTypeDefinition<_topology_v1_ProbeReply, _topology_v1_ProbeReply__Output>
      ProbeRequest: MessageTypeDefinition<_topology_v1_ProbeRequest, _topology_v1_ProbeRequest__Output>
      ProbeResult: MessageTypeDefinition<_topology_v1_ProbeResult, _topology_v1_ProbeResult__Output>
      PubSubParams: MessageTypeDefinition<_topology_v1_PubSubParams, _topology_v1_PubSubParams__Output>
      SetMembersReply: MessageTypeDefinition<_topology_v1_SetMembersReply, _topology_v1_SetMembersReply__Output>
      SetMembersRequest: MessageTypeDefinition<_topology_v1_SetMembersRequest, _topology_v1_SetMembersRequest__Output>
      SidecarMetrics: MessageTypeDefinition<_topology_v1_SidecarMetrics, _topology_v1_SidecarMetrics__Output>
      SidecarState: MessageTypeDefinition<_topology_v1_SidecarState, _topology_v1_SidecarState__Output>
      SwitchReply: MessageTypeDefinition<_topology_v1_SwitchReply, _topology_v1_SwitchReply__Output>
      Topology: EnumTypeDefinition
    }
  }
}

