/**
 * Human-readable output of manager replies. Everything printed from a reply goes through
 * printable(): stderr comes from tasks on other people's machines, a command from whoever wrote
 * it, and a raw ESC or CSI in them would drive the user's terminal (colours, cursor moves, window
 * titles, OSC 52 clipboard writes).
 */

type Row = Record<string, unknown>;

// C0 controls, DEL and C1 controls (ECMA-48 §5): everything a terminal may act on.
// eslint-disable-next-line no-control-regex -- matching controls is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** `value` as text with every control character shown as `\xNN`, except those in `keep`. */
export function printable(value: unknown, keep = ''): string {
  return String(value).replace(CONTROLS, (c) => (keep.includes(c) ? c : hex(c)));
}

/** A reply as `--json` prints it: JSON.stringify escapes C0 but leaves DEL and C1 raw. */
export function printableJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const n = (v: unknown) => (typeof v === 'number' ? v : 0);

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressLine(job: Row): string {
  const queue = n(job.queue);
  const ended = n(job.done) + n(job.failed) + n(job.cancelled);
  const pct = queue > 0 ? Math.floor((100 * ended) / queue) : 100;
  const eta = typeof job.eta_s === 'number' ? `  eta ${formatDuration(job.eta_s)}` : '';
  return `job ${printable(job.job_id)}: ${ended}/${queue} (${pct}%)  done ${n(job.done)}  failed ${n(job.failed)}  running ${n(job.running)}  queued ${n(job.queued)}${eta}`;
}

/** `truncated`: how many older jobs the manager left out of the reply. */
export function formatStatus(jobs: Row[], truncated = 0): string {
  if (jobs.length === 0) return 'no jobs';
  const header = [
    'JOB',
    'STATE',
    'DONE',
    'FAILED',
    'RUNNING',
    'QUEUED',
    'CANCELLED',
    'ETA',
    'COMMAND',
  ];
  const rows = jobs.map((j) => [
    printable(j.job_id),
    printable(j.state),
    `${n(j.done)}/${n(j.queue)}`,
    String(n(j.failed)),
    String(n(j.running)),
    String(n(j.queued)),
    String(n(j.cancelled)),
    typeof j.eta_s === 'number' ? formatDuration(j.eta_s) : '-',
    printable(j.command),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  const out = [line(header), ...rows.map(line)];
  if (truncated > 0) {
    out.push(`… and ${truncated} older jobs not shown: \`kestrel status JOB_ID\` shows any one`);
  }
  for (const j of jobs) {
    const failures = Array.isArray(j.failures) ? (j.failures as Row[]) : [];
    if (failures.length === 0) continue;
    out.push('', `failed tasks of job ${printable(j.job_id)}:`);
    for (const f of failures) {
      const how = f.signal ? `signal ${printable(f.signal)}` : `exit ${printable(f.exit_code)}`;
      const tail = String(f.stderr_tail ?? '')
        .trim()
        .split('\n')
        .slice(-3)
        .map((line) => printable(line, '\t'))
        .join(' | ');
      out.push(`  index ${printable(f.index)}: ${how}${tail ? `  ${tail}` : ''}`);
    }
  }
  return out.join('\n');
}
