// The client is importable by its package name: `topology-operator/client` resolves through the
// package.json `exports` map (a self-reference from inside the package, as an app that depends on
// the package resolves it), to the same module as the relative import.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
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
});
