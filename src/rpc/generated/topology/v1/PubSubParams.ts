// Original file: proto/topology/v1/control.proto


export interface PubSubParams {
  'lazyPushDelayMs'?: (number);
  'graftTimeoutMs'?: (number);
  'optimizationThreshold'?: (number);
  '_lazyPushDelayMs'?: "lazyPushDelayMs";
  '_graftTimeoutMs'?: "graftTimeoutMs";
  '_optimizationThreshold'?: "optimizationThreshold";
}

export interface PubSubParams__Output {
  'lazyPushDelayMs'?: (number);
  'graftTimeoutMs'?: (number);
  'optimizationThreshold'?: (number);
  '_lazyPushDelayMs'?: "lazyPushDelayMs";
  '_graftTimeoutMs'?: "graftTimeoutMs";
  '_optimizationThreshold'?: "optimizationThreshold";
}
