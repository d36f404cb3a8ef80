/**
 * Replies for people who type plain text in an IM client (Pidgin, Conversations): `help`, or
 * words that are not a command at all, get their answer as readable text rather than a JSON
 * object whose text is full of `\n` and `\"` escapes. Anything written as a JSON or Python-style
 * value (an object, a list, a number…) is a machine's or a script's, and keeps getting JSON.
 */
import type { Decoded } from './errors.ts';
import type { UserReply, UserRequest } from './user.ts';

/** Whether a body may be plain text: not an object or list at first sight (cheap; no parsing). */
export function mayBePlainText(body: string): boolean {
  return !/^\s*[[{]/.test(body);
}

/** Whether the request, as decoded, was typed as plain text. */
export function typedAsText(body: string, decoded: Decoded<UserRequest>): boolean {
  if (!mayBePlainText(body)) return false;
  if (decoded.ok) return decoded.message.type === 'help' && /^\s*help\s*$/i.test(body);
  return decoded.error.code === 'bad_syntax';
}

/** The reply as a person reads it. */
export function plainText(reply: UserReply): string {
  switch (reply.type) {
    case 'help':
      return reply.text;
    case 'error':
      return `Sorry: ${reply.reason}\n\n${reply.help ?? 'Send help for the list of commands.'}`;
    case 'job_rejected':
      return `Job rejected: ${reply.reason}`;
    default:
      return JSON.stringify(reply);
  }
}
