import { expect } from 'chai';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import { BucketRateLimiter, defaultControllerRateLimiter, ItemExponentialFailureRateLimiter } from '../../../src/operator/controller/rate-limiter.js';

describe('controller/rate-limiter', () => {
  it('backs off exponentially per item from 5 ms, capped at 1000 s, and forgets', () => {
    const limiter = new ItemExponentialFailureRateLimiter<string>();
    expect([1, 2, 3, 4].map(() => limiter.when('a'))).to.deep.equal([5, 10, 20, 40]);
    expect(limiter.numRequeues('a')).to.equal(4);
    expect(limiter.when('b')).to.equal(5, 'items back off independently');
    for (let i = 0; i < 100; i++) limiter.when('a');
    expect(limiter.when('a')).to.equal(1_000_000);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).to.equal(0);
    expect(limiter.when('a')).to.equal(5);
  });

  it('token bucket allows a burst of 100 then 10 per second', () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter<string>(10, 100, clock);
    for (let i = 0; i < 100; i++) expect(bucket.when(`k${i}`)).to.equal(0);
    expect(bucket.when('x')).to.equal(100);
    expect(bucket.when('y')).to.equal(200);
    clock.advance(1000); // 10 tokens refill: the debt of 2 is paid, 8 left
    for (let i = 0; i < 8; i++) expect(bucket.when(`z${i}`)).to.equal(0);
    expect(bucket.when('w')).to.equal(100);
  });

  it('default controller limiter takes the larger of the two', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter<string>({ clock });
    expect(limiter.when('a')).to.equal(5);
    expect(limiter.when('a')).to.equal(10);
    for (let i = 0; i < 98; i++) limiter.when(`other${i}`);
    // bucket is now empty: a fresh item waits for a token (100 ms) rather than its own 5 ms
    expect(limiter.when('fresh')).to.equal(100);
    expect(limiter.numRequeues('a')).to.equal(2);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).to.equal(0);
  });
});

describe('controller/rate-limiter: tryTake', () => {
  it('allows a burst, then one per refill period, without going into debt', () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter<string>(1 / 300, 25, clock);
    const allowed = Array.from({ length: 30 }, () => bucket.tryTake()).filter(Boolean).length;
    expect(allowed).to.equal(25);
    clock.advance(299_999);
    expect(bucket.tryTake()).to.equal(false);
    clock.advance(1);
    expect(bucket.tryTake()).to.equal(true);
    expect(bucket.tryTake()).to.equal(false);
  });
});
