import type { TaskRef, TaskResult, TaskSpec as WireSpec } from '../../shared/protocol/index.ts';
import type { TaskOutcome, TaskSpec } from './executor.ts';

/**
 * The worker's one mapping between the wire types of shared/protocol (docs/PROTOCOL.md) and the
 * executor's camelCase ones.
 */

export const refOf = (t: TaskRef): TaskRef => ({
  job_id: t.job_id,
  index: t.index,
  attempt: t.attempt,
});

export function fromWireTask(t: WireSpec): TaskSpec {
  return {
    jobId: t.job_id,
    index: t.index,
    attempt: t.attempt,
    command: t.command,
    cleanup: t.cleanup,
  };
}

export function toWireResult(ref: TaskRef, o: TaskOutcome): TaskResult {
  return {
    ...refOf(ref),
    exit_code: o.exitCode,
    signal: o.signal,
    duration_ms: Math.round(o.durationMs),
    stdout_tail: o.stdoutTail,
    stderr_tail: o.stderrTail,
    ...(o.error === undefined ? {} : { error: o.error }),
  };
}
