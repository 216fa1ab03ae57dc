// Certificate rotation without a restart, the way cert-manager and the kubelet do it: the TLS
// files are symlinks into a `..data` directory that is swapped atomically (Kubernetes' atomic
// writer), first to a CA bundle that trusts the old and the new CA, then to a certificate the new
// CA signed. Two real sidecar processes re-read their files every 200 ms (`--tls-refresh-ms`), and
// the operator's Control transport (`loadSidecarTransport`) re-reads its own.
//
// Checks, each on fresh connections: a client of the new CA is refused until the sidecars' bundle
// trusts it; a client that trusts only the new CA is refused until the sidecars serve the new
// certificate, and each sidecar logs the new certificate once; the operator's transport, still
// trusting only the old CA, is then refused, and reaches the sidecars once its own files are
// rotated; the overlay keeps working throughout (a switch to a new epoch over TLS, and a
// broadcast every member receives exactly once). Then one-way TLS (no --tls-ca): a sidecar serves
// clients that present no certificate, refuses plaintext, and serves its renewed certificate.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import type { ClusterTopologyStatus } from '../../src/api/types.js';
import { FleetOperator } from '../../src/fleet/fleet-operator.js';
import { AppClient, waitUntil } from '../../src/fleet/app-traffic.js';
import { ControlClient, tlsServerNameOptions } from '../../src/rpc/control-client.js';
import { SidecarPool } from '../../src/operator/sidecars/pool.js';
import { loadSidecarTransport, type SidecarTransport } from '../../src/operator/sidecars/tls.js';
import { loadSecrets } from '../../src/sidecar/sidecar.js';
import { parseConfig } from '../../src/sidecar/config.js';
import { makeCa, makeLeaf, sidecarExtensions } from './support/test-certs.js';
import { expectBroadcastReachesAll } from './support/broadcast.js';

const SERVER_NAME = 'sidecar.rotation.test';
const REFRESH_MS = 200;
/** How long a rotation may take to reach new connections (ms): many refresh periods plus reconnect backoff. */
const ROTATION_DEADLINE_MS = 30_000;
const CALL_DEADLINE_MS = 3_000;
/** No subchannel shared between clients: every client below makes its own TLS handshake. */
const FRESH_CONNECTION: grpc.ChannelOptions = { 'grpc.use_local_subchannel_pool': 1 };

/**
 * A directory of TLS files as the kubelet mounts a Secret: `<name>` → `..data/<name>`, with
 * `..data` a symlink to a versioned directory, replaced in one rename.
 */
class MountedSecret {
  private version = 0;

  constructor(
    readonly dir: string,
    private readonly source: string,
  ) {
    mkdirSync(dir);
  }

