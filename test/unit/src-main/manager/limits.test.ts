import { describe, expect, it } from 'vitest';
import { wireBytes } from '../../../../shared/protocol/encode.ts';
import { MAX_WORKER_BODY, STATUS_COMMAND_CHARS } from '../../../../shared/protocol/limits.ts';
import { createJobTasks } from '../../../../src-main/manager/core/job-tasks.ts';
import { listReply, oneJobReply, shorten } from '../../../../src-main/manager/status-view.ts';
import type { StoredTask } from '../../../../src-main/manager/store.ts';
import { createWorkerRate } from '../../../../src-main/manager/worker-rate.ts';
import { createRefusals } from '../../../../src-main/worker/refusals.ts';
import { printable, printableJson } from '../../../../src-main/cli/format.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const job = (id: number, command: string) =>
  createJobTasks({
    id,
    owner: 'a@p',
    replyTo: 'a@p/x',
    spec: { command, queue: 1, requires: [], cores: 1, ram: 0, retries: 0 },
    submittedAt: 0,
  });

describe('status replies', () => {
  it('list the newest jobs that fit and count the rest', () => {
    const jobs = Array.from({ length: 500 }, (_, i) => job(i + 1, '&'.repeat(4096)));
    const reply = listReply(jobs, 0);
    expect(wireBytes(JSON.stringify(reply))).toBeLessThanOrEqual(MAX_WORKER_BODY);
    expect(reply.jobs[0]?.job_id).toBe(500);
    expect(reply.jobs.length + (reply.truncated ?? 0)).toBe(500);
    expect(reply.jobs[0]?.command).toHaveLength(STATUS_COMMAND_CHARS);
    expect(reply.jobs[0]?.command.endsWith('…')).toBe(true);
    expect(listReply(jobs.slice(0, 2), 0)).not.toHaveProperty('truncated');
  });

  it('keep one job whole and the failures that fit', () => {
    const failure = (index: number): StoredTask => ({
      jobId: 1,
      index,
      state: 'failed',
      attempt: 1,
      failures: 1,
      lost: 0,
      exitCode: 1,
      signal: null,
      durationMs: 1,
      stdoutTail: '',
      stderrTail: '<'.repeat(4096),
      error: null,
    });
    const reply = oneJobReply(job(1, '&'.repeat(4096)), 0, [0, 1, 2].map(failure));
    expect(reply.jobs[0]?.command).toHaveLength(4096);
    expect(reply.jobs[0]?.failures?.[0]?.stderr_tail).toMatch(/^…<{1023}$/);
    const many = oneJobReply(job(1, '&'.repeat(4096)), 0, [], 30_000);
    expect(many.jobs[0]?.failures).toEqual([]);
  });

  it('never cut a surrogate pair in half', () => {
    expect(shorten('😀'.repeat(10), 4, 'start')).toBe('😀…');
    expect(shorten('😀'.repeat(10), 4, 'end')).toBe('…😀');
  });
});

describe('worker rate', () => {
  it('drops past the limit, keeps dropping until a resync, then admits again', () => {
    let t = 0;
    const limits = { messagesPerSecond: 10, messageBurst: 4, bytesPerSecond: 100, byteBurst: 400 };
    const rate = createWorkerRate(limits, () => t, silent);
    expect([1, 2, 3, 4, 5].map(() => rate.admit('w@p/a', 10))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(rate.admit('w@p/b', 10)).toBe(true);
    t += 1000;
    // Refilled, but still owed a resync: a profile must not overtake the results it follows.
    expect(rate.admit('w@p/a', 10)).toBe(false);
    expect(rate.resyncDue()).toEqual(['w@p/a']);
    expect(rate.resyncDue()).toEqual([]);
    expect(rate.admit('w@p/a', 10)).toBe(true);
    expect(rate.admit('w@p/a', 500)).toBe(false);
  });
});

describe('refusals', () => {
  it('answers a few, then is silent, and logs one line plus a summary', () => {
    let t = 0;
    const lines: string[] = [];
    const log = { ...silent, warn: (m: string) => void lines.push(m) };
    const answered: string[] = [];
    const refusals = createRefusals({ log, answer: (to) => answered.push(to), now: () => t });
    for (let i = 0; i < 1000; i += 1) refusals.refuse(`x${i % 3}@p/r`);
    t += 2000;
    refusals.stop();
    expect(answered).toHaveLength(5);
    expect(lines).toEqual([
      'refused a message from a JID that is not our manager',
      'refused 1000 messages from 3 JIDs that are not our manager in the last 2 s',
    ]);
  });
});

describe('terminal output', () => {
  it('shows C0 and C1 controls as escapes, keeping what is asked', () => {
    expect(printable('a\u001b[31mb\u009b\u0007\tc\n', '\t')).toBe('a\\x1b[31mb\\x9b\\x07\tc\\x0a');
    expect(printableJson({ s: '\u001b\u009b' })).toBe('{"s":"\\u001b\\u009b"}');
  });
});
