// A line chart as a small, self-contained SVG (no library, no fonts to fetch): x on a log scale,
// y linear from zero, one line per series, every point labelled with its value, for the curves
// in docs/BENCHMARKS.md.

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A note under the title: when and where the figures were taken. */
  note?: string;
}

const W = 640;
const H = 360;
const M = { left: 70, right: 20, top: 56, bottom: 50 };
const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const short = (v: number) =>
  v >= 1e6
    ? `${+(v / 1e6).toFixed(1)}M`
    : v >= 1e4
      ? `${+(v / 1e3).toFixed(0)}k`
      : `${+v.toFixed(0)}`;

/** A round step giving about five ticks up to `max`. */
function step(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
}

export function lineChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  if (all.length === 0) return '';
  const xs = all.map((p) => Math.log10(Math.max(p.x, 1)));
  const [x0, x1] = [Math.floor(Math.min(...xs)), Math.ceil(Math.max(...xs))];
  const yStep = step(Math.max(...all.map((p) => p.y), 1));
  const yMax = Math.ceil(Math.max(...all.map((p) => p.y), 1) / yStep) * yStep;
  const px = (x: number) =>
    M.left + ((Math.log10(Math.max(x, 1)) - x0) / Math.max(x1 - x0, 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="15" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  if (spec.note) out.push(`<text x="${M.left}" y="38" fill="#57606a">${esc(spec.note)}</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#d0d7de"/>`,
      `<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${short(y)}</text>`,
    );
  }
  for (let e = x0; e <= x1; e += 1) {
    const x = px(10 ** e);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eaeef2"/>`,
      `<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${short(10 ** e)}</text>`,
    );
  }
  out.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] ?? '#000';
    const points = [...s.points].sort((a, b) => a.x - b.x);
    const path = points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of points) {
      out.push(
        `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${colour}"/>`,
        `<text x="${px(p.x).toFixed(1)}" y="${(py(p.y) - 8).toFixed(1)}" text-anchor="middle" fill="${colour}">${short(p.y)}</text>`,
      );
    }
    if (spec.series.length > 1)
      out.push(
        `<text x="${W - M.right}" y="${M.top + 14 * i}" text-anchor="end" fill="${colour}">${esc(s.name)}</text>`,
      );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
