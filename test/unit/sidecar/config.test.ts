import { expect } from 'chai';
import { parseConfig, DEFAULT_PEER_PORT, DEFAULT_BUFFER_BYTES, isLoopback, USAGE } from '../../../src/sidecar/config.js';
import { peerChannelOptions } from '../../../src/sidecar/sidecar.js';
import { DEFAULT_TLS_REFRESH_MS } from '../../../src/rpc/tls-files.js';
import { DEFAULT_TOKEN_REFRESH_MS } from '../../../src/rpc/cluster-token.js';
import { DEFAULT_SIDECAR_PORT, SIDECAR_DEFAULTS } from '../../../src/api/defaults.js';

describe('sidecar config', () => {
  it('takes the downward-API environment, with flags winning', () => {
    const r = parseConfig(['--peer-port', '9000'], { POD_NAME: 'chat-0', POD_NAMESPACE: 'apps', POD_IP: '10.1.2.3', PEER_PORT: '8000' }, 'host');
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.config).to.deep.include({ podName: 'chat-0', namespace: 'apps', podIp: '10.1.2.3', peerPort: 9000, appAddress: '127.0.0.1:7947' });
  });

  it('has documented defaults', () => {
    const r = parseConfig([], {}, 'myhost');
    expect(r.ok && r.config.podName).to.equal('myhost');
    expect(r.ok && r.config.peerPort).to.equal(DEFAULT_PEER_PORT);
    expect(r.ok && r.config.appAddress).to.equal('127.0.0.1:7947');
  });

  it('listens by default on the port the ClusterTopology defaults spec.sidecar.port to', () => {
    expect(DEFAULT_PEER_PORT).to.equal(DEFAULT_SIDECAR_PORT);
    expect(DEFAULT_PEER_PORT).to.equal(SIDECAR_DEFAULTS.port);
  });

  it('defaults the Overlay API to POD_IP when POD_IP is a loopback address of its own', () => {
    const a = parseConfig([], { POD_IP: '127.0.3.7' }, 'h');
    expect(a.ok && a.config.appAddress).to.equal('127.0.3.7:7947');
    const b = parseConfig(['--pod-ip', '127.0.3.8'], {}, 'h');
    expect(b.ok && b.config.appAddress).to.equal('127.0.3.8:7947');
    const flag = parseConfig(['--app-address', '127.0.0.1:9000'], { POD_IP: '127.0.3.7' }, 'h');
    expect(flag.ok && flag.config.appAddress).to.equal('127.0.0.1:9000');
  });

  for (const [argv, pattern] of [
    [['--peer-port', 'abc'], /peer-port/],
    [['--peer-port', '70000'], /peer-port/],
    [['--app-address', '10.0.0.1:7947'], /loopback/],
    [['--app-address', 'nonsense'], /HOST:PORT/],
    [['--tls-cert', 'a.pem'], /together/],
    [['--tls-ca', 'ca.pem'], /--tls-ca needs --tls-cert/],
    [['--tls-server-name', 'sidecar.apps.svc'], /--tls-server-name needs --tls-cert/],
    [['--tls-cert', 'a.pem', '--tls-key', 'a.key', '--tls-server-name', 'sidecar.apps.svc:7070'], /DNS name/],
    [['--tls-cert', 'a.pem', '--tls-key', 'a.key', '--tls-server-name', '*.apps.svc'], /DNS name/],
    [['--tls-cert', 'a.pem', '--tls-key', 'a.key', '--tls-server-name', 'bad_name.svc'], /DNS name/],
    [['--tls-refresh-ms', '1000'], /--tls-refresh-ms needs --tls-cert/],
    [['--token-refresh-ms', '1000'], /--token-refresh-ms needs --token-file/],
    [['--token-file', 't', '--token-refresh-ms', 'soon'], /--token-refresh-ms must be a positive integer/],
    [['--tls-cert', 'a.pem', '--tls-key', 'a.key', '--tls-refresh-ms', '0'], /--tls-refresh-ms must be a positive integer/],
    [['--log-level', 'loud'], /log-level/],
    [['--frobnicate', '1'], /unknown flag/],
    [['--pod-ip'], /needs a value/],
    [['--pod-ip', 'not-an-ip'], /IP address/],
    [['stray'], /unexpected argument/],
    [['--pod-ip', 'fe80::1%eth0'], /does not make a peer address \(an IPv6 zone id is not allowed\)/],
    [['--app-address', '127.0.0.1:99999'], /--app-address must be HOST:PORT.*out of range/],
    [['--app-address', 'unix:7947'], /--app-address must be HOST:PORT/],
    [['--pod-name', 'a\u0007b'], /--pod-name must not contain control characters, got "a\\u0007b"/],
    [['--ping-interval-ms', '99999999999'], /--ping-interval-ms must be at most 86400000/],
    [['--queue-capacity', '5000000'], /--queue-capacity must be at most 1000000/],
    [['--link-queue-bytes', '1000'], /--link-queue-bytes must be a byte count from 1048576/],
    [['--queue-bytes', '2097152', '--link-queue-bytes', '4194304'], /--queue-bytes must be a byte count from 4194304/],
    [['--future-frame-bytes', 'lots'], /--future-frame-bytes must be a byte count/],
    [['--subscriber-buffer-bytes', '99999999999999'], /--subscriber-buffer-bytes must be a byte count from 1048576 to 17179869184/],
    [['--buffer-bytes', '0'], /--buffer-bytes must be a byte count/],
  ] as const) {
    it(`rejects ${argv.join(' ')} with a clear message`, () => {
      const r = parseConfig(argv, {}, 'h');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error).to.match(pattern);
    });
  }

  it('takes TLS files and the server name from flags or the environment', () => {
    const flags = parseConfig(
      ['--tls-cert', 'tls.crt', '--tls-key', 'tls.key', '--tls-ca', 'ca.crt', '--tls-server-name', 'topology-sidecar.apps.svc'],
      {},
      'h',
    );
    expect(flags.ok && flags.config).to.deep.include({ tlsCert: 'tls.crt', tlsKey: 'tls.key', tlsCa: 'ca.crt', tlsServerName: 'topology-sidecar.apps.svc' });
    const env = parseConfig([], { TLS_CERT: 'tls.crt', TLS_KEY: 'tls.key', TLS_SERVER_NAME: 'topology-sidecar.apps.svc' }, 'h');
    expect(env.ok && env.config).to.deep.include({ tlsCa: undefined, tlsServerName: 'topology-sidecar.apps.svc' });
    const plain = parseConfig([], {}, 'h');
    expect(plain.ok && plain.config).to.deep.include({ tlsCert: undefined, tlsServerName: undefined });
  });

  it('re-reads the token file every minute by default, or as often as --token-refresh-ms / TOKEN_REFRESH_MS says', () => {
    const byDefault = parseConfig(['--token-file', 'token'], {}, 'h');
    expect(byDefault.ok && byDefault.config.tokenRefreshMs).to.equal(DEFAULT_TOKEN_REFRESH_MS);
    expect(DEFAULT_TOKEN_REFRESH_MS).to.equal(60_000);
    const env = parseConfig([], { TOKEN_FILE: 'token', TOKEN_REFRESH_MS: '300' }, 'h');
    expect(env.ok && env.config.tokenRefreshMs).to.equal(300);
    expect(USAGE).to.match(/one token per\s+line, the first is sent and every one accepted/);
  });

  it('re-reads the TLS files every minute by default, or as often as --tls-refresh-ms / TLS_REFRESH_MS says', () => {
    const byDefault = parseConfig(['--tls-cert', 'tls.crt', '--tls-key', 'tls.key'], {}, 'h');
    expect(byDefault.ok && byDefault.config.tlsRefreshMs).to.equal(DEFAULT_TLS_REFRESH_MS);
    expect(DEFAULT_TLS_REFRESH_MS).to.equal(60_000);
    const flag = parseConfig(['--tls-cert', 'tls.crt', '--tls-key', 'tls.key', '--tls-refresh-ms', '5000'], {}, 'h');
    expect(flag.ok && flag.config.tlsRefreshMs).to.equal(5000);
    const env = parseConfig(['--tls-cert', 'tls.crt', '--tls-key', 'tls.key'], { TLS_REFRESH_MS: '250' }, 'h');
    expect(env.ok && env.config.tlsRefreshMs).to.equal(250);
  });

  it('accepts server-side TLS without a CA, and says in --help that peers are then verified with the system roots', () => {
    const r = parseConfig(['--tls-cert', 'tls.crt', '--tls-key', 'tls.key'], {}, 'h');
    expect(r.ok && r.config.tlsCa).to.equal(undefined);
    expect(USAGE).to.match(/without --tls-ca peers are verified with the\s+system roots/);
    expect(USAGE).to.include('--tls-server-name NAME');
  });

  it('verifies Peer channels against the server name, when one is given', () => {
    expect(peerChannelOptions({ tlsServerName: undefined })).to.deep.equal({});
    expect(peerChannelOptions({ tlsServerName: 'topology-sidecar.apps.svc' })).to.deep.equal({
      'grpc.ssl_target_name_override': 'topology-sidecar.apps.svc',
      'grpc.default_authority': 'topology-sidecar.apps.svc',
    });
  });

  it('has byte limits that a 256 MiB container holds by default, and takes them from flags', () => {
    const d = parseConfig([], {}, 'h');
    expect(d.ok && d.config).to.deep.include({
      linkQueueBytes: 4 << 20,
      queueBytes: 64 << 20,
      futureFrameBytes: 16 << 20,
      subscriberBufferBytes: 8 << 20,
      bufferBytes: DEFAULT_BUFFER_BYTES,
    });
    expect(DEFAULT_BUFFER_BYTES).to.be.at.most(128 << 20);
    const f = parseConfig(
      ['--link-queue-bytes', '2097152', '--queue-bytes', '8388608', '--future-frame-bytes', '4194304', '--buffer-bytes', '16777216'],
      {},
      'h',
    );
    expect(f.ok && f.config).to.deep.include({ linkQueueBytes: 2 << 20, queueBytes: 8 << 20, futureFrameBytes: 4 << 20, bufferBytes: 16 << 20 });
    expect(USAGE).to.include('--buffer-bytes N');
  });

  it('recognises loopback addresses', () => {
    expect(isLoopback('127.42.3.4')).to.equal(true);
    expect(isLoopback('::1')).to.equal(true);
    expect(isLoopback('10.0.0.1')).to.equal(false);
  });
});

