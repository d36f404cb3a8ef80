// `kestrel worker history`: what ran on this machine, newest first, one line per command.
import type { HistoryEntry } from '../../shared/api.ts';
import { formatDuration } from './format.ts';

const pad = (n: number) => String(n).padStart(2, '0');
const when = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

function result(h: HistoryEntry): string {
  if (h.signal !== null) return h.signal;
  return h.exitCode === null ? '-' : `exit ${h.exitCode}`;
}

export function formatHistory(entries: readonly HistoryEntry[], total: number): string {
  if (entries.length === 0) return 'nothing has run on this machine yet';
  const header = ['STARTED', 'TASK', 'SUBMITTER', 'TOOK', 'RESULT', 'CPU', 'COMMAND'];
  const rows = entries.map((h) => [
    when(h.startedAt),
    `${h.jobId}.${h.index}#${h.attempt}`,
    h.submitter ?? '-',
    formatDuration(Math.round(h.durationMs / 1000)),
    result(h),
    h.cpuSeconds === undefined ? '-' : `${h.cpuSeconds.toFixed(1)}s`,
    h.note === undefined ? h.command : `${h.command}  (${h.note})`,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (r: string[]) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
  const more =
    total > entries.length ? `\n(${entries.length} of ${total}; --limit N shows more)` : '';
  return [line(header), ...rows.map(line)].join('\n') + more;
}
