// What a chaos run must leave behind, checked from the outside: the manager's store, the lines the
// tasks wrote, the submitter's replies and the manager's logs. Pure functions over what was read.
import type { Recovery } from './faults.ts';

export interface Observed {
  tasks: number;
  /** The tasks' result file: one `INDEX ATTEMPT PID` line per completed execution. */
  resultLines: string;
  /** The job's task rows: state and how often each was lost (requeued). */
  rows: { idx: number; state: string; lost: number }[];
  /** The submitter's job_finished replies for this job. */
  jobFinished: Record<string, unknown>[];
  /** Indices whose done record changed after it was first seen. */
  duplicates: number[];
  /** Output of every manager process of the run. */
  managerLogs: string[];
  managerAlive: boolean;
  /** The manager's answer to a status request at the end, if any. */
  finalStatus: Record<string, unknown> | undefined;
  memory: {
    managerBaseline?: number;
    managerEnd?: number;
    serverBaseline?: number;
    serverEnd?: number;
  };
  recoveries: Recovery[];
  faultErrors: string[];
}

export interface Figures {
  requeueLogLines: number;
  requeuedTasksLogged: number;
  pingGiveUps: number;
  lostColumnSum: number;
  lost: number;
  duplicates: number;
  extraExecutions: number;
  indicesRunTwiceOrMore: number;
  missingResultLines: number;
  jobFinishedDelivered: number;
  stuckRunning: number;
  recoveryMs: { kind: Recovery['kind']; fromRestartMs?: number; fromFaultMs?: number }[];
}

export interface Verdict {
  figures: Figures;
  violations: string[];
}

