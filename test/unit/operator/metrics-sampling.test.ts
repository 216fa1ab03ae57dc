import { expect } from 'chai';
import { largestComponentShare } from '../../../src/operator/sidecars/metrics-sampling.js';

describe('largestComponentShare (connectivityScore)', () => {
  it('is the share of ready members in the largest piece of the active views, links taken both ways', () => {
    const views = new Map([
      ['a', ['b']],
      ['c', ['b']],
      ['d', []],
    ]);
    expect(largestComponentShare(['a', 'b', 'c', 'd'], views)).to.equal(0.75);
    expect(largestComponentShare(['a', 'b', 'c', 'd'], new Map())).to.equal(0.25);
  });

  it('ignores self-links and links to members that are not ready; 1 when nobody is ready', () => {
    const views = new Map([
      ['a', ['a', 'gone']],
      ['b', ['gone']],
      ['gone', ['a', 'b']],
    ]);
    expect(largestComponentShare(['a', 'b'], views)).to.equal(0.5);
    expect(largestComponentShare([], views)).to.equal(1);
  });
});
