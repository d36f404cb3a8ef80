// Look-alike usernames (Unicode TR39 §4, "skeletons"): two prepared usernames that render
// alike get the same skeleton, so a new account cannot pass for an existing one ('mаnager'
// with a Cyrillic а, 'adm1n', 'rnanager'). The table is ours and small: the Cyrillic, Greek,
// Armenian and Latin letters that look like lowercase Latin ones, plus the digit/letter pairs
// TR39 leaves alone in lowercase (0/o, 1/l/i). Beyond TR39, combining marks are dropped, so
// accents do not make a name distinct either. Input is already lowercase (see username.ts).

/** Each look-alike → the Latin letter it passes for. */
const PROTOTYPES: Record<string, string> = {
  // Cyrillic
  а: 'a',
  б: '6',
  в: 'b',
  г: 'r',
  е: 'e',
  з: '3',
  и: 'u',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  п: 'n',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ч: '4',
  ь: 'b',
  ѕ: 's',
  і: 'l',
  ј: 'j',
  һ: 'h',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  ү: 'y',
  ԍ: 'g',
  ѡ: 'w',
  ѵ: 'v',
  // Greek
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  η: 'n',
  ι: 'l',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  ϲ: 'c',
  ϳ: 'j',
  μ: 'u',
  // Armenian
  հ: 'h',
  ո: 'n',
  ս: 'u',
  օ: 'o',
  ց: 'g',
  զ: 'q',
  ք: 'p',
  // Latin letters and digits that pass for others
  ı: 'l',
  ɩ: 'l',
  ɡ: 'g',
  ȷ: 'j',
  ɑ: 'a',
  ʀ: 'r',
  ƅ: 'b',
  ß: 'b',
  '0': 'o',
  '1': 'l',
  i: 'l',
  '|': 'l',
};

/** Letter pairs that read as one letter (TR39 maps m → rn, d → cl, w → vv). */
const DIGRAPHS: [RegExp, string][] = [
  [/rn/g, 'm'],
  [/cl/g, 'd'],
  [/vv/g, 'w'],
];

const MARKS = /\p{M}/gu;

/** The skeleton of a prepared (lowercase) username: equal skeletons look alike. */
export function skeleton(username: string): string {
  let mapped = '';
  for (const c of username.normalize('NFD').replace(MARKS, '')) mapped += PROTOTYPES[c] ?? c;
  for (const [pattern, letter] of DIGRAPHS) mapped = mapped.replace(pattern, letter);
  return mapped;
}
