import { expect } from 'chai';
import type { V1Secret } from '@kubernetes/client-node';
import { ControlVerifier, controlTokenDigest, deriveControlToken, parseDigestLines } from '../../../src/rpc/control-credential.js';
import {
  CONTROL_DIGESTS_KEY,
  CREDENTIALS_CACHE_MS,
  CREDENTIALS_SECRET_TYPE,
  MemberCredentials,
  PEER_TOKEN_KEY,
  credentialsSecretName,
  planCredentialsSecret,
} from '../../../src/operator/sidecars/member-credentials.js';
import { OPERATOR_KEY_DATA_KEY, OperatorKeyStore, parseOperatorKeys } from '../../../src/operator/sidecars/operator-key.js';
import type { SecretStore } from '../../../src/operator/sidecars/secret-store.js';

const KEY_A = 'a'.repeat(44);
const KEY_B = 'b'.repeat(44);
const owner = { namespace: 'apps', name: 'chat', uid: 'uid-1' };
const text = (s: V1Secret, key: string): string => Buffer.from(s.data?.[key] ?? '', 'base64').toString('utf8');

/** Secrets in memory with the API server's create/replace semantics (409 on an existing name or a stale resourceVersion). */
function memoryStore(): SecretStore & { writes: string[] } {
  const objects = new Map<string, V1Secret>();
  let version = 0;
  const conflict = (): Error => Object.assign(new Error('conflict'), { code: 409 });
  const writes: string[] = [];
  return {
    writes,
    get: async (ns, name) => structuredClone(objects.get(`${ns}/${name}`)),
    create: async (ns, s) => {
      const key = `${ns}/${s.metadata?.name}`;
      if (objects.has(key)) throw conflict();
      const stored = { ...structuredClone(s), metadata: { ...s.metadata, resourceVersion: String(++version) } };
      objects.set(key, stored);
      writes.push(`create ${key}`);
      return stored;
    },
    replace: async (ns, s) => {
      const key = `${ns}/${s.metadata?.name}`;
      if (objects.get(key)?.metadata?.resourceVersion !== s.metadata?.resourceVersion) throw conflict();
      const stored = { ...structuredClone(s), metadata: { ...s.metadata, resourceVersion: String(++version) } };
      objects.set(key, stored);
      writes.push(`replace ${key}`);
      return stored;
    },
  };
}

describe('control credential (src/rpc/control-credential.ts)', () => {
  it('derives a different token per resource uid and per key, and the verifier accepts only the tokens whose digests it holds', () => {
    const t1 = deriveControlToken(KEY_A, 'uid-1');
    expect(t1).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(deriveControlToken(KEY_A, 'uid-2')).to.not.equal(t1);
    expect(deriveControlToken(KEY_B, 'uid-1')).to.not.equal(t1);
    const v = new ControlVerifier([controlTokenDigest(t1)]);
    expect(v.accepts(t1)).to.equal(true);
    expect(v.accepts(controlTokenDigest(t1))).to.equal(false);
    expect(v.accepts(deriveControlToken(KEY_A, 'uid-2'))).to.equal(false);
    expect(v.replace([controlTokenDigest(t1)])).to.equal(false);
    expect(v.replace([controlTokenDigest('other')])).to.equal(true);
    expect(v.accepts(t1)).to.equal(false);
  });

  it('refuses digest lines that are not SHA-256 hex, naming the line', () => {
    expect(parseDigestLines(`${'0'.repeat(64)}\n\n${'f'.repeat(64)}\n`)).to.have.length(2);
    expect(() => parseDigestLines(`${'0'.repeat(64)}\nnot-a-digest\n`)).to.throw('line 2 is not a SHA-256 digest (64 lowercase hex characters)');
  });
});

