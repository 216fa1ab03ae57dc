/**
 * The OpenAPI v3 schema of ClusterTopology: the single source of truth of the API.
 *
 * `deploy/crds/topology.foundation.dev_clustertopologies.yaml` is generated from it
 * (`npm run gen:crd`), `docs/crd-reference.md` is generated from that YAML (`npm run docs:crd`), and
 * {@link applyDefaults} / {@link validateSpec} walk this same object, so the API server, the CLI and
 * the operator default and validate identically. Unit tests fail when a generated file is stale.
 *
 * Conventions: every property has a description (for `kubectl explain`); defaults come from
 * `defaults.ts`; every list has `maxItems` so CEL cost estimates stay bounded; conditions are a
 * list-map keyed by `type` (metav1.Condition, as kubebuilder generates it).
 */
import { OVERLAY_KINDS } from '../overlays/types.js';
import { AUTO_SWITCH_DEFAULTS, MEMBER_READINESS_DEFAULTS, OVERLAY_DEFAULTS, ROLLOUT_DEFAULTS, SIDECAR_DEFAULTS, SPEC_DEFAULTS } from './defaults.js';
import type { JsonValue, SchemaProps } from './schema-types.js';
import { CONTROL_RESULTS, MODES, PAUSE_STEP, PHASES, RESULTS, SELECTOR_OPERATORS, STAGES, TRIGGERS, WORKLOADS } from './types.js';
import { ANNOTATIONS } from './constants.js';
import { CONTROL_ACTIONS, MAX_CONTROL_VALUE_LENGTH } from './control-request.js';
import { MAX_LABEL_VALUE_LENGTH } from './label-syntax.js';
import { RULES, cel } from './validation-rules.js';

/** Most label keys in `spec.memberTags`: a member carries at most MAX_TAGS (64) tags, flags included (src/rpc/member-tags.ts). Wild guess: half of them. */
export const MAX_MEMBER_TAGS = 32;
/** Maximum length of `status.history` and of `spec.historyLimit`. */
export const MAX_HISTORY = 100;

interface NumOpts {
  default?: number;
  minimum?: number;
  maximum?: number;
}

function integer(description: string, opts: NumOpts = {}, format: 'int32' | 'int64' = 'int32'): SchemaProps {
  return { type: 'integer', format, description, ...opts };
}
function number(description: string, opts: NumOpts = {}): SchemaProps {
  return { type: 'number', description, ...opts };
}
function string(description: string, extra: Partial<SchemaProps> = {}): SchemaProps {
  return { type: 'string', description, ...extra };
}
function enumOf(description: string, values: readonly string[], dflt?: string): SchemaProps {
  const s: SchemaProps = { type: 'string', description, enum: [...values] };
  if (dflt !== undefined) s.default = dflt;
  return s;
}
function time(description: string): SchemaProps {
  return { type: 'string', format: 'date-time', description };
}
function object(description: string, properties: Record<string, SchemaProps>, extra: Partial<SchemaProps> = {}): SchemaProps {
  return { type: 'object', description, properties, ...extra };
}
/** A nested settings block that defaults to `{}`, so the API server fills its own defaults in. */
function settings(description: string, properties: Record<string, SchemaProps>, extra: Partial<SchemaProps> = {}): SchemaProps {
  return object(description, properties, { default: {} as JsonValue, ...extra });
}

/**
 * metav1.LabelSelector, with our rules: it must require a label the pods carry (not empty, not
 * only NotIn/DoesNotExist), and its keys and values must be valid label syntax (label-syntax.ts),
 * as the API server checks them on Pods, so a typo is refused instead of silently selecting nothing.
 */
