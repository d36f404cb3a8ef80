// Workers that fail the same ping round are given up together (found by the chaos run: a task
// taken from one frozen worker went straight to the next, and five frozen idle workers used up
// the task's maxLost while a healthy worker stood by).
import { describe, expect, it } from 'vitest';

import { createScheduler } from '../../../../../src-main/manager/core/scheduler.ts';
import type { Action, TaskDispatch } from '../../../../../src-main/manager/core/types.ts';

const now = () => 1_000;
const profile = { os: 'Linux', ram: 4096, cores: 2, provides: [], slots: 1 };
const dispatched = (actions: Action[]): [string, TaskDispatch][] =>
  actions.flatMap((a) =>
    a.kind === 'dispatch' ? a.tasks.map((t) => [a.worker, t] as [string, TaskDispatch]) : [],
  );

describe('scheduler.unresponsive', () => {
  it('drops every worker of a failed round before handing their tasks out again', () => {
    const s = createScheduler({ now, maxLost: 2 });
    const frozen = ['f1@pool/a', 'f2@pool/a', 'f3@pool/a'];
    for (const jid of [...frozen, 'ok@pool/a']) s.profile(jid, profile, []);
    const spec = { command: 'run.sh', queue: 1, requires: [], cores: 1, ram: 0, retries: 0 };
    const first = dispatched(
      s.submit({ id: 1, owner: 'a@pool', replyTo: 'a@pool/cli', spec, submittedAt: 1 }),
    );
    expect(first.map(([w]) => w)).toEqual(['f1@pool/a']);

    const moved = s.unresponsive(...frozen);
    expect(dispatched(moved).map(([w, t]) => [w, t.attempt])).toEqual([['ok@pool/a', 2]]);
    expect(moved.filter((a) => a.kind === 'requeue')).toHaveLength(1);
    expect(moved.some((a) => a.kind === 'give_up')).toBe(false);
    expect(s.workers().map((w) => w.jid)).toEqual(['ok@pool/a']);
  });

  it('still takes a single worker', () => {
    const s = createScheduler({ now });
    s.profile('w1@pool/a', profile, []);
    expect(s.unresponsive('w1@pool/a')).toEqual([]);
    expect(s.workers()).toEqual([]);
  });
});
