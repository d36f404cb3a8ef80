import type {
  IdleDetection,
  Isolation,
  VolunteerReason,
  VolunteerSettings,
  VolunteerSnapshot,
} from '../../shared/api.ts';
import { duration } from './format.ts';

/**
 * What the volunteer's window says about the worker, in words for its owner: why it works or
 * waits, how idle time is read, and how tasks are kept away from the owner's files. Pure.
 */

export type Tone = 'ok' | 'info' | 'warn' | 'bad';

export interface Headline {
  tone: Tone;
  title: string;
  detail: string;
}

const tasks = (n: number) => (n === 1 ? '1 task' : `${n} tasks`);

/** Why tasks wait, for each reason the policy gives (shared/api.ts VolunteerReason). */
export function waitingBecause(reason: VolunteerReason, s: VolunteerSnapshot): string {
  const { settings } = s;
  switch (reason) {
    case 'paused':
      return settings.pauseMode === 'finish'
        ? 'You paused after the current tasks: they run to their end, nothing new comes.'
        : 'You paused: running tasks are suspended and nothing new comes until you resume.';
    case 'schedule':
      return 'Outside the hours you allow (weekly schedule below).';
    case 'on_battery':
      return 'This computer runs on battery; tasks go on when it is plugged in.';
    case 'battery_low':
      return `The battery is below ${settings.minBatteryPercent} %; tasks go on when it charges.`;
    case 'user_active':
      return `Someone is using this computer; tasks go on after ${duration(settings.idleSeconds)} without input.`;
    case 'idle_unknown':
      return `Idle time cannot be read here (${s.idle.detail}), so this computer counts as in use. You can choose to count it as away below.`;
    case 'memory_low':
      return `Your programs leave less than ${settings.minFreeMemoryPercent} % of memory free.`;
    case 'cpu_busy':
      return `Other programs use more than ${settings.otherCpuLimit} % of the CPU.`;
    case 'memory_full':
      return `Memory in use is past ${settings.maxMemoryPercent} %: running tasks go on, new ones wait.`;
    case 'ok':
      return 'Takes tasks from the pool.';
  }
}

export function headline(s: VolunteerSnapshot): Headline {
  switch (s.state) {
    case 'offline':
      if (!s.configured)
        return { tone: 'bad', title: 'Not in a pool', detail: 'Join a pool to give it CPU time.' };
      return {
        tone: 'bad',
        title: 'Offline',
        detail: s.error ?? 'Not connected to the pool’s server; trying again.',
      };
    case 'paused': {
      const suspended = s.suspended > 0 ? ` ${tasks(s.suspended)} suspended.` : '';
      return {
        tone: 'warn',
        title: s.reason === 'paused' ? 'Paused by you' : 'Waiting',
        detail: `${waitingBecause(s.reason, s)}${suspended}`,
      };
    }
    case 'working':
      return {
        tone: 'info',
        title: 'Working',
        detail: `Running ${s.running} of ${s.slots} task${s.slots === 1 ? '' : 's'} for the pool.`,
      };
    case 'idle':
      return { tone: 'ok', title: 'Ready', detail: 'Connected; waiting for tasks from the pool.' };
  }
}

/** How idle time is read, or why it cannot be and what the worker does then. */
export function idleLine(
  idle: IdleDetection,
  settings: VolunteerSettings,
): { tone: Tone; text: string } {
  if (settings.idleSource === 'off')
    return {
      tone: 'warn',
      text: `Idle detection is off: with “only when I am away”, this computer counts as ${settings.whenIdleUnknown === 'away' ? 'away' : 'in use'}.`,
    };
  if (!idle.available)
    return {
      tone: 'warn',
      text: `Idle time cannot be read: ${idle.detail}. With “only when I am away”, this computer counts as ${settings.whenIdleUnknown === 'away' ? 'away (tasks run even while you use it)' : 'in use (no tasks run)'}.`,
    };
  const since =
    idle.idleSeconds === undefined ? '' : `; last input ${duration(idle.idleSeconds)} ago`;
  return { tone: 'ok', text: `Idle time from ${idle.detail}${since}.` };
}

export interface IsolationLine {
  tone: Tone;
  text: string;
  /** What the worker found, in its own words (the sandbox, or why there is none). */
  detail?: string;
}

/** The isolation line: sandbox or not and why, and where the worker's password is. */
export function isolationLines(isolation: Isolation): IsolationLine[] {
  const lines: IsolationLine[] =
    isolation.kind === 'bubblewrap'
      ? [
          {
            tone: 'ok',
            text: 'Tasks run in a sandbox: they cannot see your files, the worker’s password or your other programs.',
            detail: isolation.detail,
          },
        ]
      : [
          {
            tone: 'warn',
            text: 'No sandbox: tasks run as you and could read your files.',
            detail: `Why: ${isolation.detail}.`,
          },
        ];
  if (isolation.credentials !== undefined)
    lines.push({
      tone: 'ok',
      text: `The worker’s password is kept in ${isolation.credentials}, not in a file.`,
    });
  else if (isolation.kind === 'none')
    lines.push({
      tone: 'warn',
      text: 'The worker’s password is in a file of its data directory, which tasks could read.',
    });
  return lines;
}