function labelSelector(description: string): SchemaProps {
  const labelValue = (d: string): SchemaProps => string(d, { maxLength: MAX_LABEL_VALUE_LENGTH, 'x-kubernetes-validations': [cel(RULES.labelValueValid)] });
  return object(
    description,
    {
      matchLabels: {
        type: 'object',
        description: 'Labels a pod must carry, all of them (key: value).',
        additionalProperties: labelValue('Label value.'),
        maxProperties: 64,
        'x-kubernetes-validations': [cel(RULES.matchLabelsKeysValid)],
      },
      matchExpressions: {
        type: 'array',
        description: 'Set-based requirements a pod must satisfy, all of them.',
        maxItems: 32,
        items: object(
          'One requirement: key, operator and values.',
          {
            key: string('Label key the requirement applies to.', {
              maxLength: 317,
              minLength: 1,
              'x-kubernetes-validations': [cel(RULES.labelKeyValid)],
            }),
            operator: enumOf('How the label relates to the values.', SELECTOR_OPERATORS),
            values: {
              type: 'array',
              description: 'Values for In and NotIn; must be empty for Exists and DoesNotExist.',
              maxItems: 64,
              items: labelValue('A label value.'),
            },
          },
          { required: ['key', 'operator'], 'x-kubernetes-validations': [cel(RULES.selectorValuesMatchOperator)] },
        ),
      },
    },
    { 'x-kubernetes-map-type': 'atomic', 'x-kubernetes-validations': [cel(RULES.selectorNamesPods)] },
  );
}

const overlayKinds: readonly string[] = OVERLAY_KINDS;
const hp = OVERLAY_DEFAULTS.hyParView;
const ps = OVERLAY_DEFAULTS.pubSub;
const as = AUTO_SWITCH_DEFAULTS;
const th = AUTO_SWITCH_DEFAULTS.thresholds;
const ro = ROLLOUT_DEFAULTS;