  /** Publishes `files` (mount name → file in the source directory, or PEM text) as one new version. */
  publish(files: Record<string, string | { text: string }>): void {
    const versionDir = `..v${++this.version}`;
    mkdirSync(join(this.dir, versionDir));
    for (const [name, from] of Object.entries(files)) {
      if (typeof from === 'string') copyFileSync(join(this.source, from), join(this.dir, versionDir, name));
      else writeFileSync(join(this.dir, versionDir, name), from.text);
      if (this.version === 1) symlinkSync(join('..data', name), join(this.dir, name));
    }
    symlinkSync(versionDir, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
  }

  path(name: string): string {
    return join(this.dir, name);
  }
}

/** An old and a new CA in `dir`, each with a sidecar certificate for SERVER_NAME: `<old|new>-ca`, `<old|new>-sidecar`. */
function makeOldAndNewSidecarCertificates(dir: string): void {
  makeCa(dir, 'old-ca');
  makeCa(dir, 'new-ca');
  makeLeaf(dir, 'old-sidecar', 'old-ca', sidecarExtensions(SERVER_NAME));
  makeLeaf(dir, 'new-sidecar', 'new-ca', sidecarExtensions(SERVER_NAME));
}

/** The status of GetState on `member` over a new connection made with `credentials` (OK = 0). */
async function getStateCode(member: string, credentials: grpc.ChannelCredentials, token: string): Promise<grpc.status> {
  const c = new ControlClient(member, {
    credentials,
    channelOptions: { ...tlsServerNameOptions(SERVER_NAME), ...FRESH_CONNECTION },
    token,
    timeoutMs: CALL_DEADLINE_MS,
  });
  try {
    const r = await c.getState(true);
    return r.ok ? grpc.status.OK : r.code;
  } finally {
    c.close();
  }
}

describe('TLS certificate rotation without a restart (integration)', function () {
  this.timeout(180_000);
  let dir: string;
  let sidecarSecret: MountedSecret;
  let operatorSecret: MountedSecret;
  let fleet: LoopbackFleet | undefined;
  let ids: string[] = [];
  /** The resource after the first overlay formed: the switch after the rotation carries on from it. */
  let booted: { status: ClusterTopologyStatus; generation: number } | undefined;
  let apps: AppClient[] = [];
  const pem = (name: string): Buffer => readFileSync(join(dir, name));
  const bundle = (...cas: string[]): { text: string } => ({ text: cas.map((ca) => readFileSync(join(dir, `${ca}.crt`), 'utf8')).join('') });

  /** Whether GetState on sidecar `member` (default: the first) succeeds over a new connection made with `credentials`. */
  const accepted = async (credentials: grpc.ChannelCredentials, member = ids[0]!): Promise<boolean> =>
    (await getStateCode(member, credentials, fleet!.token)) === grpc.status.OK;

  /** Whether a new operator SidecarPool built on `transport` reaches every sidecar. */
  const poolReachesAll = async (transport: SidecarTransport): Promise<boolean> => {
    const pool = new SidecarPool({
      token: fleet!.token,
      concurrency: 2,
      timeoutMs: CALL_DEADLINE_MS,
      transport: { ...transport, channelOptions: { ...transport.channelOptions, ...FRESH_CONNECTION } },
    });
    try {
      const replies = await pool.each('GetState', ids, (c) => c.getState(true));
      return replies.every((r) => r.result.ok);
    } finally {
      pool.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'topology-rotation-'));
    makeOldAndNewSidecarCertificates(dir);
    makeLeaf(dir, 'old-operator', 'old-ca', ['extendedKeyUsage=clientAuth']);
    makeLeaf(dir, 'new-operator', 'new-ca', ['extendedKeyUsage=clientAuth']);
    sidecarSecret = new MountedSecret(join(dir, 'sidecar-tls'), dir);
    sidecarSecret.publish({ 'ca.crt': 'old-ca.crt', 'tls.crt': 'old-sidecar.crt', 'tls.key': 'old-sidecar.key' });
    operatorSecret = new MountedSecret(join(dir, 'operator-tls'), dir);
    operatorSecret.publish({ 'ca.crt': 'old-ca.crt', 'tls.crt': 'old-operator.crt', 'tls.key': 'old-operator.key' });

    const readiness = {
      credentials: grpc.credentials.createSsl(pem('old-ca.crt'), pem('old-operator.key'), pem('old-operator.crt')),
      channelOptions: tlsServerNameOptions(SERVER_NAME),
    };
    fleet = await LoopbackFleet.start({
      size: 2,
      logLevel: 'info',
      extraArgs: [
        '--tls-cert',
        sidecarSecret.path('tls.crt'),
        '--tls-key',
        sidecarSecret.path('tls.key'),
        '--tls-ca',
        sidecarSecret.path('ca.crt'),
        '--tls-server-name',
        SERVER_NAME,
        '--tls-refresh-ms',
        String(REFRESH_MS),
      ],
      readinessClient: readiness,
    });
    ids = fleet.ids();
    const orch = new FleetOperator(ids, { token: fleet.token, transport: { credentials: readiness.credentials, channelOptions: readiness.channelOptions } });
    try {
      const boot = await orch.switchTo('FullMesh');
      expect(boot.ok, boot.reason).to.equal(true);
      booted = { status: orch.status, generation: orch.generation };
    } finally {
      orch.close();
    }
    apps = fleet.members.map((m) => new AppClient(m.id, m.appAddress));
    await Promise.all(apps.map((a) => a.subscribe()));
  });

