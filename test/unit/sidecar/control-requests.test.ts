// Validation of Control requests: addresses, lists, enums and numbers, each refusal naming the
// field and the limit, with the gRPC status the Control service answers.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import {
  checkEpoch,
  MAX_CONTACTS,
  MAX_MEMBERS,
  MAX_PROBES,
  PARAM_RANGES,
  validateMembers,
  validatePrepare,
  validateProbe,
  DEFAULT_PROBE_TIMEOUT_MS,
} from '../../../src/sidecar/control-requests.js';
import { MAX_EPOCH } from '../../../src/member/switch-engine.js';
import type { PrepareRequest__Output } from '../../../src/rpc/generated/topology/v1/PrepareRequest.js';
import type { ProbeRequest__Output } from '../../../src/rpc/generated/topology/v1/ProbeRequest.js';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import { overlayParams } from '../../../src/rpc/overlay-params.js';
import { loadProto } from '../../../src/rpc/proto.js';

const prepare = (r: Partial<PrepareRequest__Output>): PrepareRequest__Output => ({
  epoch: 3,
  topology: 'HYPAR_VIEW',
  params: null,
  members: ['10.0.0.1:7070', '10.0.0.2:7070'],
  contacts: [],
  seed: 1,
  ...r,
});
const probe = (r: Partial<ProbeRequest__Output>): ProbeRequest__Output => ({ epoch: 3, count: 0, timeoutMs: 0, expect: [], ...r });

/** The refusal of `r`: its code and message. */
function refused(r: { ok: boolean; code?: grpc.status; reason?: string }): { code: grpc.status | undefined; reason: string | undefined } {
  expect(r.ok).to.equal(false);
  return { code: r.code, reason: r.reason };
}

describe('Control request validation', () => {
  it('accepts a well-formed Prepare, taking the overlay kind and parameters', () => {
    const r = validatePrepare(prepare({ params: { hyparview: { activeViewSize: 5, shuffleIntervalMs: 10_000 }, pubsub: null, clientServer: null } }));
    expect(r.ok).to.equal(true);
    if (r.ok) expect(r.value).to.deep.include({ epoch: 3, kind: 'HyParView', params: { hyParView: { activeViewSize: 5, shuffleIntervalMs: 10_000 } } });
  });

  it('refuses Prepare members, contacts and server ids that are no addresses, naming the entry', () => {
    expect(refused(validatePrepare(prepare({ members: ['10.0.0.1:7070', 'x\ny'] })))).to.deep.equal({
      code: grpc.status.INVALID_ARGUMENT,
      reason: 'Prepare.members[1] "x\\ny": not a host:port address (contains whitespace or a control character)',
    });
    expect(refused(validatePrepare(prepare({ contacts: [''] }))).reason).to.equal('Prepare.contacts[0] "": not a host:port address (empty)');
    expect(
      refused(validatePrepare(prepare({ topology: 'CLIENT_SERVER', params: { hyparview: null, pubsub: null, clientServer: { serverIds: ['::::'] } } }))).reason,
    ).to.match(/^Prepare\.params\.client_server\.server_ids\[0\] "::::"/);
  });

  it('refuses lists beyond their limits with RESOURCE_EXHAUSTED naming the limit', () => {
    const many = Array.from({ length: MAX_CONTACTS + 1 }, (_, i) => `10.0.${i >> 8}.${i & 255}:7070`);
    expect(refused(validatePrepare(prepare({ contacts: many })))).to.deep.equal({
      code: grpc.status.RESOURCE_EXHAUSTED,
      reason: `Prepare.contacts: ${MAX_CONTACTS + 1} entries, more than the limit of ${MAX_CONTACTS}`,
    });
    const members = new Array<string>(MAX_MEMBERS + 1).fill('10.0.0.1:7070');
    expect(refused(validateMembers(members)).code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('range-checks the topology, the epoch and every overlay parameter', () => {
    expect(refused(validatePrepare(prepare({ topology: 'TOPOLOGY_UNSPECIFIED' }))).reason).to.match(/^Prepare\.topology must be FULL_MESH/);
    expect(refused(validatePrepare(prepare({ epoch: 0 }))).reason).to.equal(`Prepare.epoch 0 is out of range 1-${MAX_EPOCH}`);
    expect(refused(validatePrepare(prepare({ epoch: 2 ** 64 }))).code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(refused(validatePrepare(prepare({ params: { hyparview: { shuffleIntervalMs: 0 }, pubsub: null, clientServer: null } }))).reason).to.equal(
      'Prepare.params.hyparview.shuffle_interval_ms 0 is out of range 100-3600000',
    );
    expect(refused(validatePrepare(prepare({ params: { hyparview: { activeViewSize: 4_000_000_000 }, pubsub: null, clientServer: null } }))).reason).to.equal(
      'Prepare.params.hyparview.active_view_size 4000000000 is out of range 1-64',
    );
    expect(refused(validatePrepare(prepare({ params: { hyparview: null, pubsub: { graftTimeoutMs: 0 }, clientServer: null } }))).reason).to.match(
      /graft_timeout_ms 0 is out of range 1-60000/,
    );
    expect(checkEpoch('Route.epoch', MAX_EPOCH)).to.equal(undefined);
    expect(checkEpoch('Route.epoch', 1.5)?.reason).to.equal(`Route.epoch 1.5 is out of range 1-${MAX_EPOCH}`);
  });

  it('accepts every default the operator sends (the ranges are at least as wide as the CRD)', () => {
    // The parameters exactly as the operator maps a defaulted spec and the sidecar decodes them.
    const spec = applyDefaults({ selector: { matchLabels: { app: 'chat' } }, topology: 'ClientServer' });
    const type = loadProto().topology.v1.PrepareRequest;
    const sent = type.deserialize(
      type.serialize({ epoch: 3, topology: 'CLIENT_SERVER', params: overlayParams(spec, 'ClientServer', undefined), members: ['10.0.0.1:7070'], seed: 1 }),
    );
    const r = validatePrepare(prepare({ topology: 'CLIENT_SERVER', params: sent.params }));
    expect(r.ok).to.equal(true);
    expect(PARAM_RANGES['hyparview.shuffle_interval_ms'].max).to.equal(3600 * 1000);
  });

  it('validates Probe: defaults for 0, limits for count and timeout, addresses for expect', () => {
    const ok = validateProbe(probe({}));
    expect(ok.ok && ok.value).to.deep.equal({ epoch: 3, count: 1, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS, expect: [] });
    expect(refused(validateProbe(probe({ count: MAX_PROBES + 1 }))).reason).to.equal(`Probe.count ${MAX_PROBES + 1} is out of range 0-${MAX_PROBES}`);
    expect(refused(validateProbe(probe({ timeoutMs: 60_001 }))).reason).to.equal('Probe.timeout_ms 60001 is out of range 0-60000');
    expect(refused(validateProbe(probe({ expect: ['a b'] }))).reason).to.match(/^Probe\.expect\[0\] "a b"/);
  });
});
