// Byte limits of what a sidecar buffers: the shared budget, buffers shared by several links, frames
// held for not-yet-prepared epochs, and one link's send queue.
import { expect } from 'chai';
import { BufferBudget, SharedBuffers, type BufferLimits } from '../../../src/member/buffer-budget.js';
import { FutureFrames, DEFAULT_FUTURE_FRAME_LIMIT } from '../../../src/member/future-frames.js';
import { Link, type LinkHost } from '../../../src/sidecar/peer-link.js';
import { silentLogger } from '../../../src/sidecar/logger.js';
import type { WireMessage } from '../../../src/overlays/types.js';

const KIB = 1024;

function limits(total: number, link: number, future: number, subscriber: number): BufferLimits {
  return { totalBytes: total, kindBytes: { 'link-queue': link, 'future-frames': future, subscriber } };
}

describe('BufferBudget', () => {
  it('reserves within each kind and within the total, and counts what it refuses', () => {
    const b = new BufferBudget(limits(100, 80, 30, 30));
    expect(b.reserve('link-queue', 80)).to.equal(true);
    expect(b.reserve('link-queue', 1)).to.equal(false);
    expect(b.reserve('future-frames', 20)).to.equal(true);
    // 80 + 20 = 100 = total: the subscriber kind's own 30 do not help.
    expect(b.reserve('subscriber', 1)).to.equal(false);
    expect(b.totalBytes()).to.equal(100);
    expect(b.refusals('link-queue')).to.equal(1);
    expect(b.refusals('subscriber')).to.equal(1);
    b.release('link-queue', 50);
    expect(b.reserve('subscriber', 30)).to.equal(true);
    expect(b.bytes('link-queue')).to.equal(30);
    expect(b.bytes('subscriber')).to.equal(30);
    // Releasing more than reserved cannot drive a figure below zero.
    b.release('future-frames', 1000);
    expect(b.bytes('future-frames')).to.equal(0);
    expect(b.totalBytes()).to.equal(60);
  });
});

describe('SharedBuffers', () => {
  it('counts a buffer held by many owners once, until the last one lets go', () => {
    const budget = new BufferBudget(limits(1000, 1000, 0, 0));
    const shared = new SharedBuffers(budget, 'link-queue');
    const frame = Buffer.alloc(600);
    for (let i = 0; i < 200; i++) expect(shared.retain(frame)).to.equal(true);
    expect(budget.bytes('link-queue')).to.equal(600);
    expect(shared.retain(Buffer.alloc(600)), 'a second buffer does not fit').to.equal(false);
    for (let i = 0; i < 199; i++) shared.release(frame);
    expect(budget.bytes('link-queue')).to.equal(600);
    shared.release(frame);
    expect(budget.bytes('link-queue')).to.equal(0);
    shared.release(frame);
    expect(shared.size).to.equal(0);
  });
});

describe('FutureFrames', () => {
  const msg = (n: number): WireMessage => ({
    type: 'fullmesh.app',
    app: { id: `m${n}`, origin: '10.0.0.9:1', payload: new Uint8Array(0), sentAt: 0 },
    hops: 0,
  });

  it('holds frames in bytes, per peer and in all, and releases them at Prepare or when their epoch is past', () => {
    const budget = new BufferBudget(limits(10 * KIB, 0, 8 * KIB, 0));
    const future = new FutureFrames(budget, 2 * KIB);
    expect(future.hold(5, 'a:1', msg(1), KIB)).to.equal('held');
    expect(future.hold(5, 'a:1', msg(2), KIB)).to.equal('held');
    expect(future.hold(5, 'a:1', msg(3), 1), 'peer a is at its share').to.equal('peer-bytes');
    expect(future.hold(6, 'b:1', msg(4), 2 * KIB)).to.equal('held');
    expect(future.hold(6, 'c:1', msg(5), 2 * KIB)).to.equal('held');
    expect(future.hold(6, 'd:1', msg(6), 2 * KIB)).to.equal('held');
    expect(future.hold(6, 'e:1', msg(7), 1), 'the future-frames kind is full').to.equal('total-bytes');
    expect(budget.bytes('future-frames')).to.equal(8 * KIB);
    expect(budget.refusals('future-frames')).to.equal(2);
    const five = future.take(5);
    expect(five?.map((f) => f.message.app?.id)).to.deep.equal(['m1', 'm2']);
    expect(budget.bytes('future-frames')).to.equal(6 * KIB);
    // Peer a's share is free again.
    expect(future.hold(7, 'a:1', msg(8), 2 * KIB)).to.equal('held');
    future.dropBefore(7);
    expect(budget.bytes('future-frames')).to.equal(2 * KIB);
    expect(future.count()).to.equal(1);
    expect(future.take(6)).to.equal(undefined);
  });

  it('holds at most DEFAULT_FUTURE_FRAME_LIMIT frames whatever their size', () => {
    const budget = new BufferBudget(limits(1 << 30, 0, 1 << 30, 0));
    const future = new FutureFrames(budget, 1 << 30);
    for (let i = 0; i < DEFAULT_FUTURE_FRAME_LIMIT; i++) expect(future.hold(2, 'a:1', msg(i), 1)).to.equal('held');
    expect(future.hold(2, 'a:1', msg(-1), 1)).to.equal('frame-limit');
  });
});

describe('Link send queue', () => {
  function host(budget: BufferBudget, queueCapacity: number, linkQueueBytes: number): LinkHost {
    const shared = new SharedBuffers(budget, 'link-queue');
    return {
      self: '10.0.0.1:1',
      events: { onMessage: () => undefined, onLinkDown: () => undefined, onMalformed: () => undefined, onBytes: () => undefined },
      logger: silentLogger(),
      isClosed: () => false,
      removeLink: (link) => link.discard(),
      queueCapacity,
      linkQueueBytes,
      retainFrame: (f) => shared.retain(f),
      releaseFrame: (f) => shared.release(f),
    };
  }

  it('refuses a frame beyond its frame capacity, its byte limit or the budget, and gives the bytes back when discarded', () => {
    const budget = new BufferBudget(limits(10 * KIB, 10 * KIB, 0, 0));
    const link = new Link(1, '10.0.0.2:1', host(budget, 3, 4 * KIB));
    expect(link.enqueue(Buffer.alloc(2 * KIB))).to.equal(true);
    expect(link.enqueue(Buffer.alloc(2 * KIB))).to.equal(true);
    expect(link.enqueue(Buffer.alloc(1)), 'over the 4 KiB of one link').to.equal(false);
    expect(link.heldBytes).to.equal(4 * KIB);
    const small = new Link(1, '10.0.0.3:1', host(budget, 3, 4 * KIB));
    for (let i = 0; i < 3; i++) expect(small.enqueue(Buffer.alloc(10))).to.equal(true);
    expect(small.enqueue(Buffer.alloc(10)), 'over the frame capacity').to.equal(false);
    const third = new Link(1, '10.0.0.4:1', host(budget, 100, 8 * KIB));
    expect(third.enqueue(Buffer.alloc(6 * KIB)), 'over the budget: 4 KiB + 30 bytes are held of 10 KiB').to.equal(false);
    expect(budget.bytes('link-queue')).to.equal(4 * KIB + 30);
    link.discard();
    small.discard();
    expect(budget.bytes('link-queue')).to.equal(0);
    expect(link.queue.length).to.equal(0);
    expect(third.enqueue(Buffer.alloc(6 * KIB))).to.equal(true);
  });
});
