// The curves of a run as SVG charts (bench/sections/curves.ts records the points): tasks/s
// against workers and against job size, manager RSS against queued tasks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart, type Series } from './chart.ts';
import type { Figures } from './results.ts';

const num = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);

function points(all: Map<string, Figures>, prefix: string, x: string, y: string): Series['points'] {
  return [...all]
    .filter(([name]) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map(([, f]) => ({ x: num(f[x]), y: num(f[y]) }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
}

/** Writes the charts that have points; returns the files written. */
export function writeCharts(all: Map<string, Figures>, dir: string, note: string): string[] {
  const charts = [
    {
      file: 'bench-workers.svg',
      title: 'Tasks/s against simulated workers (no-op tasks)',
      xLabel: 'simulated workers (1 slot each), one job, embedded server',
      yLabel: 'tasks/s',
      points: points(all, 'embedded-curve-workers-', 'workers', 'tasksPerSecond'),
    },
    {
      file: 'bench-job-size.svg',
      title: 'Tasks/s against job size (100 simulated workers)',
      xLabel: 'no-op tasks in the job, embedded server',
      yLabel: 'tasks/s',
      points: points(all, 'embedded-curve-job-', 'tasks', 'tasksPerSecond'),
    },
    {
      file: 'bench-memory.svg',
      title: 'Manager RSS against queued tasks (no workers)',
      xLabel: 'tasks queued (the first point: none, an idle manager)',
      yLabel: 'manager RSS, MB',
      points: points(all, 'embedded-curve-queued-', 'queued', 'managerRssMb'),
    },
  ];
  const written: string[] = [];
  for (const c of charts) {
    if (c.points.length === 0) continue;
    const svg = lineChart({ ...c, note, series: [{ name: 'Kestrel', points: c.points }] });
    writeFileSync(join(dir, c.file), svg);
    written.push(join(dir, c.file));
  }
  return written;
}
