// Usernames (JID localparts) as the PRECIS UsernameCaseMapped profile prepares them (RFC 8265
// §3.3): width mapping, lower case, NFC, the Bidi Rule, then only IdentifierClass code points
// (RFC 8264 §4.2, §8–9), plus what RFC 7622 §3.3.1 forbids in a localpart. Kestrel refuses
// '\' as well, so no XEP-0106 escape can make a name that reads like another JID, and names
// that mix Latin, Cyrillic, Greek or Armenian letters (TR39 §5.2). One function
// serves registration, `accounts.add`, SASL and JID parsing, so what registers is what logs in.

export type UsernameResult = { ok: true; username: string } | { ok: false; reason: string };

const MAX_BYTES = 1023; // RFC 7622 §3.2
// RFC 7622 §3.3.1, and '\' (XEP-0106 escapes) by Kestrel's choice.
const LOCALPART_FORBIDDEN = new Set(['"', '&', "'", '/', ':', '<', '>', '@', '\\']);
// The common case, checked first: printable ASCII (RFC 8264 §9.11 ASCII7) without the above.
const PLAIN_ASCII = /^[!#-%(-.0-9;=?A-[\]-~]+$/;
// RFC 8265 §3.3.2 step 1: fullwidth and halfwidth forms (decomposition <wide>/<narrow>).
const WIDTH_FORMS = /[\u3000\uff01-\uffee]/gu;

// RFC 8264 §9.6 (RFC 5892 §2.6) exceptions; CONTEXTO code points have rules in contextAllows().
const EXCEPTION_PVALID = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
const EXCEPTION_DISALLOWED = new Set([0x0640, 0x07fa, 0x302e, 0x302f, 0x303b]);
const CONTEXTO = new Set([0x00b7, 0x0375, 0x05f3, 0x05f4, 0x30fb]);

const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const UNASSIGNED = /^\p{Cn}$/u;
const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u;
const BIDI_CONTROL = /^\p{Bidi_Control}$/u;
const CONTROL = /^\p{Cc}$/u;
const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const JAPANESE = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;
// Letters of scripts written right to left (Bidi classes R and AL, RFC 5893).
const RTL_LETTER =
  /^[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Yezidi}]$/u;

// Scripts whose letters pass for each other (TR39 §5.2): one name uses at most one of them.
const LOOKALIKE_SCRIPTS = [
  /\p{Script=Latin}/u,
  /\p{Script=Cyrillic}/u,
  /\p{Script=Greek}/u,
  /\p{Script=Armenian}/u,
];

/** Prepares and enforces a username; the reason says what is wrong when it is refused. */
export function prepareUsername(input: string): UsernameResult {
  if (PLAIN_ASCII.test(input)) {
    const username = input.toLowerCase();
    return input.length <= MAX_BYTES
      ? { ok: true, username }
      : refuse(`longer than ${MAX_BYTES} bytes`);
  }
  const username = input
    .replace(WIDTH_FORMS, (c) => c.normalize('NFKC'))
    .toLowerCase()
    .normalize('NFC');
  if (username === '') return refuse('empty');
  const problem = codePointProblem(username) ?? bidiProblem(username) ?? scriptProblem(username);
  if (problem !== undefined) return refuse(problem);
  if (Buffer.byteLength(username) > MAX_BYTES) return refuse(`longer than ${MAX_BYTES} bytes`);
  // RFC 8264 §7: preparation must be idempotent; a string that changes again is not stable.
  if (username.toLowerCase().normalize('NFC') !== username)
    return refuse('not stable under PRECIS');
  return { ok: true, username };
}

/** The prepared username, or undefined when it is refused. */
export function prepUsername(input: string): string | undefined {
  const result = prepareUsername(input);
  return result.ok ? result.username : undefined;
}

function refuse(reason: string): UsernameResult {
  return { ok: false, reason };
}

