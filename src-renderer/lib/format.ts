import type { JobCounts, JobSummary } from '../../shared/api.ts';

/** How the views write numbers, times and progress. Pure. */

const integer = new Intl.NumberFormat('en');

export const count = (n: number): string => integer.format(n);

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

export const ended = (c: JobCounts): number => c.done + c.failed + c.cancelled;

/** Whole percent of tasks ended; 100 only when every task has. */
export function percent(job: Pick<JobSummary, 'counts' | 'queue'>): number {
  const n = ended(job.counts);
  if (n >= job.queue) return 100;
  return Math.min(99, Math.floor((100 * n) / job.queue));
}

export function time(epochMs: number): string {
  return new Date(epochMs).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function megabytes(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(mb >= 10_240 ? 0 : 1)} GB` : `${count(mb)} MB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