describe('member credentials (operator-managed Secret per ClusterTopology)', () => {
  it('names the Secret after the resource, shortened with a hash within 253 characters', () => {
    expect(credentialsSecretName('chat')).to.equal('chat-sidecar-credentials');
    const long = credentialsSecretName('x'.repeat(250));
    expect(long.length).to.be.at.most(253);
    expect(long).to.match(/^x+-[0-9a-f]{8}-sidecar-credentials$/);
  });

  it('creates the Secret owned by the resource with a random Peer token and the digests of every key, then leaves it alone', () => {
    const plan = planCredentialsSecret(owner, undefined, [KEY_A, KEY_B], () => 'peer-1');
    expect(plan.action).to.equal('create');
    if (plan.action !== 'create') return;
    expect(plan.secret.type).to.equal(CREDENTIALS_SECRET_TYPE);
    expect(plan.secret.metadata?.ownerReferences).to.deep.equal([
      { apiVersion: 'topology.foundation.dev/v1alpha1', kind: 'ClusterTopology', name: 'chat', uid: 'uid-1', controller: true },
    ]);
    expect(text(plan.secret, PEER_TOKEN_KEY)).to.equal('peer-1\n');
    const digests = parseDigestLines(text(plan.secret, CONTROL_DIGESTS_KEY));
    expect(digests).to.deep.equal([controlTokenDigest(deriveControlToken(KEY_A, 'uid-1')), controlTokenDigest(deriveControlToken(KEY_B, 'uid-1'))]);
    expect(planCredentialsSecret(owner, plan.secret, [KEY_A, KEY_B], () => 'peer-2')).to.deep.equal({ action: 'none' });
  });

  it('rewrites the digests when the keys change but keeps the Peer token as the user wrote it (rotation)', () => {
    const created = planCredentialsSecret(owner, undefined, [KEY_A], () => 'peer-1');
    if (created.action !== 'create') throw new Error('expected create');
    const edited: V1Secret = { ...created.secret, data: { ...created.secret.data, [PEER_TOKEN_KEY]: Buffer.from('old\nnew\n').toString('base64') } };
    const plan = planCredentialsSecret(owner, edited, [KEY_B, KEY_A], () => 'unused');
    expect(plan.action).to.equal('replace');
    if (plan.action !== 'replace') return;
    expect(text(plan.secret, PEER_TOKEN_KEY)).to.equal('old\nnew\n');
    expect(parseDigestLines(text(plan.secret, CONTROL_DIGESTS_KEY))[0]).to.equal(controlTokenDigest(deriveControlToken(KEY_B, 'uid-1')));
  });

  it('refuses to take over a Secret of that name that is another type or belongs to another resource', () => {
    const created = planCredentialsSecret(owner, undefined, [KEY_A], () => 'p');
    if (created.action !== 'create') throw new Error('expected create');
    const opaque = planCredentialsSecret(owner, { ...created.secret, type: 'Opaque' }, [KEY_A], () => 'p');
    expect(opaque).to.deep.include({ action: 'refuse' });
    const foreign = planCredentialsSecret({ ...owner, uid: 'uid-2' }, created.secret, [KEY_A], () => 'p');
    expect(foreign).to.deep.equal({
      action: 'refuse',
      message:
        "Secret apps/chat-sidecar-credentials belongs to another ClusterTopology (no ownerReference to uid uid-2); delete it so the operator can create this one's",
    });
  });

  it("the operator key is created once (a second replica reads the first one's), read back, and cached for a minute", async () => {
    let now = 0;
    const store = memoryStore();
    const first = new OperatorKeyStore(store, 'ops', 'op-key', () => now);
    const second = new OperatorKeyStore(store, 'ops', 'op-key', () => now);
    const [a, b] = await Promise.all([first.keys(), second.keys()]);
    expect(a).to.deep.equal(b);
    expect((a[0] as string).length).to.be.at.least(32);
    expect(store.writes).to.deep.equal(['create ops/op-key']);
    expect(() => parseOperatorKeys('short\n', 'Secret ops/op-key')).to.throw('Secret ops/op-key line 1 is shorter than 32 characters');
    const stored = await store.get('ops', 'op-key');
    await store.replace('ops', { ...stored, data: { [OPERATOR_KEY_DATA_KEY]: Buffer.from(`${KEY_B}\n${a[0]}\n`).toString('base64') } });
    expect(await first.keys()).to.deep.equal(a);
    now += 60_000;
    expect(await first.keys()).to.deep.equal([KEY_B, a[0]]);
  });

  it('resolves the derived Control token, writing the Secret only when it is missing or stale', async () => {
    let now = 0;
    const store = memoryStore();
    const keys = new OperatorKeyStore(store, 'ops', 'op-key', () => now);
    const credentials = new MemberCredentials(keys, store, () => now);
    const r = await credentials.resolve(owner);
    const key = (await keys.keys())[0] as string;
    expect(r).to.deep.equal({ ok: true, token: deriveControlToken(key, 'uid-1') });
    await credentials.resolve(owner);
    now += CREDENTIALS_CACHE_MS;
    await credentials.resolve(owner);
    expect(store.writes).to.deep.equal(['create ops/op-key', 'create apps/chat-sidecar-credentials']);
    const secret = (await store.get('apps', 'chat-sidecar-credentials')) as V1Secret;
    expect(new ControlVerifier(parseDigestLines(text(secret, CONTROL_DIGESTS_KEY))).accepts(r.ok ? (r.token as string) : '')).to.equal(true);
    const other = await credentials.resolve({ namespace: 'apps', name: 'other', uid: 'uid-9' });
    expect(other.ok && other.token).to.not.equal(r.ok && r.token);
  });
});
