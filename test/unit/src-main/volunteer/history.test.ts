// The local history: newest first in pages, cut at its size cap without losing the totals,
// totals per local day, and a line cut by a crash costs only that line.
import { appendFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../../shared/api.ts';
import {
  createHistory,
  localDate,
  readAllHistory,
} from '../../../../src-main/volunteer/history.ts';
import { createOtherCpu } from '../../../../src-main/volunteer/probes.ts';

const DAY = 86_400_000;
const noon = new Date(2025, 0, 15, 12).getTime();
const entry = (jobId: number, at = noon, cpuSeconds = 36): HistoryEntry => ({
  jobId,
  index: 0,
  attempt: 1,
  command: `run.sh ${'x'.repeat(100)}`,
  submitter: 'alice@pool',
  manager: 'manager@pool',
  startedAt: at,
  durationMs: 1000,
  exitCode: 0,
  signal: null,
  cpuSeconds,
});
const dataDir = () => mkdtempSync(join(tmpdir(), 'kestrel-history-'));

describe('volunteer history', () => {
  it('pages newest first, with an offset to go on from', () => {
    const history = createHistory({ dataDir: dataDir(), name: 'desk' });
    for (let i = 1; i <= 5; i++) history.record(entry(i), true);
    const first = history.page({ limit: 2 });
    expect(first).toMatchObject({ total: 5, offset: 0, next: '2' });
    expect(first.items.map((e) => e.jobId)).toEqual([5, 4]);
    const last = history.page({ after: '4', limit: 2 });
    expect(last.items.map((e) => e.jobId)).toEqual([1]);
    expect(last.next).toBeUndefined();
    expect(history.page({ after: 'junk' }).offset).toBe(0);
  });

  it('keeps within its size cap, dropping the oldest, while the totals count everything', () => {
    const dir = dataDir();
    const maxBytes = 4000;
    const history = createHistory({ dataDir: dir, name: 'desk', maxBytes, now: () => noon });
    for (let i = 1; i <= 100; i++) history.record(entry(i), true);
    expect(statSync(history.path).size).toBeLessThanOrEqual(maxBytes);
    const kept = history.page({ limit: 1000 }).items.map((e) => e.jobId);
    expect(kept[0]).toBe(100);
    expect(kept.length).toBeLessThan(100);
    expect(kept).toEqual([...kept].sort((a, b) => b - a));
    expect(history.totals()).toMatchObject({ tasks: 100, cpuHours: 1, today: { tasks: 100 } });
  });

  it('totals per local day, newest first; only what ran to its end counts as a task', () => {
    const dir = dataDir();
    const history = createHistory({ dataDir: dir, name: 'desk', now: () => noon });
    history.record(entry(1, noon - DAY), true);
    history.record(entry(2, noon), true);
    history.record(entry(3, noon, 360), false); // given back: its CPU counts, the task does not
    const totals = history.totals();
    expect(totals.tasks).toBe(2);
    expect(totals.cpuHours).toBeCloseTo(0.12);
    expect(totals.today).toEqual({ tasks: 1, cpuHours: 0.11 });
    expect(totals.days.map((d) => d.date)).toEqual([localDate(noon), localDate(noon - DAY)]);
    // Kept across a restart.
    expect(createHistory({ dataDir: dir, name: 'desk', now: () => noon }).totals()).toEqual(totals);
  });

  it('skips a line cut by a crash and reads the workers of a data directory together', () => {
    const dir = dataDir();
    const a = createHistory({ dataDir: dir, name: 'a' });
    const b = createHistory({ dataDir: dir, name: 'b' });
    a.record(entry(1, noon), true);
    b.record(entry(2, noon + 1), true);
    appendFileSync(a.path, '{"jobId": 3, "ind');
    expect(a.page().total).toBe(1);
    expect(readAllHistory(dir).map((e) => e.jobId)).toEqual([1, 2]);
    expect(readAllHistory(dir, 'b').map((e) => e.jobId)).toEqual([2]);
    expect(readAllHistory(join(dir, 'nothing-here'))).toEqual([]);
  });
});

describe('other programs’ CPU', () => {
  it('is the machine’s busy time less ours, over a sliding window', () => {
    const other = createOtherCpu(10_000);
    // 2 cores: 20 CPU-seconds per 10 s. We use 8 of them, others 4 more.
    expect(other.sample(0, { busy: 0, total: 0 }, 0)).toBeUndefined();
    expect(other.sample(5_000, { busy: 6, total: 10 }, 4)).toBeUndefined(); // not a window yet
    expect(other.sample(10_000, { busy: 12, total: 20 }, 8)).toBeCloseTo(20);
    // The window slides: only the last 10 s count.
    expect(other.sample(20_000, { busy: 32, total: 40 }, 8)).toBeCloseTo(100);
    expect(other.sample(30_000, { busy: 32, total: 60 }, 8)).toBeCloseTo(0);
  });
});
