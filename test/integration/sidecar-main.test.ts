// The topology-sidecar executable: flag errors exit 2 with a clear message; a started sidecar
// serves /healthz, /readyz, /metrics and gRPC health (its last-resort handler installed, having
// caught nothing), and exits 0 on SIGTERM.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { buildRoot } from '../../src/paths.js';
import { loadProto } from '../../src/rpc/proto.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import { ControlClient } from '../../src/rpc/control-client.js';
import { deriveControlSigner } from '../../src/rpc/control-credential.js';

const MAIN = join(buildRoot(), 'src', 'sidecar', 'main.js');

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, exit };
}

describe('topology-sidecar executable (integration)', function () {
  this.timeout(60_000);
  const started: ChildProcess[] = [];
  let dir = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidecar-main-'));
  });

  after(() => {
    for (const c of started) if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [args, pattern] of [
    [['--peer-port', 'x'], /--peer-port must be a port/],
    [['--app-address', '10.1.1.1:7947'], /loopback/],
    [['--no-such-flag', '1'], /unknown flag/],
    [['--token-file', '/nonexistent/token'], /cannot read token file/],
    [['--control-public-key-file', '/nonexistent/keys'], /--control-public-key-file needs --token-file/],
    [['--health-port', '0x1'], /--health-port must be a port/],
    [['--buffer-bytes', '0'], /--buffer-bytes must be a byte count/],
    [['--pod-name', 'a b'], /without spaces or control characters/],
  ] as const) {
    it(`exits 2 on ${args.join(' ')}`, async () => {
      const { child, exit } = run([...args]);
      started.push(child);
      const { code, stderr } = await exit;
      expect(code).to.equal(2);
      expect(stderr).to.match(pattern);
    });
  }

  it('serves health, readiness and metrics, authenticates Control, and exits 0 on SIGTERM', async () => {
    const host = `127.${100 + (process.pid % 150)}.250.2`;
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'sekret\n');
    const { child, exit } = run(['--peer-port', '17946', '--app-address', `${host}:17947`, '--metrics-port', '19464', '--token-file', tokenFile], {
      POD_NAME: 'solo-0',
      POD_NAMESPACE: 'test',
      POD_IP: host,
    });
    started.push(child);
    const http = (path: string): Promise<{ status: number; body: string }> =>
      fetch(`http://${host}:19464${path}`).then(
        async (r) => ({ status: r.status, body: await r.text() }),
        () => ({ status: 0, body: '' }),
      );
    await waitUntil("(await http('/healthz')).status === 200", async () => (await http('/healthz')).status === 200, 30_000, 100);
    expect((await http('/readyz')).status).to.equal(200);
    const metrics = await http('/metrics');
    expect(metrics.body).to.contain('topology_sidecar_process_cpu_seconds_total');
    expect(metrics.body).to.contain('pod="solo-0"');
    // The last-resort handler is installed, and caught nothing.
    expect(metrics.body).to.match(/topology_sidecar_uncaught_errors_total\{pod="solo-0"\} 0\n/);
    expect(metrics.body).to.match(/topology_sidecar_buffer_limit_bytes\{kind="total",pod="solo-0"\} 100663296\n/);
    const Health = loadProto().grpc.health.v1.Health;
    const health = new Health(`${host}:17946`, grpc.credentials.createInsecure());
    const status = await new Promise<string>((resolve) => health.Check({ service: '' }, (err, r) => resolve(err ? 'error' : String(r?.status))));
    health.close();
    expect(status).to.equal('SERVING');
    const good = new ControlClient(`${host}:17946`, { token: 'sekret' });
    const bad = new ControlClient(`${host}:17946`, { token: 'wrong' });
    const state = await good.getState();
    const refused = await bad.getState();
    expect(state.ok && state.value.pod).to.equal('solo-0');
    const m = await good.getMetrics();
    good.close();
    bad.close();
    expect(m.ok && m.value.uncaughtErrorsTotal).to.equal(0);
    expect(refused.ok).to.equal(false);
    if (!refused.ok) expect(refused.code).to.equal(grpc.status.UNAUTHENTICATED);
    process.kill(child.pid as number, 'SIGTERM');
    const { code } = await exit;
    expect(code).to.equal(0);
  });

  it('with the control public key: Control accepts only calls the operator signed for this sidecar, never the Peer token; plaintext Health on --health-port', async () => {
    const host = `127.${100 + (process.pid % 150)}.250.3`;
    const peerFile = join(dir, 'peer-token');
    const keyFile = join(dir, 'control-public-key');
    const signer = deriveControlSigner('k'.repeat(44), 'uid-1');
    writeFileSync(peerFile, 'peer-sekret\n');
    writeFileSync(keyFile, `${signer.publicKey}\n`);
    const args = ['--peer-port', '17956', '--app-address', `${host}:17957`, '--metrics-port', '0', '--health-port', '17958'];
    const { child, exit } = run([...args, '--token-file', peerFile, '--control-public-key-file', keyFile], { POD_NAME: 'solo-1', POD_IP: host });
    started.push(child);
    const Health = loadProto().grpc.health.v1.Health;
    const health = new Health(`${host}:17958`, grpc.credentials.createInsecure());
    const check = (): Promise<string> => new Promise((resolve) => health.Check({ service: '' }, (err, r) => resolve(err ? 'error' : String(r?.status))));
    await waitUntil('Health SERVING on --health-port', async () => (await check()) === 'SERVING', 30_000, 100);
    health.close();
    const asOperator = new ControlClient(`${host}:17956`, { signer });
    const asMember = new ControlClient(`${host}:17956`, { token: 'peer-sekret' });
    // A call the operator signed for another member (what that member saw) does not open this one.
    const forAnother = new ControlClient(`${host}:17956`, { signer: { publicKey: signer.publicKey, sign: (m, _to, f) => signer.sign(m, '10.9.9.9:7070', f) } });
    const ok = await asOperator.getState();
    const refused = await asMember.abort(1);
    const misaddressed = await forAnother.abort(1);
    asOperator.close();
    asMember.close();
    forAnother.close();
    expect(ok.ok && ok.value.pod).to.equal('solo-1');
    for (const r of [refused, misaddressed]) {
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.code).to.equal(grpc.status.UNAUTHENTICATED);
    }
    if (!misaddressed.ok) expect(misaddressed.message).to.match(/invalid Control signature/);
    // Only Health is served there: Control on the health port is UNIMPLEMENTED.
    const onHealthPort = await new ControlClient(`${host}:17958`, { signer }).getState();
    expect(onHealthPort.ok).to.equal(false);
    if (!onHealthPort.ok) expect(onHealthPort.code).to.equal(grpc.status.UNIMPLEMENTED);
    process.kill(child.pid as number, 'SIGTERM');
    expect((await exit).code).to.equal(0);
  });

  it('refuses a public key file with a line that is not an Ed25519 key, naming the file and line', async () => {
    const peerFile = join(dir, 'peer-token-2');
    const keyFile = join(dir, 'bad-keys');
    writeFileSync(peerFile, 'peer\n');
    writeFileSync(keyFile, 'not-a-key\n');
    const { child, exit } = run(['--token-file', peerFile, '--control-public-key-file', keyFile, '--metrics-port', '0']);
    started.push(child);
    const { code, stderr } = await exit;
    expect(code).to.equal(2);
    expect(stderr).to.match(/control public key file .*bad-keys: line 1 is not an Ed25519 public key/);
  });
});
