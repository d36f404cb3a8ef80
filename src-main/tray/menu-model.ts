// What the tray shows, for a volunteer snapshot or a head node's pool counters: the icon's
// state, the menu as data (the Electron shell turns it into a native menu as is) and the
// tooltip. Rebuilt from scratch on every change.
import type { PoolCounters, VolunteerReason, VolunteerSnapshot } from '../../shared/api.ts';
import type { TrayState } from './icon.ts';

/**
 * `pause`: pause now (suspend); `pause-after`: finish the current tasks, then pause; `submit`
 * and `pool`: open the window on the head node's submit pane or ops view.
 */
export type TrayAction = 'pause' | 'pause-after' | 'resume' | 'open' | 'submit' | 'pool' | 'quit';

export interface TrayMenuItem {
  label: string;
  enabled: boolean;
  action?: TrayAction;
  type?: 'separator';
}

export interface TrayModel {
  state: TrayState;
  tooltip: string;
  items: TrayMenuItem[];
}

const PAUSED_BECAUSE: Readonly<Record<Exclude<VolunteerReason, 'ok'>, string>> = {
  paused: 'Paused',
  schedule: 'Paused outside your computing hours',
  user_active: 'Waiting until you are away',
  idle_unknown: 'Waiting: cannot tell when you are away',
  on_battery: 'Paused while on battery',
  battery_low: 'Paused: battery low',
  memory_low: 'Paused: memory is low',
  cpu_busy: 'Paused while other programs are busy',
  memory_full: 'No new tasks: memory is full',
};

/** Windows cuts tray tooltips at 127 characters (NOTIFYICONDATA szTip is 128 with its NUL). */
export const TOOLTIP_MAX = 127;

const clip = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

const tasks = (n: number) => (n === 1 ? '1 task' : `${n} tasks`);

/** One line saying what the volunteer does now and, when it does nothing, why. */
export function statusLine(snapshot: VolunteerSnapshot): string {
  const { state, reason, running } = snapshot;
  switch (state) {
    case 'offline':
      if (!snapshot.configured) return 'Not in a pool yet: open Kestrel to join one';
      return snapshot.error ? `Offline: ${snapshot.error}` : 'Offline';
    case 'working':
      return `Working on ${tasks(running)}`;
    case 'idle':
      return 'Idle, waiting for tasks';
    case 'paused': {
      const why = reason === 'ok' ? 'Paused' : PAUSED_BECAUSE[reason];
      const { suspended } = snapshot;
      if (suspended > 0) return `${why} (${tasks(suspended)} suspended)`;
      return running > 0 ? `${why} (finishing ${tasks(running)})` : why;
    }
  }
}

/** Offline with an error says something went wrong (red); offline without one is grey. */
export function trayState(snapshot: VolunteerSnapshot): TrayState {
  if (snapshot.state === 'offline' && snapshot.configured && snapshot.error) return 'error';
  return snapshot.state;
}

const SEPARATOR: TrayMenuItem = { label: '', enabled: false, type: 'separator' };

export function trayModel(snapshot: VolunteerSnapshot): TrayModel {
  const status = statusLine(snapshot);
  const pool = snapshot.manager ? ` for ${snapshot.manager}` : '';
  // The volunteer's own pause is a setting: it shows as Resume whatever the connection does.
  // Before joining a pool there is nothing to pause.
  const toggle: TrayMenuItem[] = !snapshot.configured
    ? []
    : snapshot.settings.paused
      ? [{ label: 'Resume', enabled: true, action: 'resume' }]
      : [
          { label: 'Pause now', enabled: true, action: 'pause' },
          { label: 'Finish current tasks, then pause', enabled: true, action: 'pause-after' },
        ];
  return {
    state: trayState(snapshot),
    tooltip: clip(`Kestrel volunteer${pool}\n${status}`, TOOLTIP_MAX),
    items: [
      { label: clip(status, 80), enabled: false },
      SEPARATOR,
      ...toggle,
      { label: 'Open Kestrel…', enabled: true, action: 'open' },
      SEPARATOR,
      { label: 'Quit Kestrel', enabled: true, action: 'quit' },
    ],
  };
}

/** A head node in the app: starting (no counters yet), running, or failed to start. */
export interface HeadTrayInput {
  domain: string | undefined;
  counters: PoolCounters | undefined;
  error: string | undefined;
}

const workers = (n: number) => (n === 1 ? '1 worker' : `${n} workers`);

/** The pool in one line: workers, busy slots, tasks waiting. */
export function poolLine(counters: PoolCounters): string {
  const { workers: w, slots, tasks: t } = counters;
  const parts = [workers(w.total)];
  if (w.total > 0) parts.push(`${slots.used} of ${slots.total} slots busy`);
  parts.push(`${t.queued} queued`);
  return parts.join(' · ');
}

export function headTrayModel(head: HeadTrayInput): TrayModel {
  const { counters, error } = head;
  const status = error
    ? `Head node stopped: ${error}`
    : counters
      ? poolLine(counters)
      : 'Starting the head node…';
  const state: TrayState = error
    ? 'error'
    : !counters
      ? 'offline'
      : counters.tasks.running > 0
        ? 'working'
        : 'idle';
  const up = !error && counters !== undefined;
  return {
    state,
    tooltip: clip(
      `Kestrel head node${head.domain ? ` ${head.domain}` : ''}\n${status}`,
      TOOLTIP_MAX,
    ),
    items: [
      { label: clip(status, 80), enabled: false },
      SEPARATOR,
      { label: 'Open Kestrel…', enabled: true, action: 'open' },
      { label: 'Submit job…', enabled: up, action: 'submit' },
      { label: 'Pool…', enabled: up, action: 'pool' },
      SEPARATOR,
      { label: 'Quit Kestrel', enabled: true, action: 'quit' },
    ],
  };
}
