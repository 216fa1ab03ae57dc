// bench:peers end to end at 5 members: our FullMesh and HyParView sidecars and memberlist agents
// converge, carry the same broadcasts, lose 20 % of their processes, and the JSON has every field
// of the rows with sane values. Builds the memberlist agent through the project script
// when the cache lacks it (~30 s cold, cached after).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRoot } from '../../src/paths.js';

const PEERS = join(buildRoot(), 'bench', 'peers.js');
/** The row fields, all numbers. */
const NUMERIC_FIELDS = [
  'nodes',
  'convergeSeconds',
  'idleCpuMsPerSecPerMember',
  'cpuMsPerDelivery',
  'broadcastP50Ms',
  'broadcastP99Ms',
  'rssMiBPerMember',
  'privateMiBPerMember',
  'reliabilityAfter20pctCrash',
] as const;

interface Result {
  rows: (Record<(typeof NUMERIC_FIELDS)[number] | 'broadcastsSent' | 'deliveries', number> & { system: string; version?: string })[];
  lone: { system: string; rssMiBPerMember: number; privateMiBPerMember: number }[];
  ratios: { system: string; idleCpu: number | null; broadcastP99: number | null; cpuPerDelivery: number | null }[];
  memberlistVersion: string;
}

describe('bench:peers at 5 members (integration; builds the memberlist agent on first run, ~30 s)', function () {
  this.timeout(120_000);
  let dir = '';
  let result: Result;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-peers-'));
    const out = join(dir, 'peers.json');
    const args = ['--nodes', '5', '--out', out, '--quiet-seconds', '0.5', '--idle-seconds', '1', '--warmup-seconds', '0', '--traffic-seconds', '2'];
    args.push('--settle-seconds', '5', '--crash-broadcasts', '5');
    const child = spawn(process.execPath, [PEERS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, log).to.equal(0);
    result = JSON.parse(readFileSync(out, 'utf8')) as Result;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has a row per system with every field, converged and delivering', () => {
    expect(result.rows.map((r) => r.system)).to.deep.equal(['FullMesh', 'HyParView', 'memberlist']);
    for (const r of result.rows) {
      for (const f of NUMERIC_FIELDS) expect(r[f], `${r.system}.${f}`).to.be.a('number').and.to.be.at.least(0);
      expect(r.nodes).to.equal(5);
      expect(r.convergeSeconds, r.system).to.be.greaterThan(0);
      expect(r.broadcastsSent, r.system).to.be.greaterThan(0);
      expect(r.deliveries, r.system).to.be.greaterThan(0);
      expect(r.broadcastP99Ms, r.system).to.be.at.least(r.broadcastP50Ms);
      expect(r.rssMiBPerMember, r.system).to.be.at.least(r.privateMiBPerMember).and.greaterThan(0);
      expect(r.reliabilityAfter20pctCrash, r.system).to.be.within(0, 1);
    }
    expect(result.memberlistVersion).to.match(/^memberlist v\d+\.\d+\.\d+ /);
  });

  it('reports the lone members and the ratios against memberlist', () => {
    expect(result.lone.map((l) => l.system)).to.deep.equal(['sidecar-lone', 'memberlist-lone', 'node-floor']);
    for (const l of result.lone) expect(l.privateMiBPerMember, l.system).to.be.greaterThan(0).and.at.most(l.rssMiBPerMember);
    expect(result.ratios.map((r) => r.system)).to.deep.equal(['FullMesh', 'HyParView']);
    for (const r of result.ratios) expect(r.broadcastP99, r.system).to.be.a('number').and.greaterThan(0);
  });
});
