// The volunteer as the renderer and the tray see it (shared/api.ts VolunteerSnapshot), built
// from the controller's parts: a pure function, so the view shows exactly what they hold.
import type {
  DonationTotals,
  IdleDetection,
  Isolation,
  RunningTaskView,
  VolunteerSettings,
  VolunteerSnapshot,
  VolunteerState,
} from '../../shared/api.ts';
import type { GovernedTask } from './governor.ts';
import type { Decision } from './policy.ts';

export interface SnapshotParts {
  configured: boolean;
  online: boolean;
  /** Our full JID when online, else the configured bare JID. */
  jid: string | undefined;
  manager: string | undefined;
  error: string | undefined;
  settings: VolunteerSettings;
  decision: Decision | undefined;
  slots: number;
  tasks: readonly GovernedTask[];
  totals: DonationTotals;
  isolation: Isolation;
  idle: IdleDetection;
}

export const NO_TOTALS: DonationTotals = Object.freeze({
  tasks: 0,
  cpuHours: 0,
  today: { tasks: 0, cpuHours: 0 },
  days: [],
}) as DonationTotals;

/** The first few decimals are noise to a person, and each change would push a new snapshot. */
const tenths = (n: number) => Math.round(n * 10) / 10;

export function taskView(t: GovernedTask): RunningTaskView {
  const cpu = t.usage()?.cpuSeconds;
  return {
    jobId: t.spec.jobId,
    index: t.spec.index,
    attempt: t.spec.attempt,
    command: t.spec.command,
    ...(t.spec.owner === undefined ? {} : { submitter: t.spec.owner }),
    startedAt: t.startedAt ?? t.arrivedAt,
    ...(cpu === undefined ? {} : { cpuSeconds: tenths(cpu) }),
    suspended: t.heldSince !== undefined,
  };
}

export function buildSnapshot(p: SnapshotParts): VolunteerSnapshot {
  const tasks = p.tasks.map(taskView);
  const running = tasks.length;
  let state: VolunteerState = 'offline';
  if (p.online) state = p.decision && !p.decision.run ? 'paused' : running > 0 ? 'working' : 'idle';
  return {
    state,
    reason: p.decision?.reason ?? (p.settings.paused ? 'paused' : 'ok'),
    running,
    slots: p.slots,
    manager: p.manager,
    jid: p.jid,
    error: state === 'offline' ? p.error : undefined,
    configured: p.configured,
    settings: { ...p.settings },
    tasks,
    suspended: tasks.filter((t) => t.suspended).length,
    totals: p.totals,
    isolation: p.isolation,
    idle: p.idle,
  };
}
