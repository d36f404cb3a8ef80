import { describe, expect, it } from 'vitest';

import { skeleton } from '../../../../src-main/server/confusables.ts';
import { parseJid, prepLocal } from '../../../../src-main/server/jid.ts';
import { prepareUsername, prepUsername } from '../../../../src-main/server/username.ts';

describe('usernames: PRECIS UsernameCaseMapped (RFC 8265 §3.3)', () => {
  it.each([
    ['worker-1', 'worker-1'],
    ['Manager', 'manager'],
    ['ALICE.Smith_2', 'alice.smith_2'],
    ['ＡＢＣ', 'abc'], // width mapping
    ['ｶﾞ', 'ガ'], // halfwidth katakana + voiced mark, composed by NFC
    ['Ελλάδα', 'ελλάδα'],
    ['straße', 'straße'], // ß is PVALID (RFC 5892 §2.6)
    ['ÉCOLE', 'école'],
    ['e\u0301cole', 'école'], // NFC
    ['юзер', 'юзер'],
    ['שלום', 'שלום'],
    ['شاي٣', 'شاي٣'],
    ['l·l', 'l·l'], // MIDDLE DOT between two l (Catalan), CONTEXTO
    ['ひらがな・カタカナ', 'ひらがな・カタカナ'], // KATAKANA MIDDLE DOT with Japanese text
    ['a!#$%()*+,-.;=?[]^_`{|}~z', 'a!#$%()*+,-.;=?[]^_`{|}~z'], // the rest of ASCII7 is allowed
  ])('%j → %j', (input, expected) => {
    expect(prepareUsername(input)).toEqual({ ok: true, username: expected });
  });

  it.each([
    ['', /empty/],
    ['\u202emanager', /bidirectional control character \(U\+202E\)/],
    ['manager\u200f', /bidirectional control/],
    ['admin\u200b', /invisible or ignorable character \(U\+200B\)/],
    ['ad\u00admin', /invisible/], // soft hyphen
    ['a\u200dz', /invisible/], // zero width joiner
    ['\ufeffroot', /invisible/],
    ['a\u2060b', /invisible/], // word joiner
    ['x\u3164', /invisible/], // Hangul filler
    ['x\ufdd0', /invisible/], // noncharacter
    ['manager\\40kestrel.test', /no XEP-0106 escapes/],
    ['a\\b', /no XEP-0106 escapes/],
    ['a@b', /'@' is not allowed/],
    ['a/b', /'\/' is not allowed/],
    ['a:b', /':' is not allowed/],
    ["o'brien", /"'" is not allowed|''' is not allowed/],
    ['a"b', /not allowed/],
    ['a&b', /not allowed/],
    ['a<b', /not allowed/],
    ['a>b', /not allowed/],
    ['a b', /a space \(U\+0020\)/],
    ['a\u00a0b', /space|not allowed/],
    ['a\u3000b', /space/], // ideographic space, width-mapped to a space
    ['a\tb', /U\+0009/],
    ['a\u0007', /not allowed/],
    ['ﬁsh', /U\+FB01/], // compatibility ligature (HasCompat)
    ['x²', /U\+00B2/],
    ['☃', /U\+2603/],
    ['a·b', /U\+00B7/], // MIDDLE DOT elsewhere
    ['\u1100x', /U\+1100/], // old Hangul jamo
    ['a\u0640b', /U\+0640/], // Arabic tatweel, an exception
    ['x\u{e0001}', /invisible/], // language tag
    ['x\u{10ffff}', /invisible|not allowed/],
    ['мanager', /mixes letters/], // Cyrillic м with Latin
    ['pаypal', /mixes letters/],
    ['abc שלום', /space/],
    ['abcשלום', /right-to-left letter|mixes right-to-left/],
    ['שלוםabc', /mixes right-to-left/],
    ['٣شاي', /must start with a right-to-left letter/],
    ['شاي٣۴', /mixes two kinds of digits/],
    ['x'.repeat(1024), /longer than 1023 bytes/],
    ['é'.repeat(512), /longer than 1023 bytes/],
  ])('refuses %j', (input, reason) => {
    const result = prepareUsername(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('is idempotent on what it accepts', () => {
    for (const input of ['Manager', 'ＡＢＣ', 'ｶﾞ', 'İstanbul', 'ÉCOLE', 'Ελλάδα', 'straße']) {
      const once = prepUsername(input);
      expect(once).toBeDefined();
      expect(prepUsername(once ?? '')).toBe(once);
    }
  });

  it('is the function JID parsing and prepLocal use', () => {
    for (const input of ['Manager', 'admin\u200b', '\u202emanager', 'ＡＢＣ', 'a\\40b']) {
      expect(prepLocal(input)).toBe(prepUsername(input));
      const jid = parseJid(`${input}@kestrel.test`);
      expect(jid?.local).toBe(prepUsername(input));
    }
  });
});

describe('look-alike usernames (TR39 skeletons)', () => {
  it.each([
    ['manager', 'rnanager'],
    ['manager', 'mаnagеr'.normalize()], // Cyrillic а and е (refused as mixed script, too)
    ['manager', 'мапаgег'],
    ['admin', 'adm1n'],
    ['admin', 'admln'],
    ['admin', 'admın'],
    ['admin', 'àdmín'],
    ['root', 'r00t'],
    ['root', 'rοοt'], // Greek omicron
    ['cloud', 'doud'],
    ['wave', 'vvave'],
    ['paypal', 'paypai'],
    ['worker-1', 'worker-l'],
    ['oscar', 'օscar'], // Armenian o
  ])('%j looks like %j', (a, b) => {
    expect(skeleton(a)).toBe(skeleton(b));
  });

  it.each([
    ['manager', 'managers'],
    ['admin', 'adrnin2'],
    ['worker-1', 'worker-2'],
    ['worker-1', 'worker-11'],
    ['alice', 'bob'],
  ])('%j does not look like %j', (a, b) => {
    expect(skeleton(a)).not.toBe(skeleton(b));
  });
});
