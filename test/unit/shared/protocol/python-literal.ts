/** Test-only: prints JSON-like values the way a Python user would write them in a chat. */

export interface PythonStyle {
  /** Quote for keys and strings. */
  quote: "'" | '"';
  /** Whitespace after ':' and ','. */
  space: string;
  trailingComma: boolean;
  /** Write whole numbers as floats (10000.0). */
  floatInts: boolean;
}

export const DEFAULT_STYLE: PythonStyle = {
  quote: "'",
  space: '',
  trailingComma: false,
  floatInts: false,
};

function pythonString(text: string, quote: string): string {
  let out = quote;
  for (const c of text) {
    if (c === '\\' || c === quote) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c < ' ' || c === '\x7f') out += `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += c; // everything else raw, lone surrogates included
  }
  return out + quote;
}

export function toPythonLiteral(value: unknown, style: PythonStyle = DEFAULT_STYLE): string {
  const { quote, space, trailingComma, floatInts } = style;
  const tail = trailingComma ? ',' : '';
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    return floatInts && Number.isInteger(value) && Math.abs(value) < 1e15
      ? `${value}.0`
      : String(value);
  }
  if (typeof value === 'string') return pythonString(value, quote);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((item) => toPythonLiteral(item, style)).join(`,${space}`)}${tail}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const items = entries.map(
      ([k, v]) => `${pythonString(k, quote)}:${space}${toPythonLiteral(v, style)}`,
    );
    return `{${items.join(`,${space}`)}${tail}}`;
  }
  throw new TypeError(`cannot print ${typeof value}`);
}
