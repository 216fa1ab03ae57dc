// Original file: proto/topology/v1/control.proto


export interface HyParViewParams {
  'activeViewSize'?: (number);
  'passiveViewSize'?: (number);
  'activeRandomWalkLength'?: (number);
  'passiveRandomWalkLength'?: (number);
  'shuffleIntervalMs'?: (number);
  'shuffleActive'?: (number);
  'shufflePassive'?: (number);
  '_activeViewSize'?: "activeViewSize";
  '_passiveViewSize'?: "passiveViewSize";
  '_activeRandomWalkLength'?: "activeRandomWalkLength";
  '_passiveRandomWalkLength'?: "passiveRandomWalkLength";
  '_shuffleIntervalMs'?: "shuffleIntervalMs";
  '_shuffleActive'?: "shuffleActive";
  '_shufflePassive'?: "shufflePassive";
}

export interface HyParViewParams__Output {
  'activeViewSize'?: (number);
  'passiveViewSize'?: (number);
  'activeRandomWalkLength'?: (number);
  'passiveRandomWalkLength'?: (number);
  'shuffleIntervalMs'?: (number);
  'shuffleActive'?: (number);
  'shufflePassive'?: (number);
  '_activeViewSize'?: "activeViewSize";
  '_passiveViewSize'?: "passiveViewSize";
  '_activeRandomWalkLength'?: "activeRandomWalkLength";
  '_passiveRandomWalkLength'?: "passiveRandomWalkLength";
  '_shuffleIntervalMs'?: "shuffleIntervalMs";
  '_shuffleActive'?: "shuffleActive";
  '_shufflePassive'?: "shufflePassive";
}
