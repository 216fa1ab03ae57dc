/** $(VAR) expansion, the downward API and mount-path rewriting of the node agent. */
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { containerEnv, expandVars, fieldRefValue } from '../../../src/localcluster/node-agent-env.js';
import { rewriteMountPaths } from '../../../src/localcluster/node-agent-volumes.js';

const pod: V1Pod = {
  metadata: { name: 'p-0', namespace: 'ns', uid: 'u-1', labels: { app: 'x' }, annotations: { 'a/b': 'c' } },
  spec: { nodeName: 'n', containers: [{ name: 'c', resources: { limits: { cpu: '500m' } } }] },
};
const facts = { podIP: '127.0.1.7', hostIP: '127.0.0.1', nodeName: 'n' };
const source = {
  secret: async (_ns: string, name: string) => (name === 's' ? { k: 'sv' } : undefined),
  configMap: async (_ns: string, name: string) => (name === 'm' ? { k: 'mv', other: 'o' } : undefined),
};

describe('node agent environment', () => {
  it('expands $(VAR), keeps unknown references and honours $$ escapes', () => {
    const env = { A: 'a', B: 'b' };
    expect(expandVars('$(A)-$(B)/$(C)', env)).to.equal('a-b/$(C)');
    expect(expandVars('$$(A) $$ $(A', env)).to.equal('$(A) $ $(A');
  });

  it('answers the downward API field paths', () => {
    const v = (fieldPath: string): string => fieldRefValue(pod, { fieldPath }, facts);
    expect([v('metadata.name'), v('metadata.namespace'), v('metadata.uid'), v('status.podIP'), v('status.hostIP'), v('spec.nodeName')]).to.deep.equal([
      'p-0',
      'ns',
      'u-1',
      '127.0.1.7',
      '127.0.0.1',
      'n',
    ]);
    expect(v("metadata.labels['app']")).to.equal('x');
    expect(v("metadata.annotations['a/b']")).to.equal('c');
    expect(() => v('spec.unknown')).to.throw(/unsupported/);
  });

  it('builds env in kubelet order: envFrom, then env with expansion of earlier entries', async () => {
    const env = await containerEnv(
      pod,
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'm' }, prefix: 'CM_' }],
        env: [
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'URL', value: 'http://$(NAME):$(PORT)/$(CM_k)' },
          { name: 'PORT', value: '80' },
          { name: 'OPT', valueFrom: { secretKeyRef: { name: 'missing', key: 'k', optional: true } } },
        ],
      },
      facts,
      source,
      { BASE: '1' },
    );
    expect(env).to.deep.equal({ BASE: '1', CM_k: 'mv', CM_other: 'o', NAME: 'p-0', S: 'sv', CPU: '500m', URL: 'http://p-0:$(PORT)/mv', PORT: '80' });
  });

  it('rejects a missing required secret key with a message naming it', async () => {
    let error: Error | undefined;
    await containerEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'nope' } } }] }, facts, source, {}).catch(
      (e: Error) => (error = e),
    );
    expect(error?.message).to.match(/secret "s" key "nope" not found/);
  });

  it('rewrites mount paths as whole path prefixes, longest first, once', () => {
    const mounts = [
      { mountPath: '/etc/app', localPath: '/r/etc/app' },
      { mountPath: '/etc/app/tls', localPath: '/r/etc/app/tls' },
      { mountPath: '/data', localPath: '/r/data' },
    ];
    expect(rewriteMountPaths('--config=/etc/app/x.yaml', mounts)).to.equal('--config=/r/etc/app/x.yaml');
    expect(rewriteMountPaths('/etc/app/tls/ca.crt', mounts)).to.equal('/r/etc/app/tls/ca.crt');
    expect(rewriteMountPaths('/etc/application /var/data /data', mounts)).to.equal('/etc/application /var/data /r/data');
    expect(rewriteMountPaths('a:/data,b="/etc/app"', mounts)).to.equal('a:/r/data,b="/r/etc/app"');
  });
});