  after(async () => {
    for (const a of apps) a.close();
    await fleet?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('picks up a new CA bundle, then a new certificate, on the sidecars and in the operator, without a restart', async () => {
    const oldClient = grpc.credentials.createSsl(pem('old-ca.crt'), pem('old-operator.key'), pem('old-operator.crt'));
    const newClientTrustingOld = grpc.credentials.createSsl(pem('old-ca.crt'), pem('new-operator.key'), pem('new-operator.crt'));
    const newClient = grpc.credentials.createSsl(pem('new-ca.crt'), pem('new-operator.key'), pem('new-operator.crt'));
    const operator = loadSidecarTransport({
      caFile: operatorSecret.path('ca.crt'),
      certFile: operatorSecret.path('tls.crt'),
      keyFile: operatorSecret.path('tls.key'),
      serverName: SERVER_NAME,
      refreshMs: REFRESH_MS,
    });

    expect(await accepted(oldClient), 'the old client certificate is accepted').to.equal(true);
    expect(await accepted(newClientTrustingOld), 'a certificate of the new CA is refused before the bundle').to.equal(false);
    expect(await poolReachesAll(operator), "the operator's transport reaches the sidecars").to.equal(true);

    // Step 1: the sidecars trust both CAs.
    sidecarSecret.publish({ 'ca.crt': bundle('old-ca', 'new-ca'), 'tls.crt': 'old-sidecar.crt', 'tls.key': 'old-sidecar.key' });
    const allAccept = async (credentials: grpc.ChannelCredentials): Promise<boolean> =>
      (await Promise.all(ids.map((id) => accepted(credentials, id)))).every((ok) => ok);
    await waitUntil('the sidecars accept the new CA once their bundle has it', () => allAccept(newClientTrustingOld), ROTATION_DEADLINE_MS, 100);
    expect(await accepted(newClient), 'the sidecars still serve the old certificate').to.equal(false);

    // Step 2: the sidecars serve the certificate the new CA signed.
    sidecarSecret.publish({ 'ca.crt': bundle('old-ca', 'new-ca'), 'tls.crt': 'new-sidecar.crt', 'tls.key': 'new-sidecar.key' });
    await waitUntil('the sidecars serve the new certificate', () => allAccept(newClient), ROTATION_DEADLINE_MS, 100);
    expect(await accepted(oldClient), 'a client that trusts only the old CA cannot verify the new certificate').to.equal(false);
    const oldClientTrustingBoth = grpc.credentials.createSsl(Buffer.from(bundle('old-ca', 'new-ca').text), pem('old-operator.key'), pem('old-operator.crt'));
    expect(await accepted(oldClientTrustingBoth), "a client certificate of the old CA still gets in (the sidecars' bundle trusts it)").to.equal(true);

    // Each sidecar logged the new certificate once (the CA-only change before it is not a new certificate).
    for (const m of fleet!.members) {
      const reloads = (): string[] =>
        readFileSync(m.proc.logFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { message?: string; subject?: string; pod?: string })
          .filter((e) => e.message?.startsWith('TLS certificate reloaded') && e.pod === m.pod)
          .map((e) => e.subject ?? '');
      await waitUntil(`${m.pod} to log the reloaded certificate`, () => reloads().length > 0, ROTATION_DEADLINE_MS, 50);
      expect(reloads(), `${m.pod}'s log`).to.deep.equal(['CN=new-sidecar']);
    }

    // The operator, still trusting only the old CA, can no longer verify the sidecars, until its
    // own Secret is rotated: the same transport then reaches them.
    expect(await poolReachesAll(operator), 'the operator must not trust the new certificate yet').to.equal(false);
    operatorSecret.publish({ 'ca.crt': bundle('old-ca', 'new-ca'), 'tls.crt': 'new-operator.crt', 'tls.key': 'new-operator.key' });
    await waitUntil("the operator's transport reaches the sidecars after its rotation", () => poolReachesAll(operator), ROTATION_DEADLINE_MS, 100);

    // The overlay still switches and delivers over TLS, with the new certificates.
    const orch = new FleetOperator(ids, { token: fleet!.token, transport: operator, resume: booted! });
    try {
      const hpv = await orch.switchTo('HyParView');
      expect(hpv.ok, hpv.reason).to.equal(true);
    } finally {
      orch.close();
    }
    await expectBroadcastReachesAll(apps, 1, 'after rotation');
  });

  it('refuses to start on a certificate that does not match its key, naming both files', () => {
    const parsed = parseConfig(
      ['--tls-cert', join(dir, 'old-sidecar.crt'), '--tls-key', join(dir, 'new-sidecar.key'), '--tls-ca', join(dir, 'old-ca.crt')],
      {},
      'host',
    );
    expect(parsed.ok, parsed.ok ? '' : parsed.error).to.equal(true);
    if (!parsed.ok) return;
    expect(() => loadSecrets(parsed.config)).to.throw(/invalid TLS files \(--tls-cert .*old-sidecar\.crt \/ --tls-key .*new-sidecar\.key/);
  });
});

describe('one-way TLS (no --tls-ca) and its rotation (integration)', function () {
  this.timeout(120_000);
  let dir: string;
  let secret: MountedSecret;
  let fleet: LoopbackFleet | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'topology-oneway-'));
    makeOldAndNewSidecarCertificates(dir);
    secret = new MountedSecret(join(dir, 'sidecar-tls'), dir);
    secret.publish({ 'tls.crt': 'old-sidecar.crt', 'tls.key': 'old-sidecar.key' });
    fleet = await LoopbackFleet.start({
      size: 1,
      extraArgs: [
        '--tls-cert',
        secret.path('tls.crt'),
        '--tls-key',
        secret.path('tls.key'),
        '--tls-server-name',
        SERVER_NAME,
        '--tls-refresh-ms',
        String(REFRESH_MS),
      ],
      readinessClient: { credentials: grpc.credentials.createSsl(readFileSync(join(dir, 'old-ca.crt'))), channelOptions: tlsServerNameOptions(SERVER_NAME) },
    });
  });

  after(async () => {
    await fleet?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('serves clients without a certificate over TLS, refuses plaintext, and serves a renewed certificate', async () => {
    const member = fleet!.ids()[0]!;
    const code = (credentials: grpc.ChannelCredentials): Promise<grpc.status> => getStateCode(member, credentials, fleet!.token);
    const trustingOld = grpc.credentials.createSsl(readFileSync(join(dir, 'old-ca.crt')));
    const trustingNew = grpc.credentials.createSsl(readFileSync(join(dir, 'new-ca.crt')));
    expect(await code(trustingOld), 'a client with no certificate that trusts the CA').to.equal(grpc.status.OK);
    expect(await code(grpc.credentials.createInsecure()), 'plaintext').to.equal(grpc.status.UNAVAILABLE);
    expect(await code(trustingNew), 'a client that trusts only the new CA, before the renewal').to.equal(grpc.status.UNAVAILABLE);
    secret.publish({ 'tls.crt': 'new-sidecar.crt', 'tls.key': 'new-sidecar.key' });
    await waitUntil('the renewed certificate is served', async () => (await code(trustingNew)) === grpc.status.OK, ROTATION_DEADLINE_MS, 100);
  });
});
