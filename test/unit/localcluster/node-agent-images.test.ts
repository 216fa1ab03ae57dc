/** Image lookup and the entrypoint rules of the node agent's image map. */
import { expect } from 'chai';
import { DEFAULT_IMAGES, imageBaseName, localArgv, lookupImage, type ImageMap } from '../../../src/localcluster/node-agent-images.js';

const p = { node: '/usr/bin/node', buildRoot: '/b', packageRoot: '/r' };

describe('node agent image map', () => {
  it('finds an image with or without registry, tag or digest', () => {
    for (const ref of [
      'topology-sidecar',
      'topology-sidecar:0.1.0',
      'ghcr.io/acme/topology-sidecar:1',
      'topology-sidecar@sha256:abc',
      'reg:5000/x/topology-sidecar:2@sha256:d',
    ]) {
      expect(lookupImage(DEFAULT_IMAGES, ref), ref).to.equal(DEFAULT_IMAGES['topology-sidecar']);
    }
    expect(lookupImage(DEFAULT_IMAGES, 'nginx:1.25')).to.equal(undefined);
    expect(imageBaseName('reg:5000/a/b:1@sha256:x')).to.equal('b');
  });

  it('prefers an exact reference over the base name', () => {
    const images: ImageMap = { app: { command: ['a'] }, 'app:2': { command: ['b'] } };
    expect(lookupImage(images, 'app:2')?.command).to.deep.equal(['b']);
    expect(lookupImage(images, 'app:1')?.command).to.deep.equal(['a']);
  });

  it('follows ENTRYPOINT/CMD semantics with the entry as the image', () => {
    const e = { command: ['${node}', '${buildRoot}/main.js'], args: ['--default'], executables: { tool: ['${node}', '${buildRoot}/tool.js'] } };
    expect(localArgv(e, undefined, undefined, p)).to.deep.equal(['/usr/bin/node', '/b/main.js', '--default']);
    expect(localArgv(e, undefined, ['--x'], p)).to.deep.equal(['/usr/bin/node', '/b/main.js', '--x']);
    expect(localArgv(e, ['/usr/local/bin/tool', '-v'], ['--y'], p)).to.deep.equal(['/usr/bin/node', '/b/tool.js', '-v', '--y']);
    expect(localArgv(e, ['sh', '-c'], ['true'], p)).to.deep.equal(['sh', '-c', 'true']);
  });
});
