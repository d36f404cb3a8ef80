import { describe, expect, it } from 'vitest';

import {
  countExecutions,
  countRequeues,
  judge,
  judgeEpochs,
  memoryWithinBounds,
  type Observed,
} from '../../chaos/invariants.ts';

const healthy = (tasks: number): Observed => ({
  tasks,
  resultLines: Array.from({ length: tasks }, (_, i) => `${i} 1 ${100 + i}`).join('\n') + '\n',
  rows: Array.from({ length: tasks }, (_, idx) => ({ idx, state: 'done', lost: 0 })),
  jobFinished: [{ type: 'job_finished', job_id: 1, done: tasks, failed: 0, cancelled: 0 }],
  duplicates: [],
  managerLogs: [''],
  managerAlive: true,
  finalStatus: { type: 'status', jobs: [{ job_id: 1, state: 'finished', done: tasks }] },
  memory: { managerBaseline: 100, managerEnd: 120, serverBaseline: 20, serverEnd: 21 },
  recoveries: [],
  faultErrors: [],
});

describe('judge', () => {
  it('passes a clean run', () => {
    const verdict = judge(healthy(5));
    expect(verdict.violations).toEqual([]);
    expect(verdict.figures).toMatchObject({ lost: 0, duplicates: 0, extraExecutions: 0 });
  });

  it('counts extra executions without calling them violations', () => {
    const o = healthy(3);
    o.resultLines += '1 2 999\n1 3 1000\n2 2 1001\n';
    const verdict = judge(o);
    expect(verdict.violations).toEqual([]);
    expect(verdict.figures).toMatchObject({ extraExecutions: 3, indicesRunTwiceOrMore: 2 });
  });

  it('flags lost, stuck, duplicated and unrun tasks', () => {
    const o = healthy(4);
    o.rows[1] = { idx: 1, state: 'queued', lost: 2 };
    o.rows[2] = { idx: 2, state: 'running', lost: 0 };
    o.rows.pop();
    o.duplicates = [0];
    o.resultLines = '0 1 1\n';
    const v = judge(o).violations.join('\n');
    expect(v).toMatch(/3 task rows for 4 tasks/);
    expect(v).toMatch(/3 tasks not recorded done \(lost\): 1, 2, 3/);
    expect(v).toMatch(/1 tasks stuck in running/);
    expect(v).toMatch(/1 results recorded twice: 0/);
    expect(v).toMatch(/3 indices with no result line/);
  });

  it('wants job_finished exactly once, with the right counts', () => {
    const twice = healthy(2);
    twice.jobFinished.push(twice.jobFinished[0]!);
    expect(judge(twice).violations).toEqual(['job_finished delivered 2 times (want exactly 1)']);
    const never = healthy(2);
    never.jobFinished = [];
    expect(judge(never).violations).toEqual(['job_finished delivered 0 times (want exactly 1)']);
    const wrong = healthy(2);
    wrong.jobFinished = [{ type: 'job_finished', job_id: 1, done: 1, failed: 1, cancelled: 0 }];
    expect(judge(wrong).violations.join()).toMatch(/counts wrong/);
  });

  it('flags a dead manager, a wrong final status, memory growth and driver errors', () => {
    const o = healthy(2);
    o.managerAlive = false;
    o.finalStatus = undefined;
    o.memory.serverEnd = 400;
    o.faultErrors = ['replacement did not start'];
    expect(judge(o).violations).toEqual([
      'the manager is not alive at the end',
      'final status wrong: undefined',
      'server memory 400 MB vs baseline 20 MB',
      'fault driver: replacement did not start',
    ]);
  });

  it('reports time to recover from the restart and from the fault', () => {
    const o = healthy(1);
    o.recoveries = [
      { kind: 'manager_kill', faultAt: 1000, restartedAt: 3000, firstRecordAt: 3400 },
      { kind: 'server_restart', faultAt: 5000, restartedAt: 6000, firstRecordAt: undefined },
    ];
    expect(judge(o).figures.recoveryMs).toEqual([
      { kind: 'manager_kill', fromRestartMs: 400, fromFaultMs: 2400 },
      { kind: 'server_restart', fromRestartMs: undefined, fromFaultMs: undefined },
    ]);
  });
});

describe('helpers', () => {
  it('countExecutions ignores junk lines and out-of-range indices', () => {
    expect(countExecutions('0 1 5\n\ngarbage\n7 1 1\n-1 1 1\n0 2 6\n2\n', 3)).toEqual([2, 0, 1]);
  });

  it('countRequeues reads the manager logs of every process', () => {
    const logs = [
      'x info manager: worker went offline; requeued 3 tasks {"worker":"w"}\n' +
        'x warn manager: worker did not answer ping; requeueing its tasks {"worker":"v"}\n',
      'x info manager: worker went offline; requeued 1 tasks {"worker":"u"}\n',
    ];
    expect(countRequeues(logs)).toEqual({ lines: 2, tasks: 4, pingGiveUps: 1 });
  });

  it('memoryWithinBounds is generous but not blind', () => {
    expect(memoryWithinBounds(100, 340)).toBe(true);
    expect(memoryWithinBounds(100, 360)).toBe(false);
    expect(memoryWithinBounds(undefined, 1000)).toBe(true);
  });
});

describe('judgeEpochs', () => {
  const epochs = [
    { epoch: 1, beganUs: 1_000 },
    { epoch: 2, beganUs: 5_000 },
  ];

  it('passes dispatches of each epoch made while it was the current one', () => {
    const verdict = judgeEpochs(
      [
        { idx: 0, attempt: 1, epoch: 1, atUs: 1_100 },
        { idx: 0, attempt: 2, epoch: 2, atUs: 5_100 },
        { idx: 1, attempt: 1, epoch: 1, atUs: 4_999 },
      ],
      epochs,
    );
    expect(verdict).toEqual({
      violations: [],
      figures: { takeovers: 1, assignmentsByEpoch: { 1: 2, 2: 1 } },
    });
  });

  it('flags an attempt dispatched twice, a dispatch after the next epoch began, and one back in time', () => {
    const verdict = judgeEpochs(
      [
        { idx: 0, attempt: 1, epoch: 1, atUs: 1_100 },
        { idx: 0, attempt: 1, epoch: 2, atUs: 5_100 },
        { idx: 1, attempt: 1, epoch: 1, atUs: 5_000 },
        { idx: 2, attempt: 1, epoch: 2, atUs: 5_200 },
        { idx: 2, attempt: 2, epoch: 1, atUs: 2_000 },
      ],
      epochs,
    );
    expect(verdict.violations).toEqual([
      '1 attempts dispatched twice (two managers at once)',
      '1 dispatches stored by an epoch after the next one began',
      '1 later attempts dispatched by an older epoch',
    ]);
  });
});
