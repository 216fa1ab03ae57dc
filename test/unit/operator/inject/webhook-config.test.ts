/** The webhook flags of `topology-operator`: off by default, names validated, `--sidecar-defaults` merged and checked. */
import { expect } from 'chai';
import { DEFAULT_WEBHOOK_CONFIGURATION, parseOperatorConfig } from '../../../../src/operator/config.js';
import { TEMPLATE_SIDECAR_DEFAULTS } from '../../../../src/operator/inject/sidecar-spec.js';

describe('operator config: the injection webhook flags', () => {
  it('is off unless --webhook-port is given; on, it has the defaults', () => {
    const off = parseOperatorConfig([], {}, 'h');
    expect(off.ok && off.config.webhook).to.equal(undefined);
    const on = parseOperatorConfig(['--webhook-port', '9443'], {}, 'h');
    if (!on.ok) throw new Error(on.error);
    expect(on.config.webhook).to.deep.include({ port: 9443, configuration: DEFAULT_WEBHOOK_CONFIGURATION, certManagedExternally: false, extraSans: [] });
    expect(on.config.webhook?.sidecarDefaults).to.deep.equal(TEMPLATE_SIDECAR_DEFAULTS);
  });

  it('merges --sidecar-defaults over the template defaults and refuses wrong types, naming the key', () => {
    const r = parseOperatorConfig(
      ['--webhook-port=1', '--sidecar-defaults={"image":"r/s:1","peerPort":7100,"unknown":1}', '--webhook-cert-extra-sans=127.0.0.1,x.example'],
      {},
      'h',
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.config.webhook?.sidecarDefaults).to.deep.include({ image: 'r/s:1', peerPort: 7100, appPort: 7947 });
    expect(r.config.webhook?.extraSans).to.deep.equal(['127.0.0.1', 'x.example']);
    const bad = (args: string[]): string => {
      const x = parseOperatorConfig(['--webhook-port=1', ...args], {}, 'h');
      return x.ok ? '' : x.error;
    };
    expect(bad(['--sidecar-defaults={"peerPort":"7070"}'])).to.contain('peerPort must be a number');
    expect(bad(['--sidecar-defaults={"appPort":70000}'])).to.contain('appPort must be a port number');
    expect(bad(['--sidecar-defaults=[1]'])).to.contain('JSON object');
    expect(bad(['--webhook-cert-managed-externally=yes'])).to.contain('--webhook-cert-managed-externally');
    expect(bad(['--webhook-service=Bad_Name'])).to.contain('--webhook-service');
    expect(bad(['--webhook-cert-extra-sans=not a name'])).to.contain('--webhook-cert-extra-sans');
  });
});