function describe(c: string): string {
  const hex = (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex}`;
}

function codePointProblem(text: string): string | undefined {
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (LOCALPART_FORBIDDEN.has(c)) {
      return c === '\\'
        ? "'\\' is not allowed (no XEP-0106 escapes)"
        : `'${c}' is not allowed in a username (RFC 7622)`;
    }
    if (BIDI_CONTROL.test(c)) return `a bidirectional control character (${describe(c)})`;
    if (IGNORABLE.test(c)) return `an invisible or ignorable character (${describe(c)})`;
    if (!allowed(c) && !(CONTEXTO.has(c.codePointAt(0) ?? 0) && contextAllows(chars, i))) {
      if (/^\s$/u.test(c)) return `a space (${describe(c)})`;
      return `a character not allowed in usernames (${describe(c)})`;
    }
  }
  return undefined;
}

/** RFC 8264 §8: is the code point PVALID in the IdentifierClass? */
function allowed(c: string): boolean {
  const cp = c.codePointAt(0) ?? 0;
  if (EXCEPTION_PVALID.has(cp)) return true;
  if (EXCEPTION_DISALLOWED.has(cp) || (cp >= 0x3031 && cp <= 0x3035)) return false;
  if (CONTEXTO.has(cp) || UNASSIGNED.test(c)) return false;
  if (cp >= 0x21 && cp <= 0x7e) return true; // ASCII7
  if (oldHangulJamo(cp) || CONTROL.test(c)) return false;
  if (c.normalize('NFKC') !== c.normalize('NFC')) return false; // HasCompat
  return LETTER_DIGITS.test(c);
}

function oldHangulJamo(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xd7b0 && cp <= 0xd7ff)
  );
}

/** RFC 5892 Appendix A: the rules of the CONTEXTO code points (and Arabic-Indic digits). */
function contextAllows(chars: string[], i: number): boolean {
  const before = chars[i - 1] ?? '';
  const after = chars[i + 1] ?? '';
  switch (chars[i]) {
    case '\u00b7': // MIDDLE DOT, between two 'l' (Catalan)
      return before === 'l' && after === 'l';
    case '\u0375': // GREEK LOWER NUMERAL SIGN, before Greek
      return GREEK.test(after);
    case '\u05f3':
    case '\u05f4': // HEBREW GERESH, GERSHAYIM, after Hebrew
      return HEBREW.test(before);
    case '\u30fb': // KATAKANA MIDDLE DOT, with some Japanese text
      return JAPANESE.test(chars.filter((c) => c !== '\u30fb').join(''));
    default:
      return false;
  }
}

type BidiClass = 'L' | 'R' | 'AN' | 'EN' | 'NSM' | 'ON';

/** An approximation of the Unicode Bidi_Class, enough for the Bidi Rule on valid code points. */
function bidiClass(c: string): BidiClass {
  if (RTL_LETTER.test(c) && !/^\p{M}$/u.test(c) && !/^\p{Nd}$/u.test(c)) return 'R';
  if (/^[\u0660-\u0669\u066b\u066c]$/u.test(c)) return 'AN';
  if (/^[0-9\u06f0-\u06f9]$/u.test(c)) return 'EN';
  if (/^\p{Mn}$/u.test(c)) return 'NSM';
  if (/^[\p{L}\p{Mc}\p{Nd}]$/u.test(c)) return 'L';
  return 'ON';
}

/**
 * RFC 8265 §3.3.2 step 5: the Bidi Rule (RFC 5893 §2) for strings with right-to-left code
 * points; others need nothing. So no name can start in one direction and end in the other.
 */
function bidiProblem(text: string): string | undefined {
  const classes = [...text].map(bidiClass);
  // An RTL string is one with R, AL or AN code points (RFC 5893 §1.4).
  if (!classes.some((k) => k === 'R' || k === 'AN')) return undefined;
  if (classes[0] !== 'R') return 'a right-to-left name must start with a right-to-left letter';
  if (classes.includes('L')) return 'mixes right-to-left and left-to-right letters';
  const last = classes.filter((k) => k !== 'NSM').at(-1);
  if (last !== 'R' && last !== 'EN' && last !== 'AN') {
    return 'a right-to-left name must end with a letter or digit';
  }
  // Also RFC 5892 Appendix A.8–A.9: no Arabic-Indic digits of both kinds in one name.
  if (classes.includes('EN') && classes.includes('AN')) return 'mixes two kinds of digits';
  return undefined;
}

/** Kestrel's rule beyond PRECIS: no name mixes Latin, Cyrillic, Greek and Armenian letters. */
function scriptProblem(text: string): string | undefined {
  const used = LOOKALIKE_SCRIPTS.filter((script) => script.test(text)).length;
  return used > 1 ? 'mixes letters of Latin, Cyrillic, Greek or Armenian script' : undefined;
}
