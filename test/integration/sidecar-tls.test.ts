// Mutual TLS between real sidecar processes, the way a cluster runs it: every sidecar is dialed by
// its pod IP (here its own 127.x.y.z), yet all of them share ONE certificate issued for a DNS name
// (as cert-manager issues for a Service), verified by name through `--tls-server-name`. A
// throwaway CA (support/test-certs.ts) signs that certificate and the operator's
// client certificate; a second, unrelated CA signs a look-alike certificate for the same name.
//
// Checks: four sidecars link up over TLS (FullMesh bootstrap, then a live switch to HyParView
// driven by the operator's reconcile pass over TLS Control clients) and an app broadcast reaches every
// member exactly once; and the Control API refuses, promptly and with an error, a client with no
// certificate, one whose certificate the other CA signed, one that checks the wrong name or trusts
// the wrong CA, and a plaintext client — each holding the right token, so TLS alone refuses them.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { FleetControl } from '../../src/fleet/fleet-control.js';
import { FleetOperator } from '../../src/fleet/fleet-operator.js';
import { AppClient } from '../../src/fleet/app-traffic.js';
import { ControlClient, tlsServerNameOptions, type ControlClientOptions } from '../../src/rpc/control-client.js';
import { parseOperatorConfig } from '../../src/operator/config.js';
import { SidecarPool } from '../../src/operator/sidecars/pool.js';
import { loadSidecarTransport } from '../../src/operator/sidecars/tls.js';
import { makeCa, makeLeaf, sidecarExtensions } from './support/test-certs.js';
import { expectBroadcastReachesAll } from './support/broadcast.js';
import { loadProto } from '../../src/rpc/proto.js';

/** The DNS name the shared sidecar certificate is issued for (no such host: only verified, never resolved). */
const SERVER_NAME = 'sidecar.fleet.test';
const FLEET_SIZE = 4;
/** Deadline of each refused call (ms): long enough for a TLS handshake, short enough to show no hang. */
const REFUSAL_DEADLINE_MS = 3_000;

const SIDECAR_EXTENSIONS = sidecarExtensions(SERVER_NAME);
/** The sidecars' `--health-port`. */
const HEALTH_PORT = 17071;

