import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeUserReply, decodeUserRequest } from '../../../../shared/protocol/user.ts';
import { decodeManagerMessage, decodeWorkerMessage } from '../../../../shared/protocol/worker.ts';

// Keeps docs/PROTOCOL.md honest: every example in it must decode.
const doc = readFileSync(new URL('../../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang, body]) => ({
  lang: lang ?? '',
  body: body ?? '',
}));

/** A block holds one (pretty-printed) message, or one message per line. */
const messages = (body: string): string[] => {
  const lines = body.split('\n').filter((line) => line.trim() !== '');
  return lines.every((line) => line.startsWith('{') && line.endsWith('}')) ? lines : [body];
};

describe('docs/PROTOCOL.md examples', () => {
  const requests = blocks.filter((b) => b.lang === '').flatMap((b) => messages(b.body));
  const wire = blocks.filter((b) => b.lang === 'json').flatMap((b) => messages(b.body));

  it('has examples of every kind', () => {
    expect(requests.length).toBeGreaterThanOrEqual(8);
    expect(wire.length).toBeGreaterThanOrEqual(12);
  });

  it.each(requests)('user request %s decodes', (body) => {
    expect(decodeUserRequest(body)).toMatchObject({ ok: true });
  });

  it.each(wire)('message %s decodes', (body) => {
    const decoders = [decodeUserReply, decodeWorkerMessage, decodeManagerMessage];
    expect(decoders.some((decode) => decode(body).ok)).toBe(true);
  });
});
