import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createSettingsStore,
  DEFAULT_SETTINGS,
  mergeSettings,
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
});
