import type { Convention, SpanFacts } from '../facts';
import { first, parseJsonText, text } from '../values';

/** Where each convention puts the session and the end user (first match wins, in this order). */
export const SESSION_KEYS = [
  'session.id',
  'gen_ai.conversation.id',
  'langfuse.session.id',
  'ai.telemetry.metadata.sessionId',
  'ai.settings.context.sessionId',
] as const;
export const USER_KEYS = [
  'user.id',
  'enduser.id',
  'langfuse.user.id',
  'ai.telemetry.metadata.userId',
  'ai.settings.context.userId',
] as const;
const TAG_KEYS = ['tag.tags', 'langfuse.trace.tags', 'ai.telemetry.metadata.tags'] as const;
const CONSUMED = new Set<string>([...SESSION_KEYS, ...USER_KEYS, ...TAG_KEYS]);

function tagsOf(value: unknown): string[] | undefined {
  const list = parseJsonText(value);
  if (Array.isArray(list)) return list.filter((t): t is string => typeof t === 'string' && t !== '');
  return typeof list === 'string' && list
    ? list
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : undefined;
}

/** Session, user and tags, whichever convention named them. */
export const identityConvention: Convention = {
  name: 'identity',
  consumes: (key) => CONSUMED.has(key),
  read(attrs): SpanFacts {
    return {
      sessionId: text(first(attrs, SESSION_KEYS)),
      userId: text(first(attrs, USER_KEYS)),
      tags: tagsOf(first(attrs, TAG_KEYS)),
    };
  },
};
