// The client is importable by its package name: `topology-operator/client` resolves through the
// package.json `exports` map (a self-reference from inside the package, as an app that depends on
// the package resolves it), to the same module as the relative import.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as relative from '../../../src/client/index.js';

describe('package export topology-operator/client', () => {
  it('resolves by package name to the client module', async () => {
    const byName = await import('topology-operator/client');
    expect(byName.connect).to.be.a('function');
    expect(byName.connect).to.equal(relative.connect);
    expect(byName.TopologyError).to.equal(relative.TopologyError);
    expect(import.meta.resolve('topology-operator/client')).to.match(/\/dist\/src\/client\/index\.js$/);
  });

  it('keeps package.json reachable and exports nothing it does not list', async () => {
    // (Resolved, not imported: a JSON import would make tsc copy package.json into dist/.)
    const pkg = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('topology-operator/package.json')), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).to.have.property('topology-sidecar');
    let refused: unknown;
    try {
      import.meta.resolve('topology-operator/dist/src/sidecar/main.js');
    } catch (err) {
      refused = err;
    }
    expect((refused as { code?: string } | undefined)?.code).to.equal('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('ships its types: an app outside the package type-checks against topology-operator/client (and a misuse is refused)', function () {
    this.timeout(60_000);
    const root = dirname(fileURLToPath(import.meta.resolve('topology-operator/package.json')));
    const app = mkdtempSync(join(tmpdir(), 'client-types-'));
    try {
      mkdirSync(join(app, 'node_modules'));
      symlinkSync(root, join(app, 'node_modules', 'topology-operator'));
      symlinkSync(join(root, 'node_modules', '@types'), join(app, 'node_modules', '@types'));
      writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module' }));
      const tsconfig = {
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
      };
      writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const check = (code: string): string => {
        writeFileSync(join(app, 'app.ts'), code);
        try {
          execFileSync(process.execPath, [tsc, '-p', app], { encoding: 'utf8' });
          return '';
        } catch (err) {
          return String((err as { stdout?: string }).stdout ?? err);
        }
      };
      const ok = check(
        "import { connect, TopologyError } from 'topology-operator/client';\n" +
          "const client = await connect('127.0.0.1:7947');\n" +
          "const reply = await client.broadcast(new Uint8Array([1]), { topic: 'news' });\n" +
          'const seq: number = reply.seq;\n' +
          'void seq;\n' +
          'void TopologyError;\n',
      );
      expect(ok, ok).to.equal('');
      const misuse = check("import { connect } from 'topology-operator/client';\nconst n: number = await connect('127.0.0.1:7947');\nvoid n;\n");
      expect(misuse).to.match(/TS2322/);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
