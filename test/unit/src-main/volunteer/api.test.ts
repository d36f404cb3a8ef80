// The volunteer's ApiHandlers check what the renderer sends before anything happens, and push
// every change as `volunteer:changed`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_METHODS, type VolunteerSnapshot } from '../../../../shared/api.ts';
import { dispatch } from '../../../../src-main/api/dispatch.ts';
import { silentLogger } from '../../../../src-main/common/log.ts';
import { createVolunteerApi } from '../../../../src-main/volunteer/api.ts';
import { createVolunteer } from '../../../../src-main/volunteer/controller.ts';
import type { Volunteer } from '../../../../src-main/volunteer/volunteer.ts';

let volunteer: Volunteer | undefined;
afterEach(async () => {
  await volunteer?.stop();
  volunteer = undefined;
});

async function api() {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-api-'));
  volunteer = createVolunteer({
    env: { KESTREL_DATA_DIR: dir, KESTREL_CONFIG: join(dir, 'none.json') },
    probes: { battery: async () => ({ onBattery: false }) },
    pollMs: 50,
  });
  await volunteer.start();
  return createVolunteerApi(volunteer, { version: '1.2.3' });
}

describe('the volunteer as ApiHandlers', () => {
  it('serves app:info and every volunteer method', async () => {
    const { handlers } = await api();
    const served = API_METHODS.filter((m) => handlers[m] !== undefined);
    expect(served).toEqual(
      API_METHODS.filter((m) => m.startsWith('volunteer:') || m === 'app:info'),
    );
    expect(await handlers['app:info']!()).toEqual({
      mode: 'volunteer',
      version: '1.2.3',
      areas: ['app', 'volunteer'],
    });
  });

  it('pauses now by default, or lets current tasks finish, and pushes each change', async () => {
    const { handlers, onChanged } = await api();
    const pushed: VolunteerSnapshot[] = [];
    const stop = onChanged((s) => pushed.push(s));
    expect((await handlers['volunteer:pause']!()).settings).toMatchObject({
      paused: true,
      pauseMode: 'suspend',
    });
    expect((await handlers['volunteer:pause']!({ mode: 'finish' })).settings.pauseMode).toBe(
      'finish',
    );
    expect((await handlers['volunteer:resume']!()).settings.paused).toBe(false);
    expect(pushed.map((s) => [s.settings.paused, s.settings.pauseMode])).toEqual([
      [true, 'suspend'],
      [true, 'finish'],
      [false, 'finish'],
    ]);
    stop();
    await handlers['volunteer:pause']!();
    expect(pushed).toHaveLength(3);
  });

  it.each([
    ['volunteer:pause', [{ mode: 'later' }], /mode must be/],
    ['volunteer:history', [{ limit: 0 }], /limit must be/],
    ['volunteer:history', [{ after: 3 }], /after must be/],
    ['volunteer:join', ['kestrel://join'], /must be an object/],
    ['volunteer:join', [{ server: 'x', jid: 'a@b' }], /password is required/],
    ['volunteer:set-settings', [{ cpuCap: 'all' }], /cpuCap/],
  ] as const)('%s refuses %j with a code', async (method, args, message) => {
    const { handlers } = await api();
    const call = handlers[method] as (...a: unknown[]) => Promise<unknown>;
    const error = await call(...args).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: expect.stringMatching(/^(invalid_field|bad_settings)$/) });
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a bad invite before any network', async () => {
    const { handlers } = await api();
    await expect(handlers['volunteer:join']!({ link: 'nonsense' })).rejects.toMatchObject({
      code: 'bad_invite',
    });
  });

  it('answers through the dispatcher the desktop app’s IPC uses: every setting, both pauses, the codes', async () => {
    const { handlers } = await api();
    const call = (method: string, ...args: unknown[]) =>
      dispatch(handlers, method, args, silentLogger);
    expect(await call('volunteer:pause')).toMatchObject({
      ok: true,
      result: { settings: { paused: true, pauseMode: 'suspend' } },
    });
    expect(await call('volunteer:pause', { mode: 'finish' })).toMatchObject({
      ok: true,
      result: { settings: { pauseMode: 'finish' } },
    });
    const week = [null, { from: 18, to: 8 }, null, null, null, null, { from: 0, to: 24 }];
    expect(
      await call('volunteer:set-settings', {
        schedule: week,
        cpuTimeLimit: 50,
        blockedSubmitters: ['eve@pool.example'],
        whenIdleUnknown: 'away',
      }),
    ).toMatchObject({ ok: true, result: { settings: { schedule: week, cpuTimeLimit: 50 } } });
    // Refused by the worker's own ranges before the volunteer sees it, with the field named.
    expect(await call('volunteer:set-settings', { cpuTimeLimit: 5 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_field', message: expect.stringMatching(/cpuTimeLimit/) },
    });
    // A join that fails keeps its code (the join screen's advice depends on it).
    expect(await call('volunteer:join', { link: 'kestrel://join?server=x' })).toMatchObject({
      ok: false,
      error: { code: 'bad_invite' },
    });
  });
});
