/** Human-readable output of manager replies. */

type Row = Record<string, unknown>;

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
  return `job ${String(job.job_id)}: ${ended}/${queue} (${pct}%)  done ${n(job.done)}  failed ${n(job.failed)}  running ${n(job.running)}  queued ${n(job.queued)}${eta}`;
}

export function formatStatus(jobs: Row[]): string {
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
    String(j.job_id),
    String(j.state),
    `${n(j.done)}/${n(j.queue)}`,
    String(n(j.failed)),
    String(n(j.running)),
    String(n(j.queued)),
    String(n(j.cancelled)),
    typeof j.eta_s === 'number' ? formatDuration(j.eta_s) : '-',
    String(j.command),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  const out = [line(header), ...rows.map(line)];
  for (const j of jobs) {
    const failures = Array.isArray(j.failures) ? (j.failures as Row[]) : [];
    if (failures.length === 0) continue;
    out.push('', `failed tasks of job ${String(j.job_id)}:`);
    for (const f of failures) {
      const how = f.signal ? `signal ${String(f.signal)}` : `exit ${String(f.exit_code)}`;
      const tail = String(f.stderr_tail ?? '')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      out.push(`  index ${String(f.index)}: ${how}${tail ? `  ${tail}` : ''}`);
    }
  }
  return out.join('\n');
}
