/**
 * The wire contract (proto/) passes buf's lint (STANDARD, with the exceptions buf.yaml lists and
 * justifies) and has no breaking change against the last released contract
 * (proto/buf-baseline.binpb, written by hack/update-proto-baseline.sh). buf comes from the
 * project's own build (hack/build-buf.sh: from source through the Go module proxy, pinned, cached
 * in ~/.cache/topology-operator; the first build is a one-off of a few minutes, done in `before`).
 * Each check also runs once on a copy of the contract with a planted defect, so a check that
 * passes without looking is caught.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';

/** The one-off build of buf (measured: 2 min 43 s on this 2-core machine with an empty module cache). */
const BUILD_TIMEOUT_MS = 15 * 60_000;

interface BufRun {
  readonly status: number | null;
  readonly output: string;
}

describe('wire contract: buf lint and buf breaking', function () {
  this.timeout(60_000);
  const root = packageRoot();
  let buf = '';
  let scratch = '';

  const run = (cwd: string, ...args: string[]): BufRun => {
    const r = spawnSync(buf, args, { cwd, encoding: 'utf8', timeout: 50_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
  };
  /** A copy of buf.yaml and proto/ in a temp dir, with `edit` applied to overlay.proto. */
  const plantedCopy = (edit: (overlay: string) => string): string => {
    const dir = mkdtempSync(join(scratch, 'copy-'));
    cpSync(join(root, 'buf.yaml'), join(dir, 'buf.yaml'));
    cpSync(join(root, 'proto'), join(dir, 'proto'), { recursive: true });
    const overlay = join(dir, 'proto', 'topology', 'v1', 'overlay.proto');
    const edited = edit(readFileSync(overlay, 'utf8'));
    expect(edited).to.not.equal(readFileSync(overlay, 'utf8'), 'the planted defect changed nothing');
    writeFileSync(overlay, edited);
    return dir;
  };

  before(function () {
    this.timeout(BUILD_TIMEOUT_MS);
    const hasGo = spawnSync('go', ['version']).status === 0;
    try {
      buf = execFileSync('bash', [join(root, 'hack', 'build-buf.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
        .trim()
        .split('\n')
        .at(-1)!;
    } catch (err) {
      if (!hasGo) {
        console.log('      (skipped: Go is not installed, and hack/build-buf.sh builds buf with it)');
        this.skip();
      }
      throw err;
    }
    scratch = mkdtempSync(join(tmpdir(), 'buf-contract-'));
  });
  after(() => {
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  it('buf lint passes (STANDARD with the exceptions in buf.yaml)', () => {
    const r = run(root, 'lint');
    expect(r.status, `buf lint:\n${r.output}`).to.equal(0);
  });

  it('buf breaking finds no breaking change against proto/buf-baseline.binpb', () => {
    const r = run(root, 'breaking', '--against', join(root, 'proto', 'buf-baseline.binpb'));
    expect(r.status, `buf breaking --against proto/buf-baseline.binpb:\n${r.output}`).to.equal(0);
  });

  it('catches a planted lint defect and a planted breaking change', () => {
    const lint = run(
      plantedCopy((s) => `${s}\nmessage bad_name {}\n`),
      'lint',
    );
    expect(lint.status, lint.output).to.not.equal(0);
    expect(lint.output).to.contain('bad_name');
    const breaking = run(
      plantedCopy((s) => s.replace('  string to = 1;\n  bytes payload = 2;\n  // Acknowledged', '  string to = 9;\n  bytes payload = 2;\n  // Acknowledged')),
      'breaking',
      '--against',
      join(root, 'proto', 'buf-baseline.binpb'),
    );
    expect(breaking.status, breaking.output).to.not.equal(0);
    expect(breaking.output).to.match(/SendRequest|"to"/);
  });
});
