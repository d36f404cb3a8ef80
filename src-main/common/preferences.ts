// The worker's preferences (shared/api.ts VolunteerSettings; their fields and ranges are in
// shared/volunteer-settings.ts, which the renderer checks by too): below both users, the settings
// file of the volunteer (volunteer/settings.ts, with the defaults) and the config file of a
// headless worker (config.ts), so a key means the same in both.
import type { WeekSchedule } from '../../shared/api.ts';
import { settingsFields } from '../../shared/volunteer-settings.ts';

export { settingsFields };

export class SettingsError extends Error {
  readonly code = 'bad_settings';
  override readonly name = 'SettingsError';
}

/**
 * The preferences a headless `kestrel worker` takes from its config file (and flags): all but
 * the desktop's own (its pause and start at login, which the app keeps in volunteer.json).
 */
export const WORKER_PREFERENCE_KEYS = [
  'onlyWhenIdle',
  'idleSeconds',
  'idleSource',
  'whenIdleUnknown',
  'notOnBattery',
  'minBatteryPercent',
  'cpuCap',
  'cpuTimeLimit',
  'otherCpuLimit',
  'schedule',
  'maxMemoryPercent',
  'minFreeMemoryPercent',
  'suspendLimitSeconds',
  'maxTaskSeconds',
  'blockedSubmitters',
  'blockedJobs',
] as const satisfies readonly (keyof typeof settingsFields)[];

export type WorkerPreferenceKey = (typeof WORKER_PREFERENCE_KEYS)[number];

export const workerPreferenceFields = Object.fromEntries(
  WORKER_PREFERENCE_KEYS.map((key) => [key, settingsFields[key]]),
) as Pick<typeof settingsFields, WorkerPreferenceKey>;

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseHour(text: string): number {
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(text);
  const value = m ? Number(m[1]) + Number(m[2] ?? 0) / 60 : NaN;
  if (!(value >= 0 && value <= 24)) throw new SettingsError(`schedule: '${text}' is not an hour`);
  return value;
}

/**
 * The schedule as written on a command line: `mon-fri 18-8, sat-sun 0-24` (days Sunday to
 * Saturday as sun…sat, ranges wrap; hours H or H:MM, `18-8` spans midnight). Days not named do
 * not compute; `always` is no schedule.
 */
export function parseSchedule(text: string): WeekSchedule | null {
  if (text.trim() === 'always') return null;
  const week: WeekSchedule = [null, null, null, null, null, null, null];
  for (const part of text.split(',')) {
    const m = /^\s*([a-z]{3})(?:-([a-z]{3}))?\s+(\S+)-(\S+)\s*$/i.exec(part);
    const first = DAYS.indexOf(m?.[1]?.toLowerCase() ?? '');
    const last = DAYS.indexOf((m?.[2] ?? m?.[1] ?? '').toLowerCase());
    if (!m || first < 0 || last < 0)
      throw new SettingsError(`schedule: '${part.trim()}' is not like 'mon-fri 18-8'`);
    const hours = { from: parseHour(m[3] ?? ''), to: parseHour(m[4] ?? '') };
    for (let d = first; ; d = (d + 1) % 7) {
      week[d] = hours;
      if (d === last) break;
    }
  }
  return week;
}