const specSchema: SchemaProps = object(
  'Desired overlay network of the member pods and how the operator may change it.',
  {
    selector: labelSelector('Member pods, in this namespace: their sidecars form the overlay. Must not be empty.'),
    mode: enumOf(
      'Manual: spec.topology is the target and only a spec edit switches. Auto: the rule engine chooses from size, metrics and workload (spec.topology is then only the initial topology).',
      MODES,
      SPEC_DEFAULTS.mode,
    ),
    topology: enumOf('Overlay to run. Required in Manual mode; in Auto mode the initial overlay (when absent, chosen by member count).', overlayKinds),
    workload: enumOf(
      'Traffic profile the rule engine optimizes for in Auto mode (see the workload table in docs/crd-reference.md). A change is acted on at once, without waiting for the cooldown.',
      WORKLOADS,
      SPEC_DEFAULTS.workload,
    ),
    paused: {
      type: 'boolean',
      description: 'Freeze switching: no rollout step is taken and no automatic switch starts. Joining pods still get the committed overlay.',
      default: SPEC_DEFAULTS.paused,
    },
    overlays: settings('Per-overlay parameters, all defaulted.', {
      hyParView: settings(
        'HyParView membership (Leitão et al. 2007): a small active view of open links and a larger passive view of backups.',
        {
          activeViewSize: integer("Links each member keeps open (the paper's fanout + 1).", { default: hp.activeViewSize, minimum: 1, maximum: 64 }),
          passiveViewSize: integer('Backup peers each member remembers. At least activeViewSize.', { default: hp.passiveViewSize, minimum: 1, maximum: 1024 }),
          activeRandomWalkLength: integer('Hops a forward-join travels (ARWL).', { default: hp.activeRandomWalkLength, minimum: 1, maximum: 32 }),
          passiveRandomWalkLength: integer('Remaining hops at which a forward-join also lands in a passive view (PRWL). At most activeRandomWalkLength.', {
            default: hp.passiveRandomWalkLength,
            minimum: 0,
            maximum: 32,
          }),
          shuffleIntervalSeconds: integer('Seconds between passive-view shuffles.', { default: hp.shuffleIntervalSeconds, minimum: 1, maximum: 3600 }),
          shuffleActive: integer('Active-view entries sent in a shuffle (ka). At most activeViewSize.', { default: hp.shuffleActive, minimum: 0, maximum: 64 }),
          shufflePassive: integer('Passive-view entries sent in a shuffle (kp). At most passiveViewSize.', {
            default: hp.shufflePassive,
            minimum: 0,
            maximum: 1024,
          }),
        },
        {
          'x-kubernetes-validations': [
            cel(RULES.passiveViewAtLeastActive),
            cel(RULES.passiveWalkWithinActiveWalk),
            cel(RULES.shuffleActiveWithinView),
            cel(RULES.shufflePassiveWithinView),
          ],
        },
      ),
      clientServer: settings('ClientServer: clients link only to the servers; servers link to each other.', {
        serverSelector: labelSelector('Member pods that act as servers. When absent, the first `servers` members by name serve.'),
        servers: integer('Number of servers when serverSelector is absent (the first N members by name). 0 requires serverSelector.', {
          default: OVERLAY_DEFAULTS.clientServer.servers,
          minimum: 0,
          maximum: 1000,
        }),
      }),
      pubSub: settings(
        'PubSub: a Plumtree epidemic broadcast tree (Leitão et al. 2007) over HyParView: eager push on tree links, lazy IHAVE elsewhere.',
        {
          lazyPushDelayMs: integer('Milliseconds IHAVE announcements are batched before the lazy push.', {
            default: ps.lazyPushDelayMs,
            minimum: 0,
            maximum: 10000,
          }),
          graftTimeoutMs: integer('Milliseconds to wait for a message announced by IHAVE before GRAFTing its sender. Greater than lazyPushDelayMs.', {
            default: ps.graftTimeoutMs,
            minimum: 1,
            maximum: 60000,
          }),
          optimizationThreshold: integer(
            'Mean hop difference (over the IHAVEs seen on a link pair) from which a lazy link replaces an eager one: the tree optimization of Plumtree. 1 means any lazy path that is shorter on average.',
            { default: ps.optimizationThreshold, minimum: 1, maximum: 100 },
          ),
        },
        { 'x-kubernetes-validations': [cel(RULES.graftAfterLazyPush)] },
      ),
    }),
    autoSwitch: settings('Automatic switching in Auto mode (seed §4): evaluation loop, cooldown and rule thresholds.', {
      cooldownSeconds: integer(
        'Seconds after the end of a switch before an automatic (metric-driven) switch may start. Manual and workload switches ignore it.',
        { default: as.cooldownSeconds, minimum: 0, maximum: 86400 },
      ),
      evaluationIntervalSeconds: integer('Seconds between evaluations of the rules.', { default: as.evaluationIntervalSeconds, minimum: 5, maximum: 3600 }),
      sampleSize: integer('Above this many members, metrics are sampled from this many members (chosen deterministically) instead of all.', {
        default: as.sampleSize,
        minimum: 1,
        maximum: 10000,
      }),
      latencyDegradationFactor: number('Latency also counts as high when p99 exceeds this factor times p50 (a heavy multi-hop tail).', {
        default: as.latencyDegradationFactor,
        minimum: 1,
        maximum: 100,
      }),
      thresholds: settings(
        'Thresholds of the rules. smallClusterMaxNodes < largeClusterMinNodes <= clientServerMinNodes.',
        {
          smallClusterMaxNodes: integer(
            'Below this member count a full mesh is preferred; HyParView falls back to it below this count minus hysteresisPercent when latency or connectivity is poor.',
            { default: th.smallClusterMaxNodes, minimum: 1, maximum: 100000 },
          ),
          largeClusterMinNodes: integer('Above this member count a full mesh moves to HyParView.', {
            default: th.largeClusterMinNodes,
            minimum: 2,
            maximum: 100000,
          }),
          clientServerMinNodes: integer(
            'Above this member count ClientServer is chosen when bandwidth or hop count is too high (and servers can be designated).',
            { default: th.clientServerMinNodes, minimum: 2, maximum: 1000000 },
          ),
          maxLatencyMs: integer('p99 delivery latency (ms) above which latency counts as high.', { default: th.maxLatencyMs, minimum: 1, maximum: 600000 }),
          minConnectivity: number(
            'Connectivity score (share of ready members in the largest connected component, 0..1) below which connectivity counts as low.',
            { default: th.minConnectivity, minimum: 0, maximum: 1 },
          ),
          maxPartitionsPerHour: integer('Partition events per hour above which a full mesh counts as unstable.', {
            default: th.maxPartitionsPerHour,
            minimum: 0,
            maximum: 100000,
          }),
          maxBytesPerSecondPerNode: integer(
            'Bytes per second per member above which bandwidth counts as critical.',
            { default: th.maxBytesPerSecondPerNode, minimum: 1 },
            'int64',
          ),
          maxHops: integer('Mean overlay hops of a broadcast above which the hop count counts as too high.', {
            default: th.maxHops,
            minimum: 1,
            maximum: 1000,
          }),
          maxConnectionsPerNode: integer('Open links per member above which the connection load counts as high.', {
            default: th.maxConnectionsPerNode,
            minimum: 1,
            maximum: 100000,
          }),
          maxQueueLength: integer('Longest send queue (messages) above which a member counts as congested.', {
            default: th.maxQueueLength,
            minimum: 1,
            maximum: 10000000,
          }),
          hysteresisPercent: integer('A size threshold crossed upwards is crossed back only this many percent below it, so the topology does not flap.', {
            default: th.hysteresisPercent,
            minimum: 0,
            maximum: 50,
          }),
        },
        { 'x-kubernetes-validations': [cel(RULES.smallBelowLarge), cel(RULES.largeWithinClientServer)] },
      ),
    }),
    rollout: settings(
      'The phased switch: prepare the new overlay beside the old one, move members over in steps with a health window each, then commit.',
      {
        steps: {
          type: 'array',
          description: `Percentages of ready members routing over the new overlay, one step at a time; strictly increasing, each 1..100, the last one 100. Members are taken in name order. An item "${PAUSE_STEP}" is a manual gate (Argo Rollouts' pause step): once the step before it is verified (or the new overlay prepared, when it comes first), the switch waits, phase Paused reason AwaitingPromotion, until a promote request (annotation ${ANNOTATIONS.control}: action=promote, or kubectl topology promote); after the last percentage it holds the commit.`,
          default: [...ro.steps],
          minItems: 1,
          maxItems: 10,
          items: {
            description: `Percentage of ready members routing over the new overlay at this step (1..100), or "${PAUSE_STEP}": wait for a promote request.`,
            'x-kubernetes-int-or-string': true,
            anyOf: [{ type: 'integer' }, { type: 'string' }],
            'x-kubernetes-validations': [cel(RULES.stepIsPercentOrPause)],
          },
          'x-kubernetes-list-type': 'atomic',
          'x-kubernetes-validations': [cel(RULES.stepsIncreasing), cel(RULES.stepsEndAt100)],
        },
        stepVerificationSeconds: integer(
          'Health window of each routing step: seconds the new overlay must stay connected, deliver every probe and keep latency within bounds (Preparing has none: no traffic uses the new overlay yet; one verification decides).',
          { default: ro.stepVerificationSeconds, minimum: 1, maximum: 3600 },
        ),
        progressDeadlineSeconds: integer(
          'Seconds a stage (prepare, a step, commit) may take before it counts as failed. Greater than stepVerificationSeconds.',
          { default: ro.progressDeadlineSeconds, minimum: 2, maximum: 86400 },
        ),
        autoRollback: {
          type: 'boolean',
          description:
            'On a failed step or a missed deadline, route everyone back to the old overlay and drop the new one. When false the switch stops where it failed (Stalled) until the spec changes.',
          default: ro.autoRollback,
        },
        maxLatencyFactor: number("A step fails when the new overlay's p99 latency exceeds this factor times the p99 measured before the switch.", {
          default: ro.maxLatencyFactor,
          minimum: 1,
          maximum: 100,
        }),
      },
      { 'x-kubernetes-validations': [cel(RULES.deadlineAfterVerification)] },
    ),
    sidecar: settings('How the operator reaches the member sidecars.', {
      port: integer('Control/Peer gRPC port of the sidecars. The pod annotation topology.foundation.dev/sidecar-port overrides it per pod.', {
        default: SIDECAR_DEFAULTS.port,
        minimum: 1,
        maximum: 65535,
      }),
      tokenSecretRef: object(
        'Shared-token mode: a Secret (in this namespace) of type topology.foundation.dev/sidecar-token whose token the members use for Peer AND Control calls (weaker: any member can drive its peers). The operator reads it by name and reports a missing Secret or key, or another type, as Stalled, reason SidecarTokenUnavailable. Absent (recommended): the operator creates <name>-sidecar-credentials with a Peer token and the public key of a Control key pair only it holds; it signs every Control call (docs/security.md).',
        {
          name: string('Name of the Secret.', { minLength: 1, maxLength: 253 }),
          key: string('Key inside the Secret.', { default: SIDECAR_DEFAULTS.tokenKey, minLength: 1, maxLength: 253 }),
        },
        { required: ['name'] },
      ),
    }),
    memberReadiness: settings(
      'How pod readiness maps to overlay membership. A pod joins the overlay once it is Ready and its sidecar answers; it leaves once its sidecar stops answering, or once it has been NotReady for longer than notReadyGraceSeconds — a readiness probe that flaps on a loaded node moves no member (like an EndpointSlice endpoint that stays serving while it terminates).',
      {
        notReadyGraceSeconds: integer(
          'Seconds a member whose pod turned NotReady (Ready condition False since its lastTransitionTime) stays in the overlay while its sidecar still answers Control calls and runs the current epoch. 0: it leaves at once.',
          { default: MEMBER_READINESS_DEFAULTS.notReadyGraceSeconds, minimum: 0, maximum: 3600 },
        ),
      },
    ),
    historyLimit: integer('Number of switches kept in status.history (oldest dropped first).', {
      default: SPEC_DEFAULTS.historyLimit,
      minimum: 1,
      maximum: MAX_HISTORY,
    }),
    memberTags: {
      type: 'array',
      description:
        "Pod label keys whose values each member carries as tags, which apps see in the Overlay API's Members and WatchMembers (docs/app-api.md) and filter Query on. A member sidecar's own --tag flag wins over a label of the same key; a pod without the label has no such tag.",
      default: [...SPEC_DEFAULTS.memberTags],
      maxItems: MAX_MEMBER_TAGS,
      items: string('A pod label key.', { minLength: 1, maxLength: 317, 'x-kubernetes-validations': [cel(RULES.labelKeyValid)] }),
      'x-kubernetes-list-type': 'set',
    },
  },
  {
    required: ['selector'],
    'x-kubernetes-validations': [cel(RULES.manualNeedsTopology), cel(RULES.clientServerNeedsServers)],
  },
);

