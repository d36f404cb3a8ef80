import type { TaskRef, TaskResult, TaskSpec as WireSpec } from '../../shared/protocol/index.ts';
import { bareJid } from '../common/jid.ts';
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
    ...(t.timeout === undefined ? {} : { timeoutMs: t.timeout * 1000 }),
    ...(t.ram > 0 ? { ramMb: t.ram } : {}),
    ...(t.owner === undefined ? {} : { owner: bareJid(t.owner) }),
  };
}

export function toWireResult(ref: TaskRef, o: TaskOutcome): TaskResult {
  // A task the worker stopped (over its RAM or time limit) says why where a spawn error would.
  const error = o.error ?? o.stopped;
  return {
    ...refOf(ref),
    exit_code: o.exitCode,
    signal: o.signal,
    duration_ms: Math.round(o.durationMs),
    stdout_tail: o.stdoutTail,
    stderr_tail: o.stderrTail,
    ...(error === undefined ? {} : { error }),
  };
}
