import { expect } from 'chai';
import { parseConfig, DEFAULT_PEER_PORT, isLoopback } from '../../../src/sidecar/config.js';
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
    [['--log-level', 'loud'], /log-level/],
    [['--frobnicate', '1'], /unknown flag/],
    [['--pod-ip'], /needs a value/],
    [['--pod-ip', 'not-an-ip'], /IP address/],
    [['stray'], /unexpected argument/],
  ] as const) {
    it(`rejects ${argv.join(' ')} with a clear message`, () => {
      const r = parseConfig(argv, {}, 'h');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error).to.match(pattern);
    });
  }

  it('recognises loopback addresses', () => {
    expect(isLoopback('127.42.3.4')).to.equal(true);
    expect(isLoopback('::1')).to.equal(true);
    expect(isLoopback('10.0.0.1')).to.equal(false);
  });
});
