import { describe, expect, it } from 'vitest';
import {
  decodeUserRequest,
  HELP_TEXT,
  plainText,
  typedAsText,
} from '../../../../shared/protocol/index.ts';

const typed = (body: string) => typedAsText(body, decodeUserRequest(body));

describe('plain-text replies for people', () => {
  it('takes the bare word help and words that are no command for plain text', () => {
    expect(typed('help')).toBe(true);
    expect(typed('  HELP ')).toBe(true);
    expect(typed('hi there')).toBe(true);
    expect(typed('what can you do?')).toBe(true);
  });

  it('answers anything written as a value with JSON, as scripts expect', () => {
    for (const body of [
      "{'type':'help'}",
      '{"type":"status"}',
      "{'type':'job'",
      '[1, 2]',
      '42',
      'null',
      '"help"',
    ]) {
      expect(typed(body), body).toBe(false);
    }
  });

  it('reads as text: help as is, errors with their reason and the help', () => {
    expect(plainText({ type: 'help', text: HELP_TEXT })).toBe(HELP_TEXT);
    expect(
      plainText({ type: 'error', code: 'bad_syntax', reason: 'not a command', help: HELP_TEXT }),
    ).toBe(`Sorry: not a command\n\n${HELP_TEXT}`);
    expect(plainText({ type: 'error', code: 'rate_limited', reason: 'slow down' })).toBe(
      'Sorry: slow down\n\nSend help for the list of commands.',
    );
  });
});
