/**
 * Parser for message bodies: strict JSON (RFC 8259) and the Python literal form people paste
 * from seed 001, e.g. {'type':'job', 'command':"~/runtask.sh", 'queue':10000}.
 *
 * One recursive-descent grammar accepts the union of both: strings in single or double quotes,
 * true/false/null and True/False/None, trailing commas, digit underscores (10_000). No eval.
 * Recursion is bounded by MAX_DEPTH, so hostile nesting cannot overflow the stack.
 */
import { MAX_BODY, MAX_DEPTH } from './limits.ts';

export class LiteralSyntaxError extends Error {
  readonly code = 'bad_syntax';
  /** 0-based offset in the input where parsing stopped. */
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = 'LiteralSyntaxError';
    this.position = position;
  }
}

export class LiteralTooLargeError extends Error {
  readonly code = 'too_large';

  constructor(message: string) {
    super(message);
    this.name = 'LiteralTooLargeError';
  }
}

export interface LiteralOptions {
  /** Longest input in UTF-16 characters (default MAX_BODY). */
  maxLength?: number;
}

const WORDS = new Map<string, boolean | null>([
  ['true', true],
  ['True', true],
  ['false', false],
  ['False', false],
  ['null', null],
  ['None', null],
]);
const NON_FINITE = new Set(['NaN', 'nan', 'Infinity', 'inf', 'Inf']);
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '/': '/',
  '\\': '\\',
  "'": "'",
  '"': '"',
};
const HEX_ESCAPE_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };
const CURLY_QUOTES = '\u2018\u2019\u201c\u201d';

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** Parses one JSON or Python-literal value; throws LiteralSyntaxError or LiteralTooLargeError. */
export function parseLiteral(text: string, options: LiteralOptions = {}): unknown {
  const maxLength = options.maxLength ?? MAX_BODY;
  if (text.length > maxLength) {
    throw new LiteralTooLargeError(
      `message is ${text.length} characters long; the limit is ${maxLength}`,
    );
  }
  let pos = 0;

  const fail = (message: string, at = pos): never => {
    throw new LiteralSyntaxError(message, at);
  };

  /** What sits at `at`, for error messages: a word, one character, or the end. */
  const found = (at = pos): string => {
    if (at >= text.length) return 'the end of the message';
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at, at + 40))?.[0];
    if (word !== undefined) return `'${word}'`;
    const c = String.fromCodePoint(text.codePointAt(at) ?? 0);
    if (CURLY_QUOTES.includes(c)) return `the curly quote ${c} (use straight quotes ' or ")`;
    if (/[\p{Cc}\p{Cf}\p{Z}]/u.test(c)) {
      return `U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`;
    }
    return c === "'" ? `"'"` : `'${c}'`;
  };
  const expected = (what: string, at = pos, hint = ''): never =>
    fail(`expected ${what} at position ${at + 1}, found ${found(at)}${hint}`, at);

  const skipSpace = (): void => {
    // \s also covers the no-break spaces and BOM some chat clients insert.
    while (pos < text.length && /\s/.test(text[pos] ?? '')) pos++;
  };

  const parseValue = (depth: number): unknown => {
    skipSpace();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (depth > MAX_DEPTH) {
        throw new LiteralTooLargeError(`lists and objects are nested deeper than ${MAX_DEPTH}`);
      }
      return c === '{' ? parseObject(depth) : parseArray(depth);
    }
    if (c === '"' || c === "'") return parseString();
    if (c === '-' || c === '+' || c === '.' || isDigit(c)) return parseNumber();
    if (isWordStart(c)) return parseWord();
    return expected('a value');
  };

  const parseObject = (depth: number): Record<string, unknown> => {
    // A Map, then Object.fromEntries: both define own properties, so a '__proto__' key stays
    // an ordinary key and never replaces the prototype. Duplicate keys: the last wins, as in
    // JSON.parse and Python dict displays.
    const entries = new Map<string, unknown>();
    pos++;
    for (;;) {
      skipSpace();
      if (text[pos] === '}') break;
      const c = text[pos];
      if (c !== '"' && c !== "'") {
        expected(`a quoted key or '}'`, pos, isWordStart(c) ? ` (keys need quotes: 'type')` : '');
      }
      const key = parseString();
      skipSpace();
      if (text[pos] !== ':') expected(`':' after the key '${key.slice(0, 40)}'`);
      pos++;
      entries.set(key, parseValue(depth + 1));
      skipSpace();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== '}') expected(`',' or '}'`);
    }
    pos++;
    return Object.fromEntries(entries);
  };

  const parseArray = (depth: number): unknown[] => {
    const items: unknown[] = [];
    pos++;
    for (;;) {
      skipSpace();
      if (text[pos] === ']') break;
      items.push(parseValue(depth + 1));
      skipSpace();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== ']') expected(`',' or ']'`);
    }
    pos++;
    return items;
  };

  const parseString = (): string => {
    const start = pos;
    const quote = text[pos];
    pos++;
    let out = '';
    let chunk = pos;
    for (;;) {
      const c = text[pos];
      if (c === undefined) fail(`string opened at position ${start + 1} is not closed`, start);
      if (c === quote) break;
      if (c === '\n' || c === '\r') {
        fail(`string opened at position ${start + 1} is not closed before the line ends`, start);
      }
      if (c !== undefined && c < ' ' && c !== '\t') {
        fail(`control character ${found()} in a string at position ${pos + 1}`);
      }
      if (c === '\\') {
        out += text.slice(chunk, pos) + parseEscape();
        chunk = pos;
      } else {
        pos++;
      }
    }
    out += text.slice(chunk, pos);
    pos++;
    return out;
  };

  const parseEscape = (): string => {
    const at = pos;
    const kind = text[pos + 1] ?? '';
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) {
      pos += 2;
      return simple;
    }
    const length = HEX_ESCAPE_LENGTH[kind];
    if (length === undefined) {
      return fail(
        `unknown escape '\\${kind}' at position ${at + 1} (write '\\\\' for a backslash)`,
        at,
      );
    }
    const hex = text.slice(pos + 2, pos + 2 + length);
    const code = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === length ? parseInt(hex, 16) : -1;
    if (code < 0 || code > 0x10ffff) {
      fail(`escape '\\${kind}' at position ${at + 1} needs ${length} hex digits`, at);
    }
    pos += 2 + length;
    // \u yields a UTF-16 unit, so JSON surrogate pairs join up and lone surrogates pass through.
    return kind === 'u' ? String.fromCharCode(code) : String.fromCodePoint(code);
  };

  /** A run of digits with single underscores between them (Python's 10_000). */
  const scanDigits = (): number => {
    const start = pos;
    while (isDigit(text[pos]) || (text[pos] === '_' && pos > start && isDigit(text[pos + 1]))) {
      pos++;
    }
    return pos - start;
  };

  const parseNumber = (): number => {
    const start = pos;
    if (text[pos] === '-' || text[pos] === '+') pos++;
    if (isWordStart(text[pos])) {
      const word = /^[A-Za-z_]+/.exec(text.slice(pos, pos + 20))?.[0] ?? '';
      if (NON_FINITE.has(word)) fail(`${word} is not allowed: numbers must be finite`, start);
    }
    const intStart = pos;
    const intDigits = scanDigits();
    if (intDigits > 1 && text[intStart] === '0') {
      fail(`number at position ${intStart + 1} starts with a zero`, intStart);
    }
    let fracDigits = 0;
    if (text[pos] === '.') {
      pos++;
      fracDigits = scanDigits();
    }
    if (intDigits === 0 && fracDigits === 0) expected('a digit');
    if (text[pos] === 'e' || text[pos] === 'E') {
      pos++;
      if (text[pos] === '-' || text[pos] === '+') pos++;
      if (scanDigits() === 0) expected('the digits of an exponent');
    }
    const value = Number(text.slice(start, pos).replaceAll('_', ''));
    if (!Number.isFinite(value)) fail(`number at position ${start + 1} is too large`, start);
    return value;
  };

  const parseWord = (): boolean | null => {
    const start = pos;
    while (isWordChar(text[pos])) pos++;
    const word = text.slice(start, pos);
    const value = WORDS.get(word);
    if (value !== undefined) return value;
    if (NON_FINITE.has(word)) fail(`${word} is not allowed: numbers must be finite`, start);
    return expected('a value', start);
  };

  skipSpace();
  if (pos === text.length) fail('the message is empty');
  const value = parseValue(1);
  skipSpace();
  if (pos < text.length) expected('the end of the message');
  return value;
}