const topologyEnum = (d: string): SchemaProps => enumOf(d, overlayKinds);

/** metav1.Condition, as kubebuilder renders it. */
const conditionSchema: SchemaProps = object(
  'One aspect of the current state (metav1.Condition).',
  {
    type: string('Type of the condition: Ready, Reconciling or Stalled (kstatus).', {
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: enumOf('Whether the condition holds.', ['True', 'False', 'Unknown']),
    observedGeneration: integer('metadata.generation the condition was computed from.', { minimum: 0 }, 'int64'),
    lastTransitionTime: time('When status last changed.'),
    reason: string('Machine-readable UpperCamelCase cause.', { minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
    message: string('Human-readable detail.', { maxLength: 32768 }),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

const statusSchema: SchemaProps = object('Observed state, written by the operator.', {
  observedGeneration: integer('metadata.generation of the spec this status reflects.', {}, 'int64'),
  phase: enumOf(
    "Summary: Pending (selected pods, but no overlay on them yet), Ready (the overlay runs on every ready member, or no pod matches spec.selector: reason NoMembers), Progressing (a switch or joining members in flight), Verifying (a step's health window), RollingBack, Paused, Degraded (serving, but not as the spec asks), Failed (a switch failed with autoRollback false).",
    PHASES,
  ),
  currentTopology: topologyEnum('Overlay committed on the members (application traffic uses it unless routed to the target).'),
  targetTopology: topologyEnum('Overlay a switch in flight moves to; absent when none is in flight.'),
  epoch: integer('Epoch of the committed overlay; each switch attempt stages a higher one.', { minimum: 0 }, 'int64'),
  members: object('Member pod counts.', {
    total: integer('Pods the selector matches.', { minimum: 0 }),
    ready: integer('Matched pods that are ready and have an address.', { minimum: 0 }),
    onTarget: integer('Ready members routing over the target epoch (the committed one when no switch is in flight).', { minimum: 0 }),
  }),
  rollout: object('The switch in flight, or the most recent one.', {
    stage: enumOf('Preparing, Routing, Committing, RollingBack, Failed (in flight); Succeeded, RolledBack, Superseded (finished).', STAGES),
    from: topologyEnum('Overlay the switch started from (absent for the first overlay).'),
    to: topologyEnum('Overlay the switch moves to.'),
    epoch: integer('Epoch staged for the new overlay.', { minimum: 0 }, 'int64'),
    trigger: enumOf('What started the switch.', TRIGGERS),
    generation: integer('metadata.generation that started the switch; a failed switch is retried only after the spec changes.', {}, 'int64'),
    stepIndex: integer('0 while preparing; i (1-based) while at spec.rollout.steps[i-1].', { minimum: 0 }),
    stepPercent: integer('Percentage of ready members routing over the new overlay at this step.', { minimum: 0, maximum: 100 }),
    startedAt: time('When the switch started.'),
    stepStartedAt: time('When the current stage or step started (its progress deadline counts from here).'),
    verificationStartedAt: time('When every member acknowledged the current step (its health window counts from here).'),
    finishedAt: time('When the switch finished.'),
    baselineLatencyP99Ms: number('p99 latency of the old overlay when the switch started: the yardstick of maxLatencyFactor.', { minimum: 0 }),
    reason: string('Why the switch started; once it failed, was rolled back or was superseded, why that happened.', { maxLength: 1024 }),
    message: string('Human-readable progress.', { maxLength: 1024 }),
    gateStep: integer(
      `1-based index in spec.rollout.steps of the gate ("${PAUSE_STEP}") the switch waits at for a promote request; absent when it waits at none.`,
      {
        minimum: 1,
      },
    ),
    promotedStep: integer('1-based index in spec.rollout.steps of the last gate a promote request passed in this switch.', { minimum: 0 }),
  }),
  metrics: object('Overlay health sampled from the sidecars (seed §5).', {
    nodeCount: integer('Ready members.', { minimum: 0 }),
    latencyP50Ms: number('Median delivery latency (ms).', { minimum: 0 }),
    latencyP99Ms: number('99th percentile delivery latency (ms).', { minimum: 0 }),
    connectivityScore: number('Share of ready members in the largest connected component of the overlay (0..1).', { minimum: 0, maximum: 1 }),
    partitionCount: integer('Partition events in the last hour.', { minimum: 0 }),
    connectionsPerNode: number('Mean open links per member.', { minimum: 0 }),
    bytesPerSecond: number('Mean bytes per second sent per member.', { minimum: 0 }),
    maxQueueLength: integer('Longest send queue seen (messages).', { minimum: 0 }, 'int64'),
    hops: number('Mean overlay hops of a probe broadcast.', { minimum: 0 }),
    sampledAt: time('When the metrics were sampled.'),
  }),
  recommendation: object("What the rule engine would choose now (the seed's analyze_performance).", {
    topology: topologyEnum('Recommended overlay.'),
    trigger: enumOf('Auto (metrics and size) or Workload (spec.workload changed since the previous evaluation; no cooldown).', TRIGGERS),
    workload: enumOf('spec.workload the recommendation was computed for.', WORKLOADS),
    reasons: { type: 'array', description: 'Why, citing the numbers.', maxItems: 16, items: string('One reason.', { maxLength: 1024 }) },
  }),
  lastSwitchTime: time('When the last switch attempt ended (committed or rolled back); the cooldown counts from here.'),
  lastEvaluationTime: time('When the rules were last evaluated.'),
  history: {
    type: 'array',
    description: 'Finished switches, oldest first; at most spec.historyLimit entries.',
    maxItems: MAX_HISTORY,
    items: object(
      'One finished switch.',
      {
        time: time('When it finished.'),
        from: topologyEnum('Overlay before (absent for the first overlay).'),
        to: topologyEnum('Overlay the switch moved, or tried to move, to.'),
        trigger: enumOf('What started it; Rollback: the user set spec.topology back while it was in flight.', TRIGGERS),
        result: enumOf('How it ended.', RESULTS),
        reason: string('Why it started and how it ended.', { maxLength: 1024 }),
        durationSeconds: integer('Seconds from start to end.', { minimum: 0 }, 'int64'),
        epoch: integer('Epoch staged for it.', { minimum: 0 }, 'int64'),
      },
      { required: ['time', 'to', 'trigger', 'result'] },
    ),
  },
  lastControlRequest: object(
    `The control request (annotation ${ANNOTATIONS.control}) consumed last. A value of the annotation equal to this value is not acted on again; write a new one (a new id) to repeat a request.`,
    {
      value: string('The annotation value, verbatim.', { maxLength: MAX_CONTROL_VALUE_LENGTH }),
      action: enumOf('The action it asked for, when the value parsed.', CONTROL_ACTIONS),
      epoch: integer('The epoch of the switch it applied to (Applied) or was meant for (target-epoch).', { minimum: 0 }, 'int64'),
      result: enumOf('Applied, or Ignored (unparsable, meant for another epoch, or nothing to act on; message says which).', CONTROL_RESULTS),
      message: string('What the operator did with it, or why it did nothing.', { maxLength: 1024 }),
      time: time('When it was consumed.'),
    },
    { required: ['value', 'result', 'message', 'time'] },
  ),
  abortedTarget: object(
    'A switch an abort request rolled back: it is not started again (phase Degraded, reason Aborted) while metadata.generation stays at generation, until a retry request. Cleared by a retry or any spec change.',
    {
      topology: topologyEnum('Overlay the aborted switch moved to.'),
      epoch: integer('Epoch staged for the aborted switch.', { minimum: 0 }, 'int64'),
      generation: integer('metadata.generation when it was aborted.', {}, 'int64'),
      time: time('When the abort request was applied.'),
    },
    { required: ['topology', 'epoch', 'generation', 'time'] },
  ),
  conditions: {
    type: 'array',
    description: 'Ready, Reconciling and Stalled, kstatus-compatible.',
    maxItems: 8,
    items: conditionSchema,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
});

/** The `openAPIV3Schema` of the served version. */
export const CLUSTER_TOPOLOGY_SCHEMA: SchemaProps = object(
  'ClusterTopology runs an overlay network (full mesh, HyParView, client-server or Plumtree pub/sub) in the sidecars of the selected pods and switches it live, in phased rollouts.',
  {
    apiVersion: string('Versioned schema of this representation of an object.'),
    kind: string('REST resource this object represents.'),
    // The API server forbids anything but `type` here (metadata is implicitly specified).
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
  { required: ['spec'] },
);
