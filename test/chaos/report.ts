// The figures of a chaos run as text, for the console and for the short run's test output.
import type { ChaosReport } from './run-chaos.ts';
import { FAULT_KINDS } from './schedule.ts';

const mb = (n: number | undefined) => (n === undefined ? '?' : `${n} MB`);

export function formatReport(report: ChaosReport): string {
  const { options: o, figures: f, memory: m } = report;
  const faults = FAULT_KINDS.map(
    (k) =>
      `${k} ${report.injected[k]}${report.skipped[k] > 0 ? ` (+${report.skipped[k]} skipped)` : ''}`,
  ).join(', ');
  const recoveries = f.recoveryMs
    .map(
      (r) =>
        `${r.kind}: ${r.fromRestartMs === undefined ? 'no record before the job ended' : `${r.fromRestartMs} ms after restart (${r.fromFaultMs} ms after the fault)`}`,
    )
    .join('\n    ');
  return [
    `chaos run: seed ${o.seed}, server ${o.server}, ${o.tasks} tasks of ${o.taskMs[0]}–${o.taskMs[1]} ms on ${o.workers} workers × ${o.slotsPerWorker} slots, ping interval ${o.pingIntervalS} s`,
    `  job took ${report.jobS ?? 'forever'} s; whole run ${report.durationS.toFixed(1)} s`,
    `  faults injected: ${faults}`,
    `  tasks requeued: ${f.requeuedTasksLogged} in ${f.requeueLogLines} 'requeued' log lines, ${f.pingGiveUps} workers given up on a ping; store lost column sums to ${f.lostColumnSum}`,
    `  tasks lost: ${f.lost}; duplicates recorded: ${f.duplicates}; stuck running: ${f.stuckRunning}; indices without a result line: ${f.missingResultLines}`,
    `  extra executions: ${f.extraExecutions} (over ${f.indicesRunTwiceOrMore} indices)`,
    `  job_finished delivered: ${f.jobFinishedDelivered}`,
    ...(report.epochs
      ? [
          `  takeovers: ${report.epochs.takeovers}; dispatches by epoch: ${Object.entries(
            report.epochs.assignmentsByEpoch,
          )
            .map(([e, n]) => `${e}: ${n}`)
            .join(', ')}`,
        ]
      : []),
    `  time to next recorded result:\n    ${recoveries || '(no restarts)'}`,
    `  memory: manager ${mb(m.managerBaseline)} → ${mb(m.managerEnd)}, server ${mb(m.serverBaseline)} → ${mb(m.serverEnd)}`,
    report.violations.length === 0
      ? '  invariants: all hold'
      : `  VIOLATIONS:\n${report.violations.map((v) => `    - ${v}`).join('\n')}`,
  ].join('\n');
}
