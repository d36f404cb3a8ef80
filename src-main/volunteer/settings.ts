// The volunteer's settings, kept as JSON in `volunteer.json` in the data directory and validated
// on every read and every change, whether it comes from the file, the tray or the renderer.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { VolunteerSettings } from '../../shared/ipc.ts';

export const SETTINGS_FILE = 'volunteer.json';

/**
 * Defaults for a machine someone also uses: work at once (the volunteer joined to give), but
 * never on battery, and leave half of the cores to the owner.
 */
export const DEFAULT_SETTINGS: Readonly<VolunteerSettings> = Object.freeze({
  paused: false,
  onlyWhenIdle: false,
  idleSeconds: 300,
  notOnBattery: true,
  cpuCap: 50,
  startAtLogin: false,
});

const fields = z
  .object({
    paused: z.boolean(),
    onlyWhenIdle: z.boolean(),
    idleSeconds: z.int().min(10).max(86_400),
    notOnBattery: z.boolean(),
    cpuCap: z.int().min(10).max(100),
    startAtLogin: z.boolean(),
  })
  .strict() satisfies z.ZodType<VolunteerSettings>;

/** Any subset of the settings; unknown keys are refused so a typo does not pass silently. */
const patchSchema = fields.partial();

export class SettingsError extends Error {
  readonly code = 'bad_settings';
  override readonly name = 'SettingsError';
}

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
  return { ...current, ...result.data };
}

export interface SettingsStore {
  readonly path: string;
  /** The saved settings over the defaults; the defaults when nothing was saved yet. */
  load(): VolunteerSettings;
  save(settings: VolunteerSettings): void;
}

export function createSettingsStore(dataDir: string): SettingsStore {
  const path = join(dataDir, SETTINGS_FILE);
  return {
    path,
    load() {
      if (!existsSync(path)) return { ...DEFAULT_SETTINGS };
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new SettingsError(`${path} is not valid JSON: ${(error as Error).message}`);
      }
      return mergeSettings(DEFAULT_SETTINGS, raw, path);
    },
    save(settings) {
      const valid = mergeSettings(DEFAULT_SETTINGS, settings);
      mkdirSync(dataDir, { recursive: true });
      // Write aside, then rename: a crash mid-write never leaves a half file to fail the next start.
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(valid, null, 2)}\n`);
      renameSync(temp, path);
    },
  };
}
