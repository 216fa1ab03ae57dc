import { expect } from 'chai';
import type { V1Secret } from '@kubernetes/client-node';
import * as grpc from '@grpc/grpc-js';
import { ControlVerifier, MAX_SIGNATURE_AGE_MS, deriveControlSigner, parsePublicKeyLines } from '../../../src/rpc/control-credential.js';
import {
  CONTROL_PUBLIC_KEY_KEY,
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

/** The metadata of a call signed by `signer` for `method` to `audience`. */
function signed(signer: ReturnType<typeof deriveControlSigner>, method: string, audience: string, fencing?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (fencing !== undefined) md.set('x-topology-fencing', fencing);
  for (const [k, v] of signer.sign(method, audience, fencing)) md.set(k, v);
  return md;
}

describe('control credential (src/rpc/control-credential.ts)', () => {
  it('derives one key pair per resource uid and per operator key, deterministically', () => {
    const a = deriveControlSigner(KEY_A, 'uid-1');
    expect(a.publicKey).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(deriveControlSigner(KEY_A, 'uid-1').publicKey).to.equal(a.publicKey);
    expect(deriveControlSigner(KEY_A, 'uid-2').publicKey).to.not.equal(a.publicKey);
    expect(deriveControlSigner(KEY_B, 'uid-1').publicKey).to.not.equal(a.publicKey);
  });

  it('accepts a call signed for this sidecar; refuses another key, another address, another method, a changed fencing token, a replay, a stale call', () => {
    let now = 1_000_000;
    const clock = (): number => now;
    const signer = deriveControlSigner(KEY_A, 'uid-1', clock);
    const v = new ControlVerifier([signer.publicKey], clock);
    const me = '10.0.0.1:7070';
    expect(v.check(signed(signer, 'Abort', me, '3/op-0_1'), 'Abort', me)).to.deep.equal({ ok: true });
    const refusal = (md: grpc.Metadata, method = 'Abort', audience = me): string => {
      const r = v.check(md, method, audience);
      return r.ok ? 'accepted' : r.reason;
    };
    expect(refusal(signed(deriveControlSigner(KEY_A, 'uid-2', clock), 'Abort', me))).to.match(/invalid Control signature/);
    // What a member saw on its own call cannot be used on a peer, nor for another method.
    expect(refusal(signed(signer, 'Abort', '10.0.0.2:7070'))).to.match(/invalid Control signature/);
    expect(refusal(signed(signer, 'GetState', me), 'Abort')).to.match(/invalid Control signature/);
    const md = signed(signer, 'Commit', me, '3/op-0_1');
    md.set('x-topology-fencing', '9/op-1_2');
    expect(refusal(md, 'Commit')).to.match(/invalid Control signature/);
    const once = signed(signer, 'Route', me);
    expect(refusal(once, 'Route')).to.equal('accepted');
    expect(refusal(once, 'Route')).to.match(/replayed Control call/);
    const old = signed(signer, 'Prepare', me);
    now += MAX_SIGNATURE_AGE_MS + 1;
    expect(refusal(old, 'Prepare')).to.match(/stale or from the future/);
    expect(refusal(new grpc.Metadata())).to.match(/must be signed by the operator/);
  });

  it('replaces its keys in place (rotation) and refuses public key lines that are not Ed25519 keys, naming the line', () => {
    const a = deriveControlSigner(KEY_A, 'uid-1');
    const b = deriveControlSigner(KEY_B, 'uid-1');
    const v = new ControlVerifier([a.publicKey]);
    expect(v.replace([a.publicKey])).to.equal(false);
    expect(v.replace([b.publicKey, a.publicKey])).to.equal(true);
    expect(v.check(signed(b, 'Route', 'x:1'), 'Route', 'x:1')).to.deep.equal({ ok: true });
    expect(v.check(signed(a, 'Route', 'x:1'), 'Route', 'x:1')).to.deep.equal({ ok: true });
    expect(parsePublicKeyLines(`${a.publicKey}\n\n${b.publicKey}\n`)).to.have.length(2);
    expect(() => parsePublicKeyLines(`${a.publicKey}\nnot-a-key\n`)).to.throw('line 2 is not an Ed25519 public key (43 base64url characters)');
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
    const keys = parsePublicKeyLines(text(plan.secret, CONTROL_PUBLIC_KEY_KEY));
    expect(keys).to.deep.equal([deriveControlSigner(KEY_A, 'uid-1').publicKey, deriveControlSigner(KEY_B, 'uid-1').publicKey]);
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
    expect(parsePublicKeyLines(text(plan.secret, CONTROL_PUBLIC_KEY_KEY))[0]).to.equal(deriveControlSigner(KEY_B, 'uid-1').publicKey);
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

  it("resolves the derived Control signer, writing the Secret only when it is missing or stale; the Secret's public key verifies its calls", async () => {
    let now = 0;
    const store = memoryStore();
    const keys = new OperatorKeyStore(store, 'ops', 'op-key', () => now);
    const credentials = new MemberCredentials(keys, store, () => now);
    const r = await credentials.resolve(owner);
    const key = (await keys.keys())[0] as string;
    if (!r.ok || r.credential.kind !== 'signed') throw new Error(`expected a signer, got ${JSON.stringify(r)}`);
    expect(r.credential.signer.publicKey).to.equal(deriveControlSigner(key, 'uid-1').publicKey);
    await credentials.resolve(owner);
    now += CREDENTIALS_CACHE_MS;
    await credentials.resolve(owner);
    expect(store.writes).to.deep.equal(['create ops/op-key', 'create apps/chat-sidecar-credentials']);
    const secret = (await store.get('apps', 'chat-sidecar-credentials')) as V1Secret;
    const verifier = new ControlVerifier(parsePublicKeyLines(text(secret, CONTROL_PUBLIC_KEY_KEY)));
    expect(verifier.check(signed(r.credential.signer, 'Commit', '10.0.0.1:7070'), 'Commit', '10.0.0.1:7070')).to.deep.equal({ ok: true });
    const other = await credentials.resolve({ namespace: 'apps', name: 'other', uid: 'uid-9' });
    expect(other.ok && other.credential.kind === 'signed' && other.credential.signer.publicKey).to.not.equal(r.credential.signer.publicKey);
  });
});
