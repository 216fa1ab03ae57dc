import { expect } from 'chai';
import { parseCliArgs, parseDuration, type ParseResult } from '../../../src/cli/args.js';

function ok(r: ParseResult) {
  if (!r.ok) throw new Error(`expected a parsed command, got: ${r.message}`);
  return r.parsed;
}

function err(r: ParseResult): string {
  if (r.ok) throw new Error('expected an error');
  expect(r.help).to.equal(false);
  return r.message;
}

describe('kubectl-topology argument parsing', () => {
  it('takes kubectl standard flags before or after the subcommand', () => {
    const a = ok(parseCliArgs(['-n', 'apps', '--context', 'kind-x', 'status', 'chat', '-o', 'json']));
    expect(a.command).to.equal('status');
    expect(a.name).to.equal('chat');
    expect(a.connection).to.deep.equal({ namespace: 'apps', context: 'kind-x' });
    expect(a.output).to.equal('json');
    const b = ok(parseCliArgs(['history', 'chat', '--namespace=apps', '--kubeconfig', '/tmp/kc', '--output', 'yaml']));
    expect(b.connection).to.deep.equal({ namespace: 'apps', kubeconfig: '/tmp/kc' });
    expect(b.output).to.equal('yaml');
  });

  it('defaults to a table, 5 minute timeout and 1 s polling', () => {
    const a = ok(parseCliArgs(['watch', 'chat']));
    expect(a.output).to.equal('table');
    expect(a.timeoutSeconds).to.equal(300);
    expect(a.intervalMs).to.equal(1000);
    expect(a.follow).to.equal(false);
  });

  it('parses switch --to (case-insensitive), --wait and --timeout', () => {
    const a = ok(parseCliArgs(['switch', 'chat', '--to', 'hyparview', '--wait', '--timeout', '2m30s']));
    expect(a.to).to.equal('HyParView');
    expect(a.wait).to.equal(true);
    expect(a.timeoutSeconds).to.equal(150);
  });

  it('rejects what it cannot act on, saying what to fix', () => {
    expect(err(parseCliArgs(['switch', 'chat']))).to.match(/--to is required \(one of FullMesh, HyParView, ClientServer, PubSub\)/);
    expect(err(parseCliArgs(['switch', 'chat', '--to', 'Ring']))).to.match(/"Ring" is not one of/);
    expect(err(parseCliArgs(['status']))).to.match(/needs the name of a ClusterTopology/);
    expect(err(parseCliArgs(['status', 'a', 'b']))).to.match(/takes one name/);
    expect(err(parseCliArgs(['frobnicate']))).to.match(/unknown command "frobnicate"/);
    expect(err(parseCliArgs(['status', 'a', '-o', 'wide']))).to.match(/-o must be json or yaml/);
    expect(err(parseCliArgs(['status', 'a', '--to', 'FullMesh']))).to.match(/--to is not a flag of this command/);
    expect(err(parseCliArgs(['status', 'a', '--bogus']))).to.match(/Unknown option '--bogus'/);
    expect(err(parseCliArgs(['switch', 'a', '--to', 'FullMesh', '--timeout', 'soon']))).to.match(/--timeout must be a duration/);
    expect(err(parseCliArgs(['simulate']))).to.match(/--nodes is required/);
    expect(err(parseCliArgs(['simulate', '--nodes', '1']))).to.match(/--nodes must be between 2 and 10000/);
    expect(err(parseCliArgs(['simulate', '--nodes', '10', '--fail', '100']))).to.match(/--fail must be between 0 and 99/);
    expect(err(parseCliArgs(['simulate', 'x', '--nodes', '10']))).to.match(/unexpected argument "x"/);
  });

  it('answers --help and no arguments with the usage text', () => {
    for (const argv of [[], ['--help'], ['help'], ['status', '-h']]) {
      const r = parseCliArgs(argv);
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.help).to.equal(true);
        expect(r.message).to.include('Usage:');
        expect(r.message).to.include('Exit codes:');
      }
    }
  });

  it('parses simulate flags, with % accepted on --fail', () => {
    const a = ok(parseCliArgs(['simulate', '--nodes', '30', '--topology', 'PubSub', '--fail', '20%', '--seed', '7', '--workload', 'eventdriven']));
    expect(a.simulate).to.deep.include({ nodes: 30, topologies: ['PubSub'], failPercent: 20, seed: 7, workload: 'EventDriven' });
    expect(ok(parseCliArgs(['simulate', '--nodes', '30'])).simulate.topologies).to.have.length(4);
  });

  it('parses kubectl durations', () => {
    expect(parseDuration('90')).to.equal(90);
    expect(parseDuration('90s')).to.equal(90);
    expect(parseDuration('5m')).to.equal(300);
    expect(parseDuration('1h1m1s')).to.equal(3661);
    expect(parseDuration('500ms')).to.equal(0.5);
    expect(parseDuration('5x')).to.equal(undefined);
    expect(parseDuration('m5')).to.equal(undefined);
    expect(parseDuration('')).to.equal(undefined);
  });
});