describe('sidecar config: --tag', () => {
  it('takes repeated --tag KEY=VALUE flags', () => {
    const r = parseConfig(['--tag', 'zone=eu-1', '--tag=tier=gold', '--tag', 'example.com/team=chat ops'], {}, 'h');
    expect(r.ok && r.config.tags).to.deep.equal({ zone: 'eu-1', tier: 'gold', 'example.com/team': 'chat ops' });
    expect(parseConfig([], {}, 'h').ok && (parseConfig([], {}, 'h') as { config: { tags: object } }).config.tags).to.deep.equal({});
  });

  it('refuses a bad key, an over-long value, a missing = and a repeated key, naming the flag', () => {
    const error = (argv: string[]): string => {
      const r = parseConfig(argv, {}, 'h');
      return r.ok ? '' : r.error;
    };
    expect(error(['--tag', 'bad key=v'])).to.contain('--tag key "bad key" is not a label key');
    expect(error(['--tag', `k=${'v'.repeat(257)}`])).to.equal('--tag k: value of 257 characters exceeds the limit of 256');
    expect(error(['--tag', 'novalue'])).to.equal('--tag must be KEY=VALUE, got "novalue"');
    expect(error(['--tag', 'k=1', '--tag', 'k=2'])).to.equal('--tag k is given twice');
  });
});
