import { expect } from 'chai';
import { findCondition } from '../../../src/operator/rollout/conditions.js';
import { SidecarPool } from '../../../src/operator/sidecars/pool.js';
import { SIDECAR_TOKEN_SECRET_TYPE, SidecarTokens, TOKEN_CACHE_MS, type SecretReader } from '../../../src/operator/sidecars/token.js';
import { tokenUnavailableStatus } from '../../../src/operator/sidecars/token-status.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Secrets in memory, counting reads. */
function secrets(store: Record<string, Record<string, string>>, type = SIDECAR_TOKEN_SECRET_TYPE): { read: SecretReader; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: async (namespace, name) => {
      reads.push(`${namespace}/${name}`);
      if (name === 'forbidden') throw Object.assign(new Error('HTTP-Code: 403\nMessage: Unsuccessful'), { code: 403 });
      const data = store[`${namespace}/${name}`];
      return data === undefined ? undefined : { type, data };
    },
  };
}

describe('sidecar token (spec.sidecar.tokenSecretRef)', () => {
  it('refuses a Secret of any other type, naming the type it needs, so a resource cannot harvest an unrelated Secret', async () => {
    const s = secrets({ 'apps/db': { token: b64('database-password') } }, 'Opaque');
    const r = await new SidecarTokens(s.read).resolve('apps', { name: 'db' });
    expect(r).to.deep.equal({
      ok: false,
      message: `Secret apps/db (spec.sidecar.tokenSecretRef) has type "Opaque"; only a Secret of type ${SIDECAR_TOKEN_SECRET_TYPE} may be named, so that a resource cannot send an unrelated Secret to its pods`,
    });
  });

  it('refuses a token that is not printable ASCII without printing it', async () => {
    const s = secrets({ 'apps/chat': { token: b64('s\u00e9cret-value') } });
    const r = await new SidecarTokens(s.read).resolve('apps', { name: 'chat' });
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.message).to.match(/token 1 has characters other than printable ASCII/);
    expect(!r.ok && r.message).to.not.include('cret-value');
  });

  it('reads the named key (default "token"), trims it, and caches it for TOKEN_CACHE_MS', async () => {
    let now = 0;
    const s = secrets({ 'apps/chat': { token: b64('s3cret\n'), other: b64('x') } });
    const tokens = new SidecarTokens(s.read, () => now);
    expect(await tokens.resolve('apps', { name: 'chat' })).to.deep.equal({ ok: true, credential: { kind: 'bearer', token: 's3cret' } });
    expect(await tokens.resolve('apps', { name: 'chat', key: 'other' })).to.deep.equal({ ok: true, credential: { kind: 'bearer', token: 'x' } });
    expect(await tokens.resolve('apps', { name: 'chat' })).to.deep.equal({ ok: true, credential: { kind: 'bearer', token: 's3cret' } });
    expect(s.reads).to.have.length(2);
    now += TOKEN_CACHE_MS;
    await tokens.resolve('apps', { name: 'chat' });
    expect(s.reads).to.have.length(3);
  });

  it('sends the first token of a value that lists several (a rotation in progress)', async () => {
    const s = secrets({ 'apps/chat': { token: b64('new-token\nold-token\n') } });
    const tokens = new SidecarTokens(s.read);
    expect(await tokens.resolve('apps', { name: 'chat' })).to.deep.equal({ ok: true, credential: { kind: 'bearer', token: 'new-token' } });
  });

  it('reports a missing Secret, a missing or empty key and a forbidden read as results, without caching them', async () => {
    const s = secrets({ 'apps/chat': { token: b64('  ') } });
    const tokens = new SidecarTokens(s.read);
    expect(await tokens.resolve('apps', { name: 'nope' })).to.deep.equal({ ok: false, message: 'Secret apps/nope (spec.sidecar.tokenSecretRef) not found' });
    expect(await tokens.resolve('apps', { name: 'chat', key: 'k' })).to.deep.equal({
      ok: false,
      message: 'Secret apps/chat (spec.sidecar.tokenSecretRef) has no key "k"',
    });
    expect(await tokens.resolve('apps', { name: 'chat' })).to.deep.equal({
      ok: false,
      message: 'Secret apps/chat (spec.sidecar.tokenSecretRef): key "token" is empty',
    });
    const forbidden = await tokens.resolve('apps', { name: 'forbidden' });
    expect(forbidden.ok).to.equal(false);
    expect(!forbidden.ok && forbidden.message).to.include('forbidden (the operator needs get on secrets');
    await tokens.resolve('apps', { name: 'nope' });
    expect(s.reads.filter((r) => r === 'apps/nope')).to.have.length(2);
  });

  it('status: Stalled=True, Ready=False, reason SidecarTokenUnavailable; the rest of the status is kept', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const msg = 'Secret apps/nope (spec.sidecar.tokenSecretRef) not found';
    const s = tokenUnavailableStatus({ currentTopology: 'FullMesh', epoch: 3, phase: 'Ready' }, 4, msg, now);
    expect(s).to.deep.include({ currentTopology: 'FullMesh', epoch: 3, phase: 'Degraded', observedGeneration: 4 });
    for (const [type, status] of [
      ['Ready', 'False'],
      ['Reconciling', 'False'],
      ['Stalled', 'True'],
    ] as const) {
      expect(findCondition(s.conditions, type)).to.deep.include({ status, reason: 'SidecarTokenUnavailable', message: msg, observedGeneration: 4 });
    }
    expect(tokenUnavailableStatus({}, 1, msg, now).phase).to.equal('Pending');
  });

  it('pool views per token share one client cache, with one client per (address, token)', () => {
    const pool = new SidecarPool({ token: 'a', concurrency: 1, timeoutMs: 100 });
    try {
      expect(pool.withToken('a')).to.equal(pool);
      const b = pool.withToken('b');
      const c1 = pool.client('127.0.0.1:1');
      const c2 = b.client('127.0.0.1:1');
      expect(c2).to.not.equal(c1);
      expect(b.client('127.0.0.1:1')).to.equal(c2);
      expect(pool.withToken('b').client('127.0.0.1:1')).to.equal(c2);
    } finally {
      pool.close();
    }
  });
});