describe('sidecar mutual TLS with a shared server name (integration)', function () {
  this.timeout(180_000);
  let dir: string;
  let fleet: LoopbackFleet | undefined;
  let orch: FleetControl | undefined;
  let operator: FleetOperator | undefined;
  let apps: AppClient[] = [];
  let ids: string[] = [];
  const pem = (name: string): Buffer => readFileSync(join(dir, name));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'topology-tls-'));
    makeCa(dir, 'ca');
    makeLeaf(dir, 'sidecar', 'ca', SIDECAR_EXTENSIONS);
    makeLeaf(dir, 'operator', 'ca', ['extendedKeyUsage=clientAuth']);
    makeCa(dir, 'other-ca');
    makeLeaf(dir, 'impostor', 'other-ca', SIDECAR_EXTENSIONS);

    const client = {
      credentials: grpc.credentials.createSsl(pem('ca.crt'), pem('operator.key'), pem('operator.crt')),
      channelOptions: tlsServerNameOptions(SERVER_NAME),
    };
    fleet = await LoopbackFleet.start({
      size: FLEET_SIZE,
      extraArgs: [
        '--tls-cert',
        join(dir, 'sidecar.crt'),
        '--tls-key',
        join(dir, 'sidecar.key'),
        '--tls-ca',
        join(dir, 'ca.crt'),
        '--tls-server-name',
        SERVER_NAME,
        // Plaintext Health only, for the kubelet's gRPC probe (it speaks no TLS); one port per member's own IP.
        '--health-port',
        String(HEALTH_PORT),
      ],
      readinessClient: client,
    });
    ids = fleet.ids();
    orch = new FleetControl(fleet.token, undefined, client);
    operator = new FleetOperator(ids, { token: fleet.token, transport: client });
    apps = fleet.members.map((m) => new AppClient(m.id, m.appAddress));
    await Promise.all(apps.map((a) => a.subscribe()));
  });

  after(async () => {
    for (const a of apps) a.close();
    orch?.close();
    operator?.close();
    await fleet?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('serves plaintext Health on --health-port while Peer and Control need mutual TLS (what the kubelet probe reaches)', async () => {
    const Health = loadProto().grpc.health.v1.Health;
    const check = (address: string): Promise<string> =>
      new Promise((resolve) => {
        const h = new Health(address, grpc.credentials.createInsecure());
        h.Check({ service: '' }, { deadline: Date.now() + REFUSAL_DEADLINE_MS }, (err, r) => {
          h.close();
          resolve(err ? `error ${grpc.status[err.code]}` : String(r?.status));
        });
      });
    for (const id of ids) {
      const host = id.slice(0, id.lastIndexOf(':'));
      expect(await check(`${host}:${HEALTH_PORT}`), id).to.equal('SERVING');
      expect(await check(id), `${id} peer port in plaintext`).to.match(/^error/);
    }
  });

  it('links sidecars over mutual TLS, verified by name, through a bootstrap and a live switch', async () => {
    const boot = await operator!.switchTo('FullMesh');
    expect(boot.ok, boot.reason).to.equal(true);
    await expectBroadcastReachesAll(apps, 0, 'over tls');

    const hpv = await operator!.switchTo('HyParView');
    expect(hpv.ok, hpv.reason).to.equal(true);
    const states = await orch!.states(ids);
    expect(states.size).to.equal(FLEET_SIZE);
    for (const s of states.values()) expect(s.activeEpoch).to.equal(hpv.epoch);
    await expectBroadcastReachesAll(apps, 1, 'over tls');
  });

  it("the operator's sidecar pool, configured by its --sidecar-tls-* flags, reaches every sidecar; without them it is refused", async () => {
    const parsed = parseOperatorConfig(
      [
        '--sidecar-tls-ca-file',
        join(dir, 'ca.crt'),
        '--sidecar-tls-cert-file',
        join(dir, 'operator.crt'),
        '--sidecar-tls-key-file',
        join(dir, 'operator.key'),
        '--sidecar-tls-server-name',
        SERVER_NAME,
      ],
      {},
      'host',
    );
    expect(parsed.ok, parsed.ok ? '' : parsed.error).to.equal(true);
    if (!parsed.ok) return;
    const pool = new SidecarPool({
      token: fleet!.token,
      concurrency: 4,
      timeoutMs: REFUSAL_DEADLINE_MS,
      transport: loadSidecarTransport(parsed.config.sidecarTls),
    });
    const plain = new SidecarPool({ token: fleet!.token, concurrency: 4, timeoutMs: REFUSAL_DEADLINE_MS });
    try {
      const replies = await pool.each('GetState', ids, (c) => c.getState(true));
      for (const { address, result } of replies) expect(result.ok, `${address}: ${result.ok ? '' : result.message}`).to.equal(true);
      const refused = await plain.each('GetState', ids.slice(0, 1), (c) => c.getState(true));
      expect(refused[0]?.result.ok, 'a plaintext pool must be refused').to.equal(false);
    } finally {
      pool.close();
      plain.close();
    }
    expect(() =>
      loadSidecarTransport({ caFile: join(dir, 'missing.crt'), certFile: undefined, keyFile: undefined, serverName: undefined, refreshMs: 1000 }),
    ).to.throw(/cannot read --sidecar-tls-ca-file .*missing\.crt/);
  });

  describe('refuses Control clients that fail TLS, even with the right token', () => {
    const refusals: [string, () => ControlClientOptions][] = [
      ['a client with no certificate', () => ({ credentials: grpc.credentials.createSsl(pem('ca.crt')), channelOptions: tlsServerNameOptions(SERVER_NAME) })],
      [
        'a client whose certificate the other CA signed',
        () => ({
          credentials: grpc.credentials.createSsl(pem('ca.crt'), pem('impostor.key'), pem('impostor.crt')),
          channelOptions: tlsServerNameOptions(SERVER_NAME),
        }),
      ],
      [
        'a client that checks another name',
        () => ({
          credentials: grpc.credentials.createSsl(pem('ca.crt'), pem('operator.key'), pem('operator.crt')),
          channelOptions: tlsServerNameOptions('other.fleet.test'),
        }),
      ],
      [
        'a client that trusts only the other CA',
        () => ({
          credentials: grpc.credentials.createSsl(pem('other-ca.crt'), pem('impostor.key'), pem('impostor.crt')),
          channelOptions: tlsServerNameOptions(SERVER_NAME),
        }),
      ],
      ['a plaintext client', () => ({ credentials: grpc.credentials.createInsecure() })],
    ];
    for (const [who, options] of refusals) {
      it(`refuses ${who} with an error before the deadline`, async () => {
        const c = new ControlClient(ids[2]!, { ...options(), token: fleet!.token, timeoutMs: REFUSAL_DEADLINE_MS });
        try {
          const t0 = Date.now();
          const r = await c.getState(true);
          expect(r.ok, 'GetState must fail').to.equal(false);
          if (!r.ok) expect(r.code, `${grpc.status[r.code]}: ${r.message}`).to.equal(grpc.status.UNAVAILABLE);
          expect(Date.now() - t0).to.be.lessThan(REFUSAL_DEADLINE_MS);
        } finally {
          c.close();
        }
      });
    }

    it('still serves the properly authenticated Control client afterwards', async () => {
      const r = await orch!.client(ids[2]!).getState(true);
      expect(r.ok, r.ok ? '' : r.message).to.equal(true);
    });
  });
});
