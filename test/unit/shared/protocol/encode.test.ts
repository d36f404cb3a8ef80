import { describe, expect, it } from 'vitest';
import {
  encodeBatches,
  encodeMessage,
  MessageTooLargeError,
  wireBytes,
} from '../../../../shared/protocol/encode.ts';
import { MAX_BATCH, MAX_WORKER_BODY, TAIL_CHARS } from '../../../../shared/protocol/limits.ts';
import {
  decodeManagerMessage,
  decodeWorkerMessage,
  type TaskRef,
  type TaskResult,
} from '../../../../shared/protocol/worker.ts';

const bytes = (text: string): number => new TextEncoder().encode(text).length;

describe('encodeMessage', () => {
  it('writes strict JSON and leaves out absent optional fields', () => {
    const body = encodeMessage({ type: 'job_started', job_id: 483 });
    expect(body).toBe('{"type":"job_started","job_id":483}');
    expect(encodeMessage({ type: 'status', job_id: undefined })).toBe('{"type":"status"}');
  });
});

describe('encodeBatches', () => {
  it('splits 1000 results with full tails into bodies under the limit, in order', () => {
    const results: TaskResult[] = Array.from({ length: MAX_BATCH }, (_, index) => ({
      job_id: 1,
      index,
      attempt: 1,
      exit_code: 1,
      signal: null,
      duration_ms: 10,
      // 3-byte characters and characters JSON must escape: the worst realistic tails.
      stdout_tail: '€'.repeat(TAIL_CHARS),
      stderr_tail: '"\n'.repeat(TAIL_CHARS / 2),
    }));
    const bodies = encodeBatches(results, (batch) => ({
      type: 'task_results',
      v: 1,
      results: batch,
    }));
    expect(bodies.length).toBeGreaterThan(1);
    const decoded: TaskResult[] = [];
    for (const body of bodies) {
      expect(bytes(body)).toBeLessThanOrEqual(MAX_WORKER_BODY);
      const message = decodeWorkerMessage(body);
      if (!message.ok || message.message.type !== 'task_results')
        throw new Error(body.slice(0, 99));
      decoded.push(...message.message.results);
    }
    expect(decoded).toStrictEqual(results);
  });

  it(`caps a body at ${MAX_BATCH} items`, () => {
    const refs: TaskRef[] = Array.from({ length: 2500 }, (_, index) => ({
      job_id: 1,
      index,
      attempt: 1,
    }));
    const bodies = encodeBatches(refs, (batch) => ({ type: 'ack', v: 1, results: batch }));
    const sizes = bodies.map((body) => {
      const message = decodeManagerMessage(body);
      return message.ok && message.message.type === 'ack' ? message.message.results.length : -1;
    });
    expect(sizes).toStrictEqual([1000, 1000, 500]);
  });

  it('returns nothing for no items and refuses an item that can never fit', () => {
    const wrap = (batch: TaskRef[]) => ({ type: 'cancel_tasks', v: 1, tasks: batch }) as const;
    expect(encodeBatches([], wrap)).toStrictEqual([]);
    expect(() => encodeBatches([{ job_id: 1, index: 0, attempt: 1 }], wrap, 40)).toThrow(
      MessageTooLargeError,
    );
  });
});

describe('wireBytes', () => {
  it('counts UTF-8 bytes after XML escaping, as the server measures a stanza', () => {
    const samples = ['plain', '&<>"\'', '€😀é', '\ud800x', ''];
    const escaped = (s: string) =>
      s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    for (const s of samples) expect(wireBytes(s)).toBe(bytes(escaped(s)));
  });

  it('keeps batches of `&`-heavy items under the limit on the wire', () => {
    const tasks = Array.from({ length: 16 }, (_, index) => ({
      job_id: 1,
      index,
      attempt: 1,
      command: '&'.repeat(4096),
      cleanup: '&'.repeat(4096),
      cores: 1,
      ram: 0,
    }));
    const bodies = encodeBatches(tasks, (batch) => ({ type: 'tasks', v: 1, tasks: batch }));
    expect(bodies.length).toBeGreaterThan(4);
    for (const body of bodies) expect(wireBytes(body)).toBeLessThanOrEqual(MAX_WORKER_BODY);
    expect(() => encodeMessage({ type: 'help', text: '&'.repeat(MAX_WORKER_BODY) })).toThrow(
      MessageTooLargeError,
    );
  });
});
