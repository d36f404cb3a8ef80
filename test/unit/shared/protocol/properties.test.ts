import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type Decoded } from '../../../../shared/protocol/errors.ts';
import {
  MAX_CORES,
  MAX_QUEUE,
  MAX_RAM_MB,
  MAX_REQUIRES,
  MAX_RETRIES,
  TAG_RE,
} from '../../../../shared/protocol/limits.ts';
import { parseLiteral } from '../../../../shared/protocol/literal.ts';
import {
  decodeUserReply,
  decodeUserRequest,
  type JobRequest,
  type UserRequest,
} from '../../../../shared/protocol/user.ts';
import { decodeManagerMessage, decodeWorkerMessage } from '../../../../shared/protocol/worker.ts';
import { toPythonLiteral, type PythonStyle } from './python-literal.ts';

const DECODERS: ReadonlyArray<(body: string) => Decoded<unknown>> = [
  decodeUserRequest,
  decodeUserReply,
  decodeWorkerMessage,
  decodeManagerMessage,
];

/** Every decoder returns a well-formed result and never throws. */
function assertTotal(body: string): void {
  for (const decode of DECODERS) {
    const decoded = decode(body);
    if (decoded.ok) {
      expect(typeof decoded.message).toBe('object');
    } else {
      expect(ERROR_CODES).toContain(decoded.error.code);
      expect(decoded.error.reason.length).toBeGreaterThan(0);
      expect(decoded.error.reason.length).toBeLessThan(400);
    }
  }
}

const style: fc.Arbitrary<PythonStyle> = fc.record({
  quote: fc.constantFrom("'", '"'),
  space: fc.constantFrom('', ' ', '  ', '\t', '\n'),
  trailingComma: fc.boolean(),
  floatInts: fc.boolean(),
});

const commandLine = fc
  .oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }))
  .filter((s) => s.trim() !== '' && !s.includes('\0'));
const tag = fc.stringMatching(TAG_RE);

const jobRequest = fc.record(
  {
    type: fc.constant('job' as const),
    command: commandLine,
    queue: fc.integer({ min: 1, max: MAX_QUEUE }),
    requires: fc.array(fc.oneof(tag, fc.constantFrom('gpu', 'linux')), { maxLength: MAX_REQUIRES }),
    cleanup: commandLine,
    cores: fc.integer({ min: 1, max: MAX_CORES }),
    ram: fc.integer({ min: 0, max: MAX_RAM_MB }),
    retries: fc.integer({ min: 0, max: MAX_RETRIES }),
  },
  { requiredKeys: ['type', 'command', 'queue'] },
);
const jobIdRequest = (type: 'status' | 'cancel') =>
  fc.record(
    { type: fc.constant(type), job_id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
    { requiredKeys: ['type'] },
  );
const request = fc.oneof(
  jobRequest,
  jobIdRequest('status'),
  jobIdRequest('cancel'),
  fc.constant({ type: 'help' as const }),
);

/** What decoding a valid request must give: defaults filled, duplicate tags dropped. */
function normalize(input: UserRequest | (Partial<JobRequest> & { type: 'job' })): UserRequest {
  // A spread also gives fast-check's null-prototype records the prototype decoded objects have.
  if (input.type !== 'job') return { ...input };
  return {
    command: '',
    queue: 0,
    ram: 0,
    retries: 0,
    ...input,
    requires: [...new Set(input.requires ?? [])],
  };
}

const SPICE = [...'\'"{}[],:\\ 0-.eE_TNxu#', '\u2018', '\n', '\u0000', '\ud800', 'None', 'True'];
const mutation = fc.tuple(
  fc.constantFrom('delete', 'insert', 'replace', 'truncate', 'repeat'),
  fc.nat(),
  fc.constantFrom(...SPICE),
);
function mutate(text: string, edits: [string, number, string][]): string {
  let out = text;
  for (const [kind, n, spice] of edits) {
    const at = out.length === 0 ? 0 : n % out.length;
    if (kind === 'delete') out = out.slice(0, at) + out.slice(at + 1);
    else if (kind === 'insert') out = out.slice(0, at) + spice + out.slice(at);
    else if (kind === 'replace') out = out.slice(0, at) + spice + out.slice(at + 1);
    else if (kind === 'truncate') out = out.slice(0, at);
    else out = out.slice(0, at) + out.slice(at, at + 8).repeat(n % 5) + out.slice(at);
  }
  return out;
}
const printed = fc.oneof(
  fc.tuple(request, style).map(([r, s]) => toPythonLiteral(r, s)),
  request.map((r) => JSON.stringify(r)),
);

describe('decoders are total', () => {
  it('for any string', () => {
    fc.assert(fc.property(fc.string(), assertTotal), { numRuns: 500 });
  });

  it('for any full-unicode string, lone surrogates included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), assertTotal), { numRuns: 500 });
  });

  it('for any JSON text', () => {
    fc.assert(fc.property(fc.json({ depthSize: 'medium' }), assertTotal), { numRuns: 500 });
  });

  it('for near-miss literals', () => {
    fc.assert(
      fc.property(printed, fc.array(mutation, { minLength: 1, maxLength: 4 }), (text, edits) =>
        assertTotal(mutate(text, edits)),
      ),
      { numRuns: 2000 },
    );
  });

  it('for deep and long nesting', () => {
    fc.assert(
      fc.property(fc.constantFrom('[', '{"a":', "{'a':[", '[{'), fc.nat({ max: 20_000 }), (o, n) =>
        assertTotal(o.repeat(n)),
      ),
      { numRuns: 50 },
    );
  });
});

describe('round trip', () => {
  it('a valid request decodes to the same value as JSON and as a Python literal', () => {
    fc.assert(
      fc.property(request, style, (input, s) => {
        const expected = { ok: true, message: normalize(input) };
        expect(decodeUserRequest(JSON.stringify(input))).toStrictEqual(expected);
        expect(decodeUserRequest(toPythonLiteral(input, s))).toStrictEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseLiteral agrees with JSON.parse on JSON', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(parseLiteral(text)).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('parseLiteral reads back any JSON value printed as a Python literal', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), style, (value, s) => {
        // JSON has no -0; the Python printer writes it as 0 too.
        const plain: unknown = JSON.parse(JSON.stringify(value));
        expect(parseLiteral(toPythonLiteral(plain, { ...s, floatInts: false }))).toStrictEqual(
          plain,
        );
      }),
      { numRuns: 1000 },
    );
  });
});
