/**
 * The decoding pipeline shared by user and worker traffic: body text -> object -> schema, with
 * every failure turned into a short reason that names the field and what it must be.
 */
import type { z } from 'zod';
import { failure, type Decoded } from './errors.ts';
import { MAX_DEPTH } from './limits.ts';
import { LiteralSyntaxError, LiteralTooLargeError, parseLiteral } from './literal.ts';

/** For each field name, what a valid value is ("a whole number from 1 to 10000000"). */
export type FieldDescriptions = Readonly<Record<string, string>>;

export type BodyObject = Record<string, unknown>;

/** Whether lists and objects in `value` nest at most `levels` deep (the literal parser's rule). */
function nestsWithin(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (levels === 0) return false;
  for (const item of Array.isArray(value) ? value : Object.values(value))
    if (!nestsWithin(item, levels - 1)) return false;
  return true;
}

/**
 * Strict JSON through V8's parser, which is several times faster than ours: worker traffic is
 * always strict JSON (docs/PROTOCOL.md) and is decoded for every task. Undefined when it is not
 * JSON or nests too deep, so that the literal parser gives its reason (or the Python form).
 * Both make every key an own property (a '__proto__' key stays a key) and keep the last of
 * duplicate keys.
 */
function parseJsonFast(body: string, maxLength: number): unknown {
  if (body.length > maxLength) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  return nestsWithin(value, MAX_DEPTH) ? value : undefined;
}

/**
 * Parses a body and checks that it is an object. `jsonFirst`: try strict JSON first (for traffic
 * that is JSON nearly always); the result is the same either way.
 */
export function parseObject(
  body: string,
  maxLength: number,
  example: string,
  jsonFirst = false,
): Decoded<BodyObject, 'bad_syntax' | 'too_large' | 'not_an_object' | 'internal'> {
  let value: unknown = jsonFirst ? parseJsonFast(body, maxLength) : undefined;
  try {
    value ??= parseLiteral(body, { maxLength });
  } catch (err) {
    if (err instanceof LiteralSyntaxError) return failure('bad_syntax', err.message);
    if (err instanceof LiteralTooLargeError) return failure('too_large', err.message);
    // Unreachable by design; decoders promise never to throw, so report rather than rethrow.
    return failure('internal', `could not decode the message: ${String(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failure('not_an_object', `expected an object such as ${example}, got ${show(value)}`);
  }
  return { ok: true, message: value as BodyObject };
}

/** Finds the schema for the object's `type` among those this direction accepts. */
export function pickSchema<S>(
  object: BodyObject,
  schemas: ReadonlyMap<string, S>,
): Decoded<S, 'unknown_type'> {
  const names = [...schemas.keys()];
  const expected = `expected ${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;
  if (!Object.hasOwn(object, 'type')) {
    return failure('unknown_type', `missing field 'type': ${expected}`);
  }
  const schema = typeof object.type === 'string' ? schemas.get(object.type) : undefined;
  if (schema === undefined) {
    return failure('unknown_type', `unknown type ${show(object.type)}: ${expected}`);
  }
  return { ok: true, message: schema };
}

/** Checks an object against a schema; the first problem becomes an invalid_field reason. */
export function validate<S extends z.ZodObject>(
  schema: S,
  input: BodyObject,
  fields: FieldDescriptions,
): Decoded<z.output<S>, 'invalid_field'> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, message: result.data };
  // An unknown field first: a typo ('requries') explains the errors that follow from it.
  const issues = [...result.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const issue = issues[0];
  if (issue === undefined) return failure('invalid_field', 'the message is not valid');
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys
      .slice(0, 5)
      .map((key) => show(key))
      .join(', ');
    const more = issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : '';
    const only = issue.keys.length === 1 ? issue.keys[0] : undefined;
    const hint = only === undefined ? undefined : closest(only, Object.keys(schema.shape));
    const suffix = hint === undefined ? '' : ` (did you mean '${hint}'?)`;
    const plural = only === undefined ? 's' : '';
    return failure('invalid_field', `unknown field${plural} ${names}${more}${suffix}`);
  }
  return failure('invalid_field', fieldReason(issue.path, issue.message, input, fields));
}

function fieldReason(
  path: readonly PropertyKey[],
  fallback: string,
  input: BodyObject,
  fields: FieldDescriptions,
): string {
  const last = path.findLastIndex((part) => typeof part === 'string');
  if (last < 0) return fallback;
  const fieldPath = path.slice(0, last + 1);
  const name = fieldPath
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`,
    )
    .join('');
  const expected = fields[String(path[last])] ?? fallback.toLowerCase();
  const value = valueAt(input, fieldPath);
  if (value === undefined) return `missing field '${name}' (${expected})`;
  const item = path[last + 1];
  const got =
    typeof item === 'number' ? `${show(valueAt(input, path))} as item ${item + 1}` : show(value);
  return `field '${name}' must be ${expected} (got ${got})`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    // Own properties only: never read through to Object.prototype.
    if (!Object.hasOwn(value, part)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** A value as a short phrase for a reason: -5, 'abc', true, a list of 3 items. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `'${JSON.stringify(cut).slice(1, -1).replaceAll('\\"', '"')}'`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty list';
    return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** The known name a typo most likely meant (edit distance <= 2, transpositions count 1). */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate);
    if (d < bestDistance && d < candidate.length) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance; inputs are short field names. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64) return Infinity;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const prev = rows[i - 1] ?? [];
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Infinity;
}
