// Every command that ran on this machine, for its owner: one JSON line per task in
// DATA_DIR/history/NAME.jsonl (newest last), cut to the newest half once it passes its size cap,
// and running totals per local day in NAME.totals.json, which the cut does not touch.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { DonationTotals, HistoryEntry, Page, PageRequest } from '../../shared/api.ts';
import type { TaskOutcome } from '../worker/executor.ts';
import type { GovernedTask } from './governor.ts';

/** About 3,000 entries. */
export const HISTORY_MAX_BYTES = 1_000_000;
const TOTAL_DAYS = 30;
const PAGE_DEFAULT = 100;
const PAGE_MAX = 1000;

export interface History {
  readonly path: string;
  /** Appends one entry; a task counts as donated when it ran to its end (it has a result). */
  record(entry: HistoryEntry, counted: boolean): void;
  /** Newest first; `after` is the position to start at (from a previous page's `next`). */
  page(request?: PageRequest): Page<HistoryEntry>;
  totals(): DonationTotals;
}

interface StoredTotals {
  tasks: number;
  cpuSeconds: number;
  /** By local date, YYYY-MM-DD. */
  days: Record<string, { tasks: number; cpuSeconds: number }>;
}

/**
 * The history entry of a task that ended, and whether it counts as donated (it ran to its end);
 * undefined for a task that never started (refused, or given back before it could).
 */
export function historyEntry(
  task: GovernedTask,
  outcome: TaskOutcome,
  manager: string,
): { entry: HistoryEntry; counted: boolean } | undefined {
  if (task.startedAt === undefined) return undefined;
  const note =
    task.note ??
    outcome.stopped ??
    outcome.error ??
    (outcome.cancelled ? 'stopped: cancelled by the manager' : undefined);
  const { spec } = task;
  const entry: HistoryEntry = {
    jobId: spec.jobId,
    index: spec.index,
    attempt: spec.attempt,
    command: spec.command,
    ...(spec.owner === undefined ? {} : { submitter: spec.owner }),
    manager,
    startedAt: task.startedAt,
    durationMs: outcome.durationMs,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    ...(outcome.cpuSeconds === undefined ? {} : { cpuSeconds: outcome.cpuSeconds }),
    ...(note === undefined ? {} : { note }),
  };
  return { entry, counted: !outcome.cancelled };
}

export const historyDir = (dataDir: string): string => join(dataDir, 'history');

/** The local calendar date of an instant, as YYYY-MM-DD. */
export function localDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function readLines(path: string): HistoryEntry[] {
  if (!existsSync(path)) return [];
  const out: HistoryEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as HistoryEntry);
    } catch {
      // A line cut by a crash mid-write: the others still count.
    }
  }
  return out;
}

export function pageOf(
  all: readonly HistoryEntry[],
  request: PageRequest = {},
): Page<HistoryEntry> {
  const limit = Math.min(PAGE_MAX, Math.max(1, request.limit ?? PAGE_DEFAULT));
  const offset = Math.max(0, Number.parseInt(request.after ?? '0', 10) || 0);
  const newest = [...all].reverse();
  const items = newest.slice(offset, offset + limit);
  const end = offset + items.length;
  return { items, total: all.length, offset, ...(end < all.length ? { next: String(end) } : {}) };
}

export interface HistoryOptions {
  dataDir: string;
  /** The worker's name: several workers may share a data directory. */
  name: string;
  maxBytes?: number;
  now?: () => number;
}

export function createHistory(options: HistoryOptions): History {
  const { maxBytes = HISTORY_MAX_BYTES } = options;
  const now = options.now ?? Date.now;
  const dir = historyDir(options.dataDir);
  const path = join(dir, `${options.name}.jsonl`);
  const totalsPath = join(dir, `${options.name}.totals.json`);
  let size = existsSync(path) ? statSync(path).size : 0;
  let totals: StoredTotals = { tasks: 0, cpuSeconds: 0, days: {} };
  if (existsSync(totalsPath)) {
    try {
      totals = JSON.parse(readFileSync(totalsPath, 'utf8')) as StoredTotals;
    } catch {
      // Damaged: start counting again rather than stop the worker.
    }
  }

  function cut(): void {
    // Keep the newest entries that fill half the cap, so a cut happens once per half-cap.
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    let kept = 0;
    let bytes = 0;
    while (kept < lines.length && bytes < maxBytes / 2) {
      bytes += Buffer.byteLength(lines[lines.length - 1 - kept] ?? '') + 1;
      kept += 1;
    }
    const text = lines.slice(lines.length - kept).join('\n') + '\n';
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    size = Buffer.byteLength(text);
  }

  return {
    path,
    record(entry, counted) {
      mkdirSync(dir, { recursive: true });
      const line = `${JSON.stringify(entry)}\n`;
      appendFileSync(path, line);
      size += Buffer.byteLength(line);
      if (size > maxBytes) cut();
      const date = localDate(entry.startedAt + entry.durationMs);
      const day = (totals.days[date] ??= { tasks: 0, cpuSeconds: 0 });
      const cpu = entry.cpuSeconds ?? 0;
      totals.cpuSeconds += cpu;
      day.cpuSeconds += cpu;
      if (counted) {
        totals.tasks += 1;
        day.tasks += 1;
      }
      const recent = Object.entries(totals.days).sort(([a], [b]) => (a < b ? -1 : 1));
      totals.days = Object.fromEntries(recent.slice(-TOTAL_DAYS));
      writeFileSync(`${totalsPath}.tmp`, JSON.stringify(totals));
      renameSync(`${totalsPath}.tmp`, totalsPath);
    },
    page: (request) => pageOf(readLines(path), request),
    totals() {
      const hours = (s: number) => s / 3600;
      const today = totals.days[localDate(now())] ?? { tasks: 0, cpuSeconds: 0 };
      return {
        tasks: totals.tasks,
        cpuHours: hours(totals.cpuSeconds),
        today: { tasks: today.tasks, cpuHours: hours(today.cpuSeconds) },
        days: Object.entries(totals.days)
          .sort(([a], [b]) => (a < b ? 1 : -1))
          .map(([date, d]) => ({ date, tasks: d.tasks, cpuHours: hours(d.cpuSeconds) })),
      };
    },
  };
}

/** Every worker's history in a data directory, oldest first (for `kestrel worker history`). */
export function readAllHistory(dataDir: string, name?: string): HistoryEntry[] {
  const dir = historyDir(dataDir);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter(
    (f) => f.endsWith('.jsonl') && (name === undefined || f === `${name}.jsonl`),
  );
  return files.flatMap((f) => readLines(join(dir, f))).sort((a, b) => a.startedAt - b.startedAt);
}
