import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../../src-renderer/lib/client/sse.ts';
import { takeToken } from '../../../src-renderer/lib/client/token.ts';

describe('the server-sent events parser', () => {
  it('reads events however the stream is cut, and skips comments', () => {
    const text =
      ': kestrel events\n\nevent: jobs:changed\ndata: {"jobs":[]}\n\n: keepalive\n\nevent: pool:changed\r\ndata: {"a":\r\ndata: 1}\r\n\r\n';
    for (const size of [1, 2, 7, text.length]) {
      const parser = createSseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size)
        events.push(...parser.push(text.slice(i, i + size)));
      expect(events).toEqual([
        { event: 'jobs:changed', data: '{"jobs":[]}' },
        { event: 'pool:changed', data: '{"a":\n1}' },
      ]);
    }
  });

  it('waits for the blank line that ends an event', () => {
    const parser = createSseParser();
    expect(parser.push('event: x\ndata: 1\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'x', data: '1' }]);
  });
});

describe('the access token', () => {
  function browser(hash: string) {
    const stored = new Map<string, string>();
    const urls: string[] = [];
    const location = { hash, pathname: '/', search: '' };
    return {
      location,
      history: {
        state: null,
        replaceState: (_s: unknown, _t: string, url: string) => void urls.push(url),
      },
      storage: {
        getItem: (k: string) => stored.get(k) ?? null,
        setItem: (k: string, v: string) => void stored.set(k, v),
      },
      urls,
    };
  }

  it('comes from the URL fragment, which is then cleared from the address bar', () => {
    const b = browser('#token=abc_DEF-123');
    expect(takeToken(b.location, b.history, b.storage)).toBe('abc_DEF-123');
    expect(b.urls).toEqual(['/']);
    // A reload (no fragment any more) finds it in this tab's session storage.
    b.location.hash = '';
    expect(takeToken(b.location, b.history, b.storage)).toBe('abc_DEF-123');
  });

  it('is missing when the page was opened without one', () => {
    const b = browser('');
    expect(takeToken(b.location, b.history, b.storage)).toBeUndefined();
    expect(b.urls).toEqual([]);
  });
});
