/**
 * Topics (App API v2): what a topic may be, and which subscriber a delivery is for. Pure.
 *
 * A subscriber names the topics it wants (`SubscribeRequest.topics`; none: every delivery, as in
 * v1). A broadcast on a topic reaches the subscribers of that topic and those of every topic; a
 * broadcast without one (a v1 broadcast) only the latter. Point-to-point messages, requests
 * without a topic, acknowledged sends and GAPs reach every subscriber, whatever its topics; a
 * query on a topic only that topic's subscribers. The filter runs where the sidecar hands
 * deliveries to its app, so a sidecar with no subscriber for a topic pushes nothing for it: the
 * app is not woken. Over the overlay every topic shares the one broadcast tree (docs/delivery.md,
 * "Topics").
 */
import type { AppEvent } from './app-events.js';
import type { AppMessage } from '../overlays/types.js';

/** Longest topic (characters). Wild guess: room for a path-like name, far below any frame limit. */
export const MAX_TOPIC_LENGTH = 256;
/** Most topics one subscriber may name. Wild guess: an app's handful, with room. */
export const MAX_SUBSCRIBE_TOPICS = 64;
/** The characters of a topic: letters, digits and `. _ - : /` (safe in logs, metric labels and paths). */
export const TOPIC_PATTERN = /^[A-Za-z0-9._:/-]+$/;
/** The rule, for messages. */
export const TOPIC_SYNTAX = `1 to ${MAX_TOPIC_LENGTH} letters, digits, '.', '_', '-', ':' or '/'`;

/** Why `topic` (given in `field`) is refused, or undefined; the empty topic ("none") is the caller's to allow. */
export function topicRefusal(field: string, topic: string): string | undefined {
  if (topic.length > MAX_TOPIC_LENGTH) return `${field} of ${topic.length} characters exceeds the limit of ${MAX_TOPIC_LENGTH}`;
  if (!TOPIC_PATTERN.test(topic)) return `${field} ${JSON.stringify(topic.slice(0, 64))} is not a topic: ${TOPIC_SYNTAX}`;
  return undefined;
}

/** What one subscriber wants: every delivery (`all`), or these topics. */
export interface TopicFilter {
  readonly all: boolean;
  readonly topics: ReadonlySet<string>;
}

/** The filter of a subscriber that named `topics` (none: everything). */
export function topicFilter(topics: readonly string[]): TopicFilter {
  return { all: topics.length === 0, topics: new Set(topics) };
}

/** Whether a subscriber with filter `f` is handed `e`. */
export function wants(f: TopicFilter, e: AppEvent): boolean {
  return e.kind === 'gap' || wantsMessage(f, e.message);
}

/** Whether a subscriber with filter `f` is handed the message `m`. */
export function wantsMessage(f: TopicFilter, m: AppMessage): boolean {
  if (f.all) return true;
  const topic = m.topic ?? '';
  if (topic !== '') return f.topics.has(topic);
  // No topic: a point-to-point message (or request, or acknowledged send) reaches everyone; a v1 broadcast only `all`.
  return m.to !== undefined;
}
