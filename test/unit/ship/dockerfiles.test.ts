/**
 * Invariants of the images' Dockerfiles (no Docker engine here, so they are checked as text):
 * multi-stage, production dependencies only in the runtime stage, a non-root numeric USER, the
 * right entrypoint, and a .dockerignore per Dockerfile that keeps node_modules and builds out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { packageRoot } from '../../../src/paths.js';
import { SIDECAR_NODE_FLAGS } from '../../../src/sidecar/node-flags.js';
import { DEFAULT_IMAGES } from '../../../src/localcluster/node-agent-images.js';

const IMAGES = [
  { file: 'operator.Dockerfile', entry: 'dist/src/operator/main.js' },
  { file: 'sidecar.Dockerfile', entry: 'dist/src/sidecar/main.js' },
  { file: 'demo.Dockerfile', entry: 'dist/src/demo/main.js' },
];

/** The instructions of each stage, continuation lines joined and comments dropped. */
function stages(text: string): string[][] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const out: string[][] = [];
  for (const l of lines) {
    if (/^FROM\s/i.test(l)) out.push([]);
    out[out.length - 1]?.push(l);
  }
  return out;
}

describe('Dockerfiles (deploy/docker)', () => {
  for (const { file, entry } of IMAGES) {
    describe(file, () => {
      const text = readFileSync(join(packageRoot(), 'deploy', 'docker', file), 'utf8');
      const all = stages(text);
      const runtime = all[all.length - 1] ?? [];

      it('is multi-stage, building with dev dependencies and shipping production ones', () => {
        expect(all.length).to.be.at.least(3);
        expect(all[0]![0]).to.match(/^FROM node:22-slim AS build$/);
        expect(text).to.match(/npm ci --omit=dev/);
        expect(runtime[0]).to.match(/^FROM (node:22-slim|gcr\.io\/distroless\/nodejs22-debian12:nonroot)$/);
        // The runtime stage installs nothing and takes node_modules only from the --omit=dev stage.
        expect(runtime.join('\n')).to.not.match(/npm (ci|install)/);
        const nm = runtime.filter((l) => l.includes('node_modules'));
        expect(nm).to.have.length(1);
        const depsStage = all.find((s) => s[0]!.endsWith(' AS deps'));
        expect(depsStage?.join('\n')).to.match(/npm ci --omit=dev/);
        expect(nm[0]).to.match(/^COPY --from=deps /);
      });

      it('runs as a non-root numeric user', () => {
        const user = runtime.filter((l) => /^USER\s/.test(l)).pop();
        expect(user).to.match(/^USER 65532(:65532)?$/);
      });

      it(`starts ${entry}`, () => {
        const ep = runtime.find((l) => l.startsWith('ENTRYPOINT'));
        expect(ep).to.include(`/app/${entry}`);
        expect(JSON.parse(ep!.slice('ENTRYPOINT'.length))).to.be.an('array');
      });

      it('has a .dockerignore that keeps node_modules and local builds out of the context', () => {
        const ignore = readFileSync(join(packageRoot(), 'deploy', 'docker', `${file}.dockerignore`), 'utf8').split('\n');
        expect(ignore).to.include('**');
        expect(ignore.filter((l) => l.startsWith('!'))).to.not.include.members(['!node_modules/**', '!dist/**']);
      });
    });
  }

  it('the sidecar image, the local node agent and the fleet run the sidecar with the same Node.js flags', () => {
    const text = readFileSync(join(packageRoot(), 'deploy', 'docker', 'sidecar.Dockerfile'), 'utf8');
    const ep = stages(text)
      .pop()!
      .find((l) => l.startsWith('ENTRYPOINT'))!;
    const argv = JSON.parse(ep.slice('ENTRYPOINT'.length)) as string[];
    expect(argv.slice(1, -1)).to.deep.equal([...SIDECAR_NODE_FLAGS]);
    expect(DEFAULT_IMAGES['topology-sidecar']!.command.slice(1, -1)).to.deep.equal([...SIDECAR_NODE_FLAGS]);
    expect(DEFAULT_IMAGES['topology-sidecar']!.executables!['topology-sidecar']!.slice(1, -1)).to.deep.equal([...SIDECAR_NODE_FLAGS]);
  });

  it("the operator image also ships the kubectl plugin the chart's helm test runs", () => {
    const text = readFileSync(join(packageRoot(), 'deploy', 'docker', 'operator.Dockerfile'), 'utf8');
    expect(text).to.include('/usr/local/bin/kubectl-topology');
  });
});
