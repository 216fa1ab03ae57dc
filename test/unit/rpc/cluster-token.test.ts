import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ClusterToken, parseClusterTokens, readClusterTokenFile, watchClusterTokenFile, type TokenFileChange } from '../../../src/rpc/cluster-token.js';
import { checkToken, tokenMetadata } from '../../../src/rpc/auth.js';
import { waitUntil } from '../../../src/fleet/app-traffic.js';

describe('cluster token (rotatable)', () => {
  it('reads one token per line, ignoring blank lines, surrounding spaces and CRLF', () => {
    expect(parseClusterTokens('abc\n')).to.deep.equal(['abc']);
    expect(parseClusterTokens('  new \r\n\r\nold\n\n')).to.deep.equal(['new', 'old']);
    expect(parseClusterTokens(' \n\n')).to.deep.equal([]);
  });

  it('sends the first token and accepts every listed one, nothing else', () => {
    const t = new ClusterToken(['new', 'old']);
    expect(t.send).to.equal('new');
    expect(t.accepts('new')).to.equal(true);
    expect(t.accepts('old')).to.equal(true);
    expect(t.accepts('ol')).to.equal(false);
    expect(t.accepts('')).to.equal(false);
    expect(t.accepts('newer')).to.equal(false);
    expect(checkToken(tokenMetadata('old'), t).ok).to.equal(true);
    expect(checkToken(tokenMetadata('other'), t)).to.deep.equal({ ok: false, reason: 'invalid cluster token' });
    const raw = new grpc.Metadata();
    raw.set('authorization', 'old');
    expect(checkToken(raw, t).ok, 'the Bearer scheme is required').to.equal(false);
    expect(() => new ClusterToken([])).to.throw(/a cluster token is needed/);
  });

  it('replaces its tokens in place and says whether they changed', () => {
    const t = new ClusterToken(['old']);
    expect(t.replace(['old'])).to.equal(false);
    expect(t.replace(['old', 'new'])).to.equal(true);
    expect(t.accepts('new')).to.equal(true);
    expect(t.replace(['new'])).to.equal(true);
    expect(t.accepts('old')).to.equal(false);
    expect(t.send).to.equal('new');
  });

  describe('token file', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'topology-token-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses a missing or empty file at start, naming it', () => {
      expect(() => readClusterTokenFile(join(dir, 'none'), '--token-file')).to.throw(/cannot read --token-file .*none/);
      writeFileSync(join(dir, 'empty'), '\n \n');
      expect(() => readClusterTokenFile(join(dir, 'empty'), '--token-file')).to.throw(/--token-file .*empty is empty/);
    });

    it('picks up a rotated file, and keeps the current tokens while the file is missing or empty', async () => {
      const file = join(dir, 'token');
      writeFileSync(file, 'old\n');
      const token = readClusterTokenFile(file, 'token file');
      const changes: TokenFileChange[] = [];
      const stop = watchClusterTokenFile(file, token, 20, (c) => changes.push(c));
      try {
        writeFileSync(file, 'old\nnew\n');
        await waitUntil("token.accepts('new')", () => token.accepts('new'), 5_000, 10);
        expect(token.send).to.equal('old');
        writeFileSync(file, 'new\nold\n');
        await waitUntil("token.send === 'new'", () => token.send === 'new', 5_000, 10);
        unlinkSync(file);
        await waitUntil("changes.some((c) => 'error' in c)", () => changes.some((c) => 'error' in c), 5_000, 10);
        expect(token.accepts('old') && token.accepts('new'), 'a missing file changes nothing').to.equal(true);
        writeFileSync(file, '\n');
        await waitUntil(
          "changes.some((c) => 'error' in c && c.error.includes('is empty'))",
          () => changes.some((c) => 'error' in c && c.error.includes('is empty')),
          5_000,
          10,
        );
        writeFileSync(file, 'new\n');
        await waitUntil("!token.accepts('old')", () => !token.accepts('old'), 5_000, 10);
        expect(changes.filter((c) => 'accepted' in c)).to.deep.equal([{ accepted: 2 }, { accepted: 2 }, { accepted: 1 }]);
      } finally {
        stop();
      }
    });
  });
});
