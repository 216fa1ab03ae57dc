import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../../src/paths.js';

describe('generated proto types', () => {
  it('match proto/ (regenerated into a temp dir and diffed; run npm run gen:proto on drift)', async function () {
    this.timeout(60_000);
    const codegen = (await import(pathToFileURL(join(packageRoot(), 'src', 'rpc', 'proto-codegen.mjs')).href)) as { drift(): string[] };
    expect(codegen.drift()).to.deep.equal([]);
  });
});
