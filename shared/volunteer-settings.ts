// The fields of the worker's preferences (shared/api.ts VolunteerSettings) with their ranges, as
// zod schemas: pure, so the renderer checks a change by the same rules as the worker before it
// sends it (shared/api-schemas.ts), and the worker's settings file and a headless worker's config
// file (src-main/common/preferences.ts) read the same keys with the same limits.
import { z } from 'zod';

const percent = (min: number) => z.int().min(min).max(100);
const hour = z.number().min(0).max(24);
const day = z.object({ from: hour, to: hour }).strict().nullable();

/** A bare JID (user@domain), as blockedSubmitters holds them. */
export const BARE_JID = /^[^@/\s]+@[^@/\s]+$/;

/** Every preference, for the settings file and for a headless worker's config file. */
export const settingsFields = {
  paused: z.boolean(),
  pauseMode: z.enum(['suspend', 'finish']),
  onlyWhenIdle: z.boolean(),
  idleSeconds: z.int().min(10).max(86_400),
  idleSource: z.enum(['auto', 'dbus', 'logind', 'off']),
  whenIdleUnknown: z.enum(['in_use', 'away']),
  notOnBattery: z.boolean(),
  minBatteryPercent: percent(0),
  cpuCap: percent(10),
  cpuTimeLimit: percent(10),
  otherCpuLimit: percent(0),
  schedule: z.tuple([day, day, day, day, day, day, day]).nullable(),
  maxMemoryPercent: percent(10),
  minFreeMemoryPercent: z.int().min(0).max(90),
  suspendLimitSeconds: z
    .int()
    .min(1)
    .max(30 * 86_400),
  maxTaskSeconds: z
    .int()
    .min(0)
    .max(30 * 86_400),
  blockedSubmitters: z.array(z.string().regex(BARE_JID, 'a bare JID (user@domain)')),
  blockedJobs: z.array(z.int().min(1)),
  startAtLogin: z.boolean(),
};
