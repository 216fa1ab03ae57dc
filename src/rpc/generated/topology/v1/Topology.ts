// Original file: proto/topology/v1/control.proto

export const Topology = {
  TOPOLOGY_UNSPECIFIED: 'TOPOLOGY_UNSPECIFIED',
  FULL_MESH: 'FULL_MESH',
  HYPAR_VIEW: 'HYPAR_VIEW',
  CLIENT_SERVER: 'CLIENT_SERVER',
  PUB_SUB: 'PUB_SUB',
} as const;

export type Topology =
  | 'TOPOLOGY_UNSPECIFIED'
  | 0
  | 'FULL_MESH'
  | 1
  | 'HYPAR_VIEW'
  | 2
  | 'CLIENT_SERVER'
  | 3
  | 'PUB_SUB'
  | 4

export type Topology__Output = typeof Topology[keyof typeof Topology]
