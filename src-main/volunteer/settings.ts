// The worker's preferences (shared/api.ts VolunteerSettings): one schema, validated on every
// read and every change, whether it comes from `volunteer.json`, the tray, the renderer, or a
// headless worker's config file and flags. Two sets of defaults: a desktop someone uses, and a
// machine given over to the pool. docs/VOLUNTEER.md lists each with BOINC's equivalent.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { VolunteerSettings } from '../../shared/api.ts';
import { SettingsError, settingsFields } from '../common/preferences.ts';

export { parseSchedule, SettingsError } from '../common/preferences.ts';

export const SETTINGS_FILE = 'volunteer.json';

/**
 * A desktop someone also uses: work at once (the volunteer joined to give), but never on battery,
 * give way to the owner's programs (BOINC's defaults where it has one), and leave half of the
 * cores to the owner.
 */
export const DEFAULT_SETTINGS: Readonly<VolunteerSettings> = Object.freeze({
  paused: false,
  pauseMode: 'suspend',
  onlyWhenIdle: false,
  idleSeconds: 180,
  idleSource: 'auto',
  whenIdleUnknown: 'in_use',
  notOnBattery: true,
  minBatteryPercent: 20,
  cpuCap: 50,
  cpuTimeLimit: 100,
  otherCpuLimit: 25,
  schedule: null,
  maxMemoryPercent: 90,
  minFreeMemoryPercent: 5,
  suspendLimitSeconds: 600,
  maxTaskSeconds: 0,
  blockedSubmitters: [],
  blockedJobs: [],
  startAtLogin: false,
});

/**
 * A headless `kestrel worker` on a machine given to the pool: every core, nothing suspends it,
 * as before these preferences existed. Its config file and flags turn rules on.
 */
export const DEDICATED_SETTINGS: Readonly<VolunteerSettings> = Object.freeze({
  ...DEFAULT_SETTINGS,
  notOnBattery: false,
  minBatteryPercent: 0,
  cpuCap: 100,
  otherCpuLimit: 0,
  maxMemoryPercent: 100,
  minFreeMemoryPercent: 0,
});

const fields = z.object(settingsFields).strict() satisfies z.ZodType<VolunteerSettings>;

/** Any subset of the settings; unknown keys are refused so a typo does not pass silently. */
const patchSchema = fields.partial();

/** Applies a patch (from a file, the tray or the renderer) to settings, or says what is wrong. */
export function mergeSettings(
  current: VolunteerSettings,
  patch: unknown,
  source = 'settings',
): VolunteerSettings {
  const result = patchSchema.safeParse(patch);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw new SettingsError(`${source}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return { ...current, ...result.data } as VolunteerSettings;
}

export interface SettingsStore {
  readonly path: string;
  /** The saved settings over the defaults; the defaults when nothing was saved yet. */
  load(): VolunteerSettings;
  save(settings: VolunteerSettings): void;
}

export function createSettingsStore(
  dataDir: string,
  defaults: Readonly<VolunteerSettings> = DEFAULT_SETTINGS,
): SettingsStore {
  const path = join(dataDir, SETTINGS_FILE);
  return {
    path,
    load() {
      if (!existsSync(path)) return { ...defaults };
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new SettingsError(`${path} is not valid JSON: ${(error as Error).message}`);
      }
      return mergeSettings(defaults, raw, path);
    },
    save(settings) {
      const valid = mergeSettings(defaults, settings);
      mkdirSync(dataDir, { recursive: true });
      // Write aside, then rename: a crash mid-write never leaves a half file to fail the next start.
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(valid, null, 2)}\n`);
      renameSync(temp, path);
    },
  };
}
