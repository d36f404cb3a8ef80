import { describe, expect, it } from 'vitest';

import { parseJid, prepLocal, prepResource } from '../../../../src-main/server/jid.ts';
import { parsePriority } from '../../../../src-main/server/presence.ts';

describe('JIDs (RFC 7622)', () => {
  it('splits and normalises', () => {
    expect(parseJid('Worker-1@Kestrel.Test/Tray App')).toEqual({
      local: 'worker-1',
      domain: 'kestrel.test',
      resource: 'Tray App',
      bare: 'worker-1@kestrel.test',
      full: 'worker-1@kestrel.test/Tray App',
    });
    expect(parseJid('kestrel.test')).toMatchObject({
      local: '',
      bare: 'kestrel.test',
      full: 'kestrel.test',
    });
    expect(parseJid('a@b/c/d@e')?.resource).toBe('c/d@e');
    expect(prepLocal('ＡＢＣ')).toBe('abc'); // width and case mapping
  });

  it.each([
    '',
    '@kestrel.test',
    'a@',
    'a@b/',
    'a b@c',
    'a"b@c',
    "o'brien@c",
    'a@b c',
    'a@b/\u0007',
  ])('refuses %j', (text) => {
    expect(parseJid(text)).toBeUndefined();
  });

  it('limits each part to 1023 bytes', () => {
    expect(prepLocal('x'.repeat(1023))).toBeDefined();
    expect(prepLocal('x'.repeat(1024))).toBeUndefined();
    expect(prepResource('é'.repeat(512))).toBeUndefined();
  });
});

describe('presence priority (RFC 6121 §4.7.2.3)', () => {
  it.each([
    [null, 0],
    ['5', 5],
    ['-1', -1],
    ['+3', 3],
    ['1000', 127],
    ['-1000', -128],
    ['high', 0],
    ['1.5', 0],
  ] as const)('%j → %d', (text, expected) => {
    expect(parsePriority(text)).toBe(expected);
  });
});