/** Executions per index, from the result file. */
export function countExecutions(text: string, tasks: number): number[] {
  const counts = new Array<number>(tasks).fill(0);
  for (const line of text.split('\n')) {
    const index = Number(line.split(' ')[0]);
    if (line !== '' && Number.isInteger(index) && index >= 0 && index < tasks)
      counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** Requeues the managers logged: `… requeued N tasks` lines, and workers given up on a ping. */
export function countRequeues(logs: readonly string[]): {
  lines: number;
  tasks: number;
  pingGiveUps: number;
} {
  let lines = 0;
  let tasks = 0;
  let pingGiveUps = 0;
  for (const log of logs) {
    for (const line of log.split('\n')) {
      const match = /requeued (\d+) tasks/.exec(line);
      if (match) {
        lines += 1;
        tasks += Number(match[1]);
      }
      if (line.includes('did not answer ping')) pingGiveUps += 1;
    }
  }
  return { lines, tasks, pingGiveUps };
}

/** Memory may grow during the run, but must come back within this of its baseline. */
export function memoryWithinBounds(baseline: number | undefined, end: number | undefined): boolean {
  if (baseline === undefined || end === undefined) return true;
  return end <= baseline * 2 + 150;
}

const list = (xs: number[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? ', …' : '');

export function judge(o: Observed): Verdict {
  const violations: string[] = [];
  const executions = countExecutions(o.resultLines, o.tasks);
  const missing = executions.flatMap((n, i) => (n === 0 ? [i] : []));
  const extra = executions.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const byIndex = new Map(o.rows.map((r) => [r.idx, r]));
  const notDone: number[] = [];
  for (let i = 0; i < o.tasks; i += 1) if (byIndex.get(i)?.state !== 'done') notDone.push(i);
  const stuck = o.rows.filter((r) => r.state === 'running').length;
  const requeues = countRequeues(o.managerLogs);

  if (o.rows.length !== o.tasks) violations.push(`${o.rows.length} task rows for ${o.tasks} tasks`);
  if (notDone.length > 0)
    violations.push(`${notDone.length} tasks not recorded done (lost): ${list(notDone)}`);
  if (stuck > 0) violations.push(`${stuck} tasks stuck in running`);
  if (o.duplicates.length > 0)
    violations.push(`${o.duplicates.length} results recorded twice: ${list(o.duplicates)}`);
  if (missing.length > 0)
    violations.push(`${missing.length} indices with no result line: ${list(missing)}`);
  if (o.jobFinished.length !== 1)
    violations.push(`job_finished delivered ${o.jobFinished.length} times (want exactly 1)`);
  const finished = o.jobFinished[0];
  if (finished && (finished.done !== o.tasks || finished.failed !== 0 || finished.cancelled !== 0))
    violations.push(`job_finished counts wrong: ${JSON.stringify(finished)}`);
  if (!o.managerAlive) violations.push('the manager is not alive at the end');
  const status = (o.finalStatus?.jobs as Record<string, unknown>[] | undefined)?.[0];
  if (status?.done !== o.tasks || status.state !== 'finished')
    violations.push(`final status wrong: ${JSON.stringify(o.finalStatus)}`);
  const m = o.memory;
  if (!memoryWithinBounds(m.managerBaseline, m.managerEnd))
    violations.push(`manager memory ${m.managerEnd} MB vs baseline ${m.managerBaseline} MB`);
  if (!memoryWithinBounds(m.serverBaseline, m.serverEnd))
    violations.push(`server memory ${m.serverEnd} MB vs baseline ${m.serverBaseline} MB`);
  for (const error of o.faultErrors) violations.push(`fault driver: ${error}`);

  return {
    violations,
    figures: {
      requeueLogLines: requeues.lines,
      requeuedTasksLogged: requeues.tasks,
      pingGiveUps: requeues.pingGiveUps,
      lostColumnSum: o.rows.reduce((sum, r) => sum + r.lost, 0),
      lost: notDone.length,
      duplicates: o.duplicates.length,
      extraExecutions: extra,
      indicesRunTwiceOrMore: executions.filter((n) => n > 1).length,
      missingResultLines: missing.length,
      jobFinishedDelivered: o.jobFinished.length,
      stuckRunning: stuck,
      recoveryMs: o.recoveries.map((r) => ({
        kind: r.kind,
        fromRestartMs: r.firstRecordAt === undefined ? undefined : r.firstRecordAt - r.restartedAt,
        fromFaultMs: r.firstRecordAt === undefined ? undefined : r.firstRecordAt - r.faultAt,
      })),
    },
  };
}

/** One dispatch as the PostgreSQL store logged it (`assignments`), times in µs. */
export interface AssignmentRow {
  idx: number;
  attempt: number;
  epoch: number;
  atUs: number;
}

/** One takeover (`epochs`): when each epoch began, in µs. */
export interface EpochRow {
  epoch: number;
  beganUs: number;
}

export interface EpochFigures {
  takeovers: number;
  assignmentsByEpoch: Record<number, number>;
}

/**
 * The scale-out invariant: at no moment did two managers dispatch. Each attempt of a task was
 * handed out once, later attempts never by an older epoch, and nothing was dispatched by an
 * epoch once the next one had begun (the fencing in the store makes each write of an old epoch
 * commit before the next epoch starts, or not at all).
 */
export function judgeEpochs(
  assignments: readonly AssignmentRow[],
  epochs: readonly EpochRow[],
): { figures: EpochFigures; violations: string[] } {
  const violations: string[] = [];
  const began = new Map(epochs.map((e) => [e.epoch, e.beganUs]));
  const byEpoch: Record<number, number> = {};
  const seen = new Map<string, number>();
  const byTask = new Map<number, AssignmentRow[]>();
  let late = 0;
  let twice = 0;
  for (const a of assignments) {
    byEpoch[a.epoch] = (byEpoch[a.epoch] ?? 0) + 1;
    const key = `${a.idx}:${a.attempt}`;
    if (seen.has(key)) twice += 1;
    seen.set(key, a.epoch);
    const next = began.get(a.epoch + 1);
    if (next !== undefined && a.atUs >= next) late += 1;
    const list = byTask.get(a.idx) ?? [];
    list.push(a);
    byTask.set(a.idx, list);
  }
  let backwards = 0;
  for (const list of byTask.values()) {
    list.sort((x, y) => x.attempt - y.attempt);
    for (let i = 1; i < list.length; i += 1)
      if ((list[i]?.epoch ?? 0) < (list[i - 1]?.epoch ?? 0)) backwards += 1;
  }
  if (twice > 0) violations.push(`${twice} attempts dispatched twice (two managers at once)`);
  if (late > 0) violations.push(`${late} dispatches stored by an epoch after the next one began`);
  if (backwards > 0) violations.push(`${backwards} later attempts dispatched by an older epoch`);
  return {
    figures: { takeovers: Math.max(0, epochs.length - 1), assignmentsByEpoch: byEpoch },
    violations,
  };
}
