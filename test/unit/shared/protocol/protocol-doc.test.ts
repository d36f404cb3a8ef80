import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeUserReply, decodeUserRequest } from '../../../../shared/protocol/user.ts';
import {
  MAX_WORKER_BODY,
  STATUS_COMMAND_CHARS,
  STATUS_CUT,
  STATUS_TAIL_CHARS,
} from '../../../../shared/protocol/limits.ts';
import { decodeManagerMessage, decodeWorkerMessage } from '../../../../shared/protocol/worker.ts';
import { Parser, type Element } from '@xmpp/xml';
import { MAX_AHEAD } from '../../../../src-main/manager/core/workers.ts';
import { DEFAULT_USER_LIMITS } from '../../../../src-main/manager/limits.ts';
import { parsePresence } from '../../../../src-main/xmpp/stanzas.ts';

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

/** 131072 → '131 072', as the document writes numbers. */
const spaced = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

describe('docs/PROTOCOL.md limits', () => {
  it('states the status paging rules the manager applies', () => {
    expect(doc).toContain(`${STATUS_COMMAND_CHARS} characters (\`STATUS_COMMAND_CHARS\`)`);
    expect(doc).toContain(`${STATUS_TAIL_CHARS} characters (\`STATUS_TAIL_CHARS\`)`);
    expect(doc).toContain(`ending in \`${STATUS_CUT}\``);
    expect(doc).toContain(`${spaced(MAX_WORKER_BODY)} bytes as sent`);
  });

  it('states the per-user limits with their defaults', () => {
    expect(doc).toContain(
      `at most ${DEFAULT_USER_LIMITS.maxJobsPerUser} unfinished jobs (\`--max-jobs-per-user\`)`,
    );
    expect(doc).toContain(
      `${spaced(DEFAULT_USER_LIMITS.maxQueuedPerUser)} unfinished tasks\nover all of them (\`--max-queued-per-user\`)`,
    );
  });
});

describe('docs/PROTOCOL.md manager presence', () => {
  const presences = blocks
    .filter((b) => b.lang === 'xml')
    .flatMap((b) => b.body.split('\n').filter((line) => line.startsWith('<presence')));

  /** One stanza, as the XMPP stream parser gives it to the connection. */
  function stanza(text: string): Element {
    const parser = new Parser();
    let root: Element | undefined;
    parser.on('start', (element) => (root = element));
    parser.on('element', (element) => root?.append(element));
    parser.write(text);
    if (root === undefined) throw new Error(`not XML: ${text}`);
    return root;
  }

  it('shows the presence of an active and of a standby manager as the connection reads them', () => {
    expect(presences.map((text) => parsePresence(stanza(text), 'd'))).toEqual([
      {
        kind: 'status',
        event: { from: 'd', available: true, manager: { role: 'active', epoch: 7 } },
      },
      { kind: 'status', event: { from: 'd', available: true, manager: { role: 'standby' } } },
    ]);
  });
});

describe('docs/PROTOCOL.md slots and prefetch', () => {
  it('states the bound on tasks held ahead that the scheduler applies', () => {
    expect(doc).toContain(`min(N, ${MAX_AHEAD}) (\`MAX_AHEAD\`)`);
  });
});
