// Idle detection with its commands faked: which source answers where, the Wayland trap, and
// that nothing ever reads as "always idle" by accident.
import { describe, expect, it } from 'vitest';
import {
  createIdleProbe,
  parseGdbusNumber,
  parseLogindSessions,
  WAYLAND_TRAP_MS,
  type RunCommand,
} from '../../../../src-main/volunteer/idle.ts';

/** A fake command runner: answers by the D-Bus destination or the loginctl verb. */
function commands(answers: Record<string, string | undefined>): RunCommand & { calls: string[] } {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[]) => {
    const key = file === 'gdbus' ? (args[3] ?? '') : `${file} ${args[0] ?? ''}`;
    calls.push(key);
    const answer = answers[key];
    if (answer === undefined) throw new Error(`${key}: not here`);
    return answer;
  };
  return Object.assign(run, { calls });
}

const MUTTER = 'org.gnome.Mutter.IdleMonitor';
const SCREENSAVER = 'org.freedesktop.ScreenSaver';

describe('idle sources', () => {
  it('reads gdbus answers', () => {
    expect(parseGdbusNumber('(uint64 12345,)\n')).toBe(12345);
    expect(parseGdbusNumber('(uint32 7,)')).toBe(7);
    expect(parseGdbusNumber('Error: no such name')).toBeUndefined();
  });

  it('takes the least idle user session of logind, and a machine without sessions as idle', () => {
    const now = 1_000_000_000;
    const session = (idle: string, sinceS: number, cls = 'user') =>
      `IdleHint=${idle}\nIdleSinceHint=${(now / 1000 - sinceS) * 1e6}\nClass=${cls}`;
    expect(parseLogindSessions([session('yes', 600), session('yes', 90)].join('\n\n'), now)).toBe(
      90,
    );
    expect(parseLogindSessions([session('yes', 600), session('no', 0)].join('\n\n'), now)).toBe(0);
    // A greeter's session is nobody at the keyboard.
    expect(
      parseLogindSessions([session('no', 0, 'greeter'), session('yes', 300)].join('\n\n'), now),
    ).toBe(300);
    expect(parseLogindSessions('', now)).toBe(Infinity);
  });

  it('uses Electron’s idle time first on X11, in seconds', async () => {
    const run = commands({});
    const probe = createIdleProbe({ source: 'auto', electron: () => 42, env: {}, run });
    expect(await probe.read()).toMatchObject({
      source: 'electron',
      available: true,
      idleSeconds: 42,
    });
    expect(run.calls).toEqual([]);
  });

  it('on Wayland asks Mutter over D-Bus first (milliseconds), then the ScreenSaver (seconds)', async () => {
    const env = { XDG_SESSION_TYPE: 'wayland' };
    const mutter = commands({ [MUTTER]: '(uint64 90500,)' });
    expect(
      await createIdleProbe({ source: 'auto', electron: () => 0, env, run: mutter }).read(),
    ).toMatchObject({
      source: 'mutter',
      idleSeconds: 91,
    });
    const kde = commands({ [SCREENSAVER]: '(uint32 30,)' });
    expect(
      await createIdleProbe({ source: 'auto', electron: () => 0, env, run: kde }).read(),
    ).toMatchObject({
      source: 'screensaver',
      idleSeconds: 30,
    });
  });

  it('detects the Wayland trap: an Electron idle time that never grows is unknown, not "in use"', async () => {
    let now = 0;
    const probe = createIdleProbe({
      source: 'auto',
      electron: () => 0,
      env: { XDG_SESSION_TYPE: 'wayland' },
      run: commands({}),
      now: () => now,
    });
    expect(await probe.read()).toMatchObject({
      source: 'electron',
      available: true,
      idleSeconds: 0,
    });
    now = WAYLAND_TRAP_MS;
    const trapped = await probe.read();
    expect(trapped).toMatchObject({ source: 'none', available: false });
    expect(trapped.detail).toMatch(/Wayland/);
  });

  it('trusts an Electron idle time on Wayland once it has grown', async () => {
    let now = 0;
    let idle = 5;
    const probe = createIdleProbe({
      source: 'auto',
      electron: () => idle,
      env: { WAYLAND_DISPLAY: 'wayland-0' },
      run: commands({}),
      now: () => now,
    });
    await probe.read();
    idle = 0;
    now = WAYLAND_TRAP_MS * 2;
    expect(await probe.read()).toMatchObject({ source: 'electron', idleSeconds: 0 });
  });

  it('headless: logind, and says so when nothing answers', async () => {
    const run = commands({
      'loginctl list-sessions': '  3 1000 alice seat0 tty2\n',
      'loginctl show-session': `IdleHint=yes\nIdleSinceHint=${(Date.now() - 120_000) * 1000}\nClass=user`,
    });
    const reading = await createIdleProbe({ source: 'auto', env: {}, run }).read();
    expect(reading).toMatchObject({ source: 'logind', available: true });
    expect(reading.idleSeconds).toBeGreaterThanOrEqual(119);

    const none = await createIdleProbe({ source: 'auto', env: {}, run: commands({}) }).read();
    expect(none).toMatchObject({ source: 'none', available: false });
    expect(none.detail).toMatch(/tried: mutter, screensaver, logind/);
    expect(await createIdleProbe({ source: 'off', env: {} }).read()).toMatchObject({
      available: false,
      detail: 'idle detection is off',
    });
  });

  it('asks the source that answered last first', async () => {
    const run = commands({ [SCREENSAVER]: '(uint32 3,)' });
    const probe = createIdleProbe({ source: 'dbus', env: {}, run });
    await probe.read();
    await probe.read();
    expect(run.calls).toEqual([MUTTER, SCREENSAVER, SCREENSAVER]);
  });
});
