// Original file: proto/topology/v1/overlay.proto

export const DeliveryKind = {
  DELIVERY_KIND_MESSAGE: 'DELIVERY_KIND_MESSAGE',
  DELIVERY_KIND_GAP: 'DELIVERY_KIND_GAP',
} as const;

export type DeliveryKind =
  | 'DELIVERY_KIND_MESSAGE'
  | 0
  | 'DELIVERY_KIND_GAP'
  | 1

export type DeliveryKind__Output = typeof DeliveryKind[keyof typeof DeliveryKind]
