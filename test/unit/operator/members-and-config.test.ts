import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import type { ClusterTopology } from '../../../src/api/types.js';
import { memberPods, memberRelevantChange, topologiesSelecting } from '../../../src/operator/reconcile/members.js';
import { DEFAULT_HEALTH_PORT, DEFAULT_METRICS_PORT, parseOperatorConfig, DEFAULT_CREDENTIALS_SECRET } from '../../../src/operator/config.js';
import { DEFAULT_TLS_REFRESH_MS } from '../../../src/rpc/tls-files.js';

/** A pod of app `chat` in namespace `ns`, Ready with an IP unless told otherwise. */
function pod(
  name: string,
  opts: {
    ip?: string;
    ready?: boolean;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deleting?: boolean;
    phase?: string;
    /** The Ready condition's lastTransitionTime. */
    readyChangedAt?: Date;
  } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      labels: opts.labels ?? { app: 'chat' },
      annotations: opts.annotations,
      deletionTimestamp: opts.deleting ? new Date(0) : undefined,
    },
    status: {
      phase: opts.phase ?? 'Running',
      podIP: opts.ip === undefined ? `127.0.1.${name.length}` : opts.ip,
      conditions: [
        {
          type: 'Ready',
          status: opts.ready === false ? 'False' : 'True',
          ...(opts.readyChangedAt !== undefined ? { lastTransitionTime: opts.readyChangedAt } : {}),
        },
      ],
    },
  };
}

const spec = applyDefaults({ selector: { matchLabels: { app: 'chat' } }, mode: 'Manual', topology: 'FullMesh' });
const NOW = new Date('2026-12-02T12:00:00Z');

describe('memberPods', () => {
  it('selects matching pods, sorted by name, with the sidecar address from the spec port', () => {
    const members = memberPods(spec, [pod('chat-1', { ip: '127.0.1.2' }), pod('chat-0', { ip: '127.0.1.1' }), pod('other', { labels: { app: 'db' } })], NOW);
    expect(members.map((m) => m.name)).to.deep.equal(['chat-0', 'chat-1']);
    expect(members[0]?.address).to.equal(`127.0.1.1:${spec.sidecar.port}`);
    expect(members.every((m) => m.podReady)).to.equal(true);
  });

  it('honours the per-pod sidecar port annotation', () => {
    const [m] = memberPods(spec, [pod('chat-0', { ip: '127.0.1.1', annotations: { 'topology.foundation.dev/sidecar-port': '9000' } })], NOW);
    expect(m?.address).to.equal('127.0.1.1:9000');
  });

  it('leaves out terminating and finished pods, and marks pods without an IP or readiness as not ready', () => {
    const members = memberPods(
      spec,
      [pod('chat-0', { deleting: true }), pod('chat-1', { phase: 'Failed' }), pod('chat-2', { ip: '' }), pod('chat-3', { ready: false })],
      NOW,
    );
    expect(members.map((m) => [m.name, m.podReady, m.address !== undefined])).to.deep.equal([
      ['chat-2', false, false],
      ['chat-3', false, true],
    ]);
  });
});

describe('memberPods: the NotReady grace (spec.memberReadiness.notReadyGraceSeconds)', () => {
  const at = (secondsAgo: number): Date => new Date(NOW.getTime() - secondsAgo * 1000);
  it('keeps a pod that turned NotReady within the grace as a graced candidate, until the condition time plus the grace', () => {
    const [m] = memberPods(spec, [pod('chat-0', { ready: false, readyChangedAt: at(5) })], NOW);
    expect(m).to.deep.include({ podReady: false, graceUntilMs: at(5).getTime() + spec.memberReadiness.notReadyGraceSeconds * 1000 });
  });

  it('drops the grace once it ran out, when it is 0, and when the condition has no transition time', () => {
    const grace = spec.memberReadiness.notReadyGraceSeconds;
    const none = applyDefaults({ ...spec, memberReadiness: { notReadyGraceSeconds: 0 } });
    expect(memberPods(spec, [pod('chat-0', { ready: false, readyChangedAt: at(grace + 1) })], NOW)[0]?.graceUntilMs).to.equal(undefined);
    expect(memberPods(none, [pod('chat-0', { ready: false, readyChangedAt: at(1) })], NOW)[0]?.graceUntilMs).to.equal(undefined);
    expect(memberPods(spec, [pod('chat-0', { ready: false })], NOW)[0]?.graceUntilMs).to.equal(undefined);
  });

  it('gives no grace to a Ready pod or one without an IP', () => {
    const members = memberPods(spec, [pod('chat-0', { readyChangedAt: at(1) }), pod('chat-1', { ip: '', ready: false, readyChangedAt: at(1) })], NOW);
    expect(members.map((m) => m.graceUntilMs)).to.deep.equal([undefined, undefined]);
  });
});

describe('topologiesSelecting', () => {
  it('maps a pod to the topologies of its own namespace whose selector matches it', () => {
    const topo = (name: string, namespace: string, app: string): ClusterTopology => ({
      apiVersion: 'topology.foundation.dev/v1alpha1',
      kind: 'ClusterTopology',
      metadata: { name, namespace },
      spec: { selector: { matchLabels: { app } }, mode: 'Manual', topology: 'FullMesh' },
    });
    const keys = topologiesSelecting(pod('chat-0'), [topo('a', 'ns', 'chat'), topo('b', 'other', 'chat'), topo('c', 'ns', 'db')]);
    expect(keys).to.deep.equal([{ namespace: 'ns', name: 'a' }]);
  });
});

