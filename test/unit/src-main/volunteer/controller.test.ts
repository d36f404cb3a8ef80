// The volunteer controller where no XMPP server is needed: configuration and settings errors,
// and a server that cannot be reached. Its work with a real manager is in
// test/integration/volunteer/.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VolunteerSnapshot } from '../../../../shared/api.ts';
import { createVolunteer } from '../../../../src-main/volunteer/controller.ts';
import {
  defaultName,
  VolunteerError,
  type Volunteer,
  type VolunteerOptions,
} from '../../../../src-main/volunteer/volunteer.ts';
import { DEFAULT_SETTINGS, SettingsError } from '../../../../src-main/volunteer/settings.ts';
import { freePort } from '../../../harness/free-port.ts';
import { until } from '../../../harness/task-output.ts';

let volunteer: Volunteer | undefined;
afterEach(async () => {
  await volunteer?.stop();
  volunteer = undefined;
});

function setup(env: NodeJS.ProcessEnv = {}, options: Partial<VolunteerOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kestrel-volunteer-unit-'));
  const changes: VolunteerSnapshot[] = [];
  volunteer = createVolunteer({
    env: {
      KESTREL_DATA_DIR: dataDir,
      KESTREL_CONFIG: join(dataDir, 'no-config-file.json'),
      ...env,
    },
    idleSeconds: () => 0,
    onBattery: async () => false,
    probes: { battery: async () => ({ onBattery: false }) },
    pollMs: 50,
    ...options,
  });
  volunteer.on('changed', (s) => changes.push(s));
  return { volunteer, dataDir, changes };
}

describe('volunteer controller without a server', () => {
  it('is offline, with the defaults, before it starts', () => {
    const { volunteer: v } = setup();
    expect(v.snapshot()).toMatchObject({
      state: 'offline',
      reason: 'ok',
      running: 0,
      slots: 0,
      manager: undefined,
      jid: undefined,
      error: undefined,
      configured: false,
      settings: DEFAULT_SETTINGS,
      tasks: [],
      suspended: 0,
      totals: { tasks: 0, cpuHours: 0 },
      isolation: { kind: expect.stringMatching(/^(bubblewrap|none)$/) },
      idle: { available: false },
    });
  });

  it('cannot save settings before it knows its data directory', async () => {
    const { volunteer: v } = setup();
    await expect(v.pause()).rejects.toThrow(VolunteerError);
    await expect(v.pause()).rejects.toMatchObject({ code: 'volunteer_not_ready' });
  });

  it('starts without an account as not joined, in no CLI wording, and still keeps settings', async () => {
    const { volunteer: v, dataDir, changes } = setup();
    await v.start();
    expect(v.snapshot()).toMatchObject({ state: 'offline', configured: false, error: undefined });
    expect(changes.at(-1)).toMatchObject({ configured: false });
    expect(JSON.stringify(changes)).not.toMatch(/--jid|--password/);
    expect(v.history()).toEqual({ items: [], total: 0, offset: 0 });

    const after = await v.setSettings({ cpuCap: 80, onlyWhenIdle: true });
    expect(after.settings).toMatchObject({ cpuCap: 80, onlyWhenIdle: true });
    expect(JSON.parse(readFileSync(join(dataDir, 'volunteer.json'), 'utf8'))).toMatchObject({
      cpuCap: 80,
      onlyWhenIdle: true,
    });
  });

  it('refuses to start with a broken settings file', async () => {
    const { volunteer: v, dataDir } = setup({ KESTREL_JID: 'a@b', KESTREL_PASSWORD: 'p' });
    writeFileSync(join(dataDir, 'volunteer.json'), '{"cpuCap": 500}');
    await expect(v.start()).rejects.toThrow(SettingsError);
    expect(v.snapshot().error).toMatch(/cpuCap/);
  });

  it('starts although the server is unreachable: offline, saying why, and it keeps trying', async () => {
    const port = await freePort();
    const log: string[] = [];
    const { volunteer: v } = setup(
      {
        KESTREL_SERVER: `127.0.0.1:${port}`,
        KESTREL_JID: 'vol@kestrel.test',
        KESTREL_PASSWORD: 'secret',
        KESTREL_MANAGER: 'manager@kestrel.test',
      },
      {
        log: {
          info: (m) => log.push(m),
          warn: (m) => log.push(m),
          error: (m) => log.push(m),
        },
      },
    );
    await v.start();
    expect(v.snapshot()).toMatchObject({
      state: 'offline',
      reason: 'ok',
      manager: 'manager@kestrel.test',
      jid: 'vol@kestrel.test',
      error: expect.stringMatching(/could not connect/),
    });
    const retries = () => log.filter((l) => l.includes('will retry')).length;
    expect(retries()).toBe(1);
    // The next attempt comes after the first backoff (1 s), on a later look at the machine.
    await until(() => retries() === 2, 'a second attempt', 3_000);
    await v.stop();
    await v.stop(); // idempotent
  });

  it('rejects a bad settings patch and keeps the saved settings', async () => {
    const { volunteer: v, dataDir } = setup();
    await v.start().catch(() => undefined); // no account: settings still work
    await v.setSettings({ cpuCap: 40 });
    await expect(v.setSettings({ cpuCap: 'all' })).rejects.toThrow(SettingsError);
    await expect(v.setSettings({ sneaky: true })).rejects.toThrow(SettingsError);
    expect(v.snapshot().settings.cpuCap).toBe(40);
    expect(JSON.parse(readFileSync(join(dataDir, 'volunteer.json'), 'utf8')).cpuCap).toBe(40);
  });
});

describe('defaultName', () => {
  it.each([
    ['desk-1', 'desk-1'],
    ['Alice’s MacBook Pro.local', 'Alice-s-MacBook-Pro.local'],
    ['-_weird', 'weird'],
    ['', 'volunteer'],
    ['x'.repeat(100), 'x'.repeat(64)],
  ])('%j → %j', (host, name) => {
    expect(defaultName(host)).toBe(name);
  });
});
