import { describe, expect, it } from 'vitest';
import {
  LiteralSyntaxError,
  LiteralTooLargeError,
  parseLiteral,
} from '../../../../shared/protocol/literal.ts';
import { MAX_BODY, MAX_DEPTH } from '../../../../shared/protocol/limits.ts';

const syntaxError = (text: string): LiteralSyntaxError => {
  try {
    parseLiteral(text);
  } catch (err) {
    if (err instanceof LiteralSyntaxError) return err;
    throw err;
  }
  throw new Error(`parsed without error: ${text}`);
};

describe('parseLiteral', () => {
  it.each([
    ['{"a": 1}', { a: 1 }],
    [`{'a': 1}`, { a: 1 }],
    [
      `{'type':'job', 'command':"~/runtask.sh", 'queue':10000}`,
      {
        type: 'job',
        command: '~/runtask.sh',
        queue: 10000,
      },
    ],
    ['[true, false, null]', [true, false, null]],
    ['[True, False, None]', [true, false, null]],
    ['[1, 2,]', [1, 2]],
    [`{'a': [1, {'b': 'c'},], }`, { a: [1, { b: 'c' }] }],
    ['{}', {}],
    ['[]', []],
    ['  \n\t{ }\u00a0', {}],
    ['\ufeff{"a":1}', { a: 1 }],
    ['-1.5e3', -1500],
    ['+7', 7],
    ['10000.0', 10000],
    ['10_000', 10000],
    ['1.', 1],
    ['.5', 0.5],
    ['0', 0],
    ['0.25', 0.25],
    ['1E+2', 100],
    [`'it\\'s'`, "it's"],
    [`"say \\"hi\\""`, 'say "hi"'],
    [`'a\\tb\\nc\\\\d\\/e'`, 'a\tb\nc\\d/e'],
    [`'\\x41\\u00e9\\U0001F600'`, 'Aé😀'],
    ['"\\ud83d\\ude00"', '😀'],
    ['"\\ud800"', '\ud800'],
    ['"tab\there"', 'tab\there'],
    ['{"a": 1, "a": 2}', { a: 2 }],
  ])('parses %s', (text, value) => {
    expect(parseLiteral(text)).toStrictEqual(value);
  });

  it('agrees with JSON.parse on strict JSON', () => {
    const text = JSON.stringify({ s: 'x\u0001"\\/é😀', n: [0, -1, 1.5e-7, 1e21], o: { t: true } });
    expect(parseLiteral(text)).toStrictEqual(JSON.parse(text));
  });

  it.each([
    ['', 'the message is empty'],
    ['   ', 'the message is empty'],
    ['hi', "expected a value at position 1, found 'hi'"],
    ['{"a" 1}', "expected ':' after the key 'a' at position 6, found '1'"],
    ['{"a": 1', "expected ',' or '}' at position 8, found the end of the message"],
    ['[1 2]', "expected ',' or ']' at position 4, found '2'"],
    ['[1,,2]', "expected a value at position 4, found ','"],
    ['{,}', "expected a quoted key or '}' at position 2, found ','"],
    [
      '{type: 1}',
      "expected a quoted key or '}' at position 2, found 'type' (keys need quotes: 'type')",
    ],
    ['{1: 2}', "expected a quoted key or '}' at position 2, found '1'"],
    ['\u2018type\u2019', 'expected a value at position 1, found the curly quote \u2018'],
    ["'abc", 'string opened at position 1 is not closed'],
    ["'a\nb'", 'string opened at position 1 is not closed before the line ends'],
    ['"a\u0001"', 'control character U+0001 in a string at position 3'],
    ["'C:\\path'", "unknown escape '\\p' at position 4 (write '\\\\' for a backslash)"],
    ["'\\x4'", "escape '\\x' at position 2 needs 2 hex digits"],
    ["'\\U00110000'", "escape '\\U' at position 2 needs 8 hex digits"],
    ['NaN', 'NaN is not allowed: numbers must be finite'],
    ['-Infinity', 'Infinity is not allowed: numbers must be finite'],
    ['[inf]', 'inf is not allowed: numbers must be finite'],
    ['1e400', 'number at position 1 is too large'],
    ['007', 'number at position 1 starts with a zero'],
    ['-', 'expected a digit at position 2, found the end of the message'],
    ['1e', 'expected the digits of an exponent at position 3, found the end of the message'],
    ['{} {}', "expected the end of the message at position 4, found '{'"],
    ["{'a':1 'b':2}", `expected ',' or '}' at position 8, found "'"`],
    ['1__0', "expected the end of the message at position 2, found '__0'"],
  ])('rejects %j', (text, message) => {
    const err = syntaxError(text);
    expect(err.code).toBe('bad_syntax');
    expect(err.message.startsWith(message)).toBe(true);
  });

  it('keeps __proto__ an ordinary key', () => {
    const value = parseLiteral('{"__proto__": {"polluted": 1}, "b": {"__proto__": []}}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value as object)).toEqual(['__proto__', 'b']);
    expect(Object.hasOwn(value as object, '__proto__')).toBe(true);
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it(`accepts nesting to depth ${MAX_DEPTH} and refuses deeper`, () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(() => parseLiteral(nested(MAX_DEPTH))).not.toThrow();
    expect(() => parseLiteral(nested(MAX_DEPTH + 1))).toThrow(LiteralTooLargeError);
  });

  it('never overflows the stack on hostile nesting', () => {
    for (const text of ['['.repeat(60_000), "{'a':".repeat(12_000), '[{"a":'.repeat(9000)]) {
      expect(() => parseLiteral(text)).toThrow(LiteralTooLargeError);
    }
  });

  it('refuses input longer than the limit', () => {
    const text = `"${'x'.repeat(MAX_BODY)}"`;
    expect(() => parseLiteral(text)).toThrow(LiteralTooLargeError);
    expect(parseLiteral(text, { maxLength: MAX_BODY + 2 })).toHaveLength(MAX_BODY);
  });
});