describe('memberRelevantChange', () => {
  it('ignores updates that change nothing membership depends on and sees readiness flips', () => {
    const before = pod('chat-0', { ip: '127.0.1.1' });
    expect(memberRelevantChange(before, pod('chat-0', { ip: '127.0.1.1' }))).to.equal(false);
    expect(memberRelevantChange(before, pod('chat-0', { ip: '127.0.1.1', ready: false }))).to.equal(true);
    expect(memberRelevantChange(before, pod('chat-0', { ip: '127.0.1.9' }))).to.equal(true);
    expect(memberRelevantChange(undefined, before)).to.equal(true);
  });
});

describe('parseOperatorConfig', () => {
  it('applies documented defaults and takes the identity from POD_NAME', () => {
    const r = parseOperatorConfig([], { POD_NAME: 'op-0', POD_NAMESPACE: 'system' }, 'host');
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.config.metricsPort).to.equal(DEFAULT_METRICS_PORT);
    expect(r.config.healthPort).to.equal(DEFAULT_HEALTH_PORT);
    expect(r.config.leaderElect).to.equal(true);
    expect(r.config.leaseNamespace).to.equal('system');
    expect(r.config.identity).to.equal('op-0');
    expect(r.config.namespaces).to.deep.equal([]);
    expect(r.config.credentialsSecret).to.equal(DEFAULT_CREDENTIALS_SECRET);
    expect(r.config.credentialsNamespace).to.equal('system');
    const named = parseOperatorConfig(['--credentials-secret', 'op-key', '--credentials-namespace', 'ops'], {}, 'host');
    expect(named.ok && [named.config.credentialsSecret, named.config.credentialsNamespace]).to.deep.equal(['op-key', 'ops']);
    const bad = parseOperatorConfig(['--credentials-secret', 'Not_A_Name'], {}, 'host');
    expect(!bad.ok && bad.error).to.equal('--credentials-secret: "Not_A_Name" is not a valid object name');
  });

  it('calls sidecars in plaintext by default, over TLS with a CA, with a client certificate, a server name and a refresh interval when given (flags or environment)', () => {
    const plain = parseOperatorConfig([], {}, 'host');
    expect(plain.ok && plain.config.sidecarTls).to.equal(undefined);
    const tls = parseOperatorConfig(
      ['--sidecar-tls-ca-file', '/tls/ca.crt', '--sidecar-tls-server-name', 'topology-sidecar.apps.svc'],
      { SIDECAR_TLS_CERT_FILE: '/tls/tls.crt', SIDECAR_TLS_KEY_FILE: '/tls/tls.key' },
      'host',
    );
    expect(tls.ok && tls.config.sidecarTls).to.deep.equal({
      caFile: '/tls/ca.crt',
      certFile: '/tls/tls.crt',
      keyFile: '/tls/tls.key',
      serverName: 'topology-sidecar.apps.svc',
      refreshMs: DEFAULT_TLS_REFRESH_MS,
    });
    const fast = parseOperatorConfig(['--sidecar-tls-ca-file', '/tls/ca.crt'], { SIDECAR_TLS_REFRESH_MS: '500' }, 'host');
    expect(fast.ok && fast.config.sidecarTls?.refreshMs).to.equal(500);
  });

  it('reads both --flag value and --flag=value forms', () => {
    const r = parseOperatorConfig(['--namespaces=a,b', '--concurrency', '8', '--leader-elect=false'], {}, 'host');
    expect(r.ok && r.config.namespaces).to.deep.equal(['a', 'b']);
    expect(r.ok && r.config.concurrency).to.equal(8);
    expect(r.ok && r.config.leaderElect).to.equal(false);
  });

  for (const [argv, message] of [
    [['--bogus', 'x'], /unknown flag --bogus/],
    [['--concurrency', '0'], /--concurrency must be a positive integer/],
    [['--namespaces', 'Bad_NS'], /not a valid namespace name/],
    [['--leader-elect', 'maybe'], /--leader-elect must be true or false/],
    [['--lease-duration-ms', '1000', '--renew-deadline-ms', '2000'], /must be greater than --renew-deadline-ms/],
    [['--metrics-port'], /needs a value/],
    [['--sidecar-tls-cert-file', 'c.crt'], /must be given together/],
    [['--sidecar-tls-cert-file', 'c.crt', '--sidecar-tls-key-file', 'c.key'], /need --sidecar-tls-ca-file/],
    [['--sidecar-tls-server-name', 'sidecar.ns.svc'], /need --sidecar-tls-ca-file/],
    [['--sidecar-tls-refresh-ms', '1000'], /need --sidecar-tls-ca-file/],
    [['--token-file', 't'], /unknown flag --token-file/],
    [['--credentials-namespace', 'Bad'], /--credentials-namespace: "Bad" is not a valid namespace name/],
    [['--sidecar-tls-ca-file', 'ca.crt', '--sidecar-tls-refresh-ms', '0'], /--sidecar-tls-refresh-ms must be a positive integer/],
    [['--sidecar-tls-ca-file', 'ca.crt', '--sidecar-tls-server-name', '*.ns.svc'], /must be a DNS name/],
  ] as const) {
    it(`refuses ${argv.join(' ')} with a message that says what to fix`, () => {
      const r = parseOperatorConfig(argv, {}, 'host');
      expect(r.ok).to.equal(false);
      if (r.ok) return;
      expect(r.help).to.equal(false);
      expect(r.error).to.match(message);
    });
  }
});
