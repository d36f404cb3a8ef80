import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createSettingsStore,
  DEDICATED_SETTINGS,
  DEFAULT_SETTINGS,
  mergeSettings,
  parseSchedule,
  SettingsError,
  SETTINGS_FILE,
} from '../../../../src-main/volunteer/settings.ts';

const dataDir = () => join(mkdtempSync(join(tmpdir(), 'kestrel-settings-')), 'data');

describe('volunteer settings store', () => {
  it('gives the defaults when nothing was saved, without writing anything', () => {
    const dir = dataDir();
    const store = createSettingsStore(dir);
    expect(store.path).toBe(join(dir, SETTINGS_FILE));
    expect(store.load()).toEqual(DEFAULT_SETTINGS);
    expect(existsSync(dir)).toBe(false);
  });

  it('saves as JSON in the data directory (creating it) and loads it back', () => {
    const dir = dataDir();
    const store = createSettingsStore(dir);
    const settings = { ...DEFAULT_SETTINGS, paused: true, cpuCap: 75, onlyWhenIdle: true };
    store.save(settings);
    expect(JSON.parse(readFileSync(join(dir, 'volunteer.json'), 'utf8'))).toEqual(settings);
    expect(createSettingsStore(dir).load()).toEqual(settings);
    expect(readdirSync(dir)).toEqual(['volunteer.json']); // no temporary file left behind
  });

  it('fills what a file lacks with the defaults (a file from an older version)', () => {
    const dir = dataDir();
    createSettingsStore(dir).save(DEFAULT_SETTINGS);
    writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ cpuCap: 20 }));
    expect(createSettingsStore(dir).load()).toEqual({ ...DEFAULT_SETTINGS, cpuCap: 20 });
  });

  it.each([
    ['not JSON', '{cpuCap: 20', /is not valid JSON/],
    ['a cap out of range', JSON.stringify({ cpuCap: 5 }), /cpuCap/],
    ['a fractional cap', JSON.stringify({ cpuCap: 50.5 }), /cpuCap/],
    ['a string for a flag', JSON.stringify({ paused: 'yes' }), /paused/],
    ['an unknown key', JSON.stringify({ cpuCapp: 50 }), /cpuCapp|unrecognized/i],
    ['not an object', JSON.stringify([1, 2]), /top level|expected object/i],
  ])('refuses a file with %s, with a typed error naming the file', (_name, text, pattern) => {
    const dir = dataDir();
    createSettingsStore(dir).save(DEFAULT_SETTINGS);
    writeFileSync(join(dir, SETTINGS_FILE), text);
    const load = () => createSettingsStore(dir).load();
    expect(load).toThrow(SettingsError);
    expect(load).toThrow(pattern);
    expect(load).toThrow(join(dir, SETTINGS_FILE));
  });

  it('refuses to save invalid settings and keeps the saved ones', () => {
    const dir = dataDir();
    const store = createSettingsStore(dir);
    store.save({ ...DEFAULT_SETTINGS, cpuCap: 30 });
    expect(() => store.save({ ...DEFAULT_SETTINGS, idleSeconds: -1 })).toThrow(SettingsError);
    expect(store.load().cpuCap).toBe(30);
  });

  it('merges a patch, and refuses a bad one with code bad_settings', () => {
    expect(mergeSettings(DEFAULT_SETTINGS, { paused: true })).toEqual({
      ...DEFAULT_SETTINGS,
      paused: true,
    });
    expect(mergeSettings(DEFAULT_SETTINGS, {})).toEqual(DEFAULT_SETTINGS);
    expect(() => mergeSettings(DEFAULT_SETTINGS, { cpuCap: 101 })).toThrow(
      expect.objectContaining({ code: 'bad_settings' }),
    );
    expect(() => mergeSettings(DEFAULT_SETTINGS, null)).toThrow(SettingsError);
  });

  it.each([
    [{ pauseMode: 'later' }, /pauseMode/],
    [{ cpuTimeLimit: 5 }, /cpuTimeLimit/],
    [{ otherCpuLimit: 101 }, /otherCpuLimit/],
    [{ minBatteryPercent: -1 }, /minBatteryPercent/],
    [{ schedule: [null, null] }, /schedule/],
    [{ schedule: [{ from: 0, to: 25 }, null, null, null, null, null, null] }, /schedule\.0\.to/],
    [{ blockedSubmitters: ['alice@pool/phone'] }, /bare JID/],
    [{ blockedJobs: [0] }, /blockedJobs/],
    [{ suspendLimitSeconds: 0 }, /suspendLimitSeconds/],
    [{ idleSource: 'x11' }, /idleSource/],
  ])('refuses the new preferences out of range: %j', (patch, pattern) => {
    expect(() => mergeSettings(DEFAULT_SETTINGS, patch)).toThrow(pattern);
  });

  it('keeps blocks and a schedule across a save and a load', () => {
    const dir = dataDir();
    const store = createSettingsStore(dir);
    const week = parseSchedule('mon-fri 18-8');
    store.save(
      mergeSettings(DEFAULT_SETTINGS, {
        blockedSubmitters: ['mallory@pool'],
        blockedJobs: [17],
        schedule: week,
      }),
    );
    expect(createSettingsStore(dir).load()).toMatchObject({
      blockedSubmitters: ['mallory@pool'],
      blockedJobs: [17],
      schedule: week,
    });
  });

  it('a machine given to the pool has every rule off, a desktop BOINC’s defaults', () => {
    expect(DEDICATED_SETTINGS).toMatchObject({
      cpuCap: 100,
      otherCpuLimit: 0,
      notOnBattery: false,
      onlyWhenIdle: false,
      maxMemoryPercent: 100,
      minFreeMemoryPercent: 0,
      cpuTimeLimit: 100,
    });
    expect(DEFAULT_SETTINGS).toMatchObject({
      idleSeconds: 180, // idle_time_to_run 3 min
      otherCpuLimit: 25, // suspend_cpu_usage
      cpuTimeLimit: 100, // cpu_usage_limit
      notOnBattery: true, // run_on_batteries false
      suspendLimitSeconds: 600,
    });
  });
});
