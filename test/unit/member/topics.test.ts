import { expect } from 'chai';
import { MAX_TOPIC_LENGTH, topicFilter, topicRefusal, wants } from '../../../src/member/topics.js';
import { AppLog } from '../../../src/member/app-log.js';
import type { AppEvent } from '../../../src/member/app-events.js';

const message = (id: string, topic?: string, to?: string): AppEvent => ({
  kind: 'message',
  message: {
    id,
    origin: '10.0.0.1:7070',
    payload: new Uint8Array(0),
    sentAt: 0,
    session: 's',
    seq: 1,
    ...(topic !== undefined ? { topic } : {}),
    ...(to !== undefined ? { to } : {}),
  },
  epoch: 1,
  hops: 1,
  deliveredAt: 0,
});
const gap: AppEvent = { kind: 'gap', gap: { reason: 'REPAIR_FAILED', count: 1, ranges: [], detail: '' }, deliveredAt: 0 };

describe('topics (App API v2)', () => {
  it('hands a topic subscriber its topics, point-to-point messages and GAPs; an all-topics subscriber everything', () => {
    const chat = topicFilter(['chat']);
    expect(wants(chat, message('a', 'chat'))).to.equal(true);
    expect(wants(chat, message('b', 'news'))).to.equal(false);
    expect(wants(chat, message('c'))).to.equal(false);
    expect(wants(chat, message('d', undefined, '10.0.0.2:7070'))).to.equal(true);
    expect(wants(chat, message('e', 'news', '10.0.0.2:7070'))).to.equal(false);
    expect(wants(chat, gap)).to.equal(true);
    const all = topicFilter([]);
    for (const e of [message('a', 'chat'), message('c'), gap]) expect(wants(all, e)).to.equal(true);
  });

  it('validates length and characters', () => {
    expect(topicRefusal('t', 'orders/eu-1:v2.x_y')).to.equal(undefined);
    expect(topicRefusal('t', 'a'.repeat(MAX_TOPIC_LENGTH))).to.equal(undefined);
    expect(topicRefusal('t', 'a'.repeat(MAX_TOPIC_LENGTH + 1))).to.equal('t of 257 characters exceeds the limit of 256');
    expect(topicRefusal('t', 'é')).to.match(/^t "é" is not a topic/);
    expect(topicRefusal('t', '')).to.match(/is not a topic/);
  });

  it('lets a filtered reader of the delivery log pass over what it does not want, so nothing is pushed for it', () => {
    const log = new AppLog('s');
    const reader = log.open();
    const chat = topicFilter(['chat']);
    reader.wants = (e) => wants(chat, e);
    log.append(message('x', 'news'), 10);
    log.append(message('y'), 10);
    expect(log.read(reader, 10)).to.deep.equal([]);
    expect(log.hasMore(reader)).to.equal(false);
    log.append(message('z', 'chat'), 10);
    expect(log.read(reader, 10).map((l) => [l.cursor, l.event.kind === 'message' && l.event.message.id])).to.deep.equal([[3, 'z']]);
  });
});
