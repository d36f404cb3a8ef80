// How long since the machine's owner last touched keyboard or mouse. Sources, tried in order
// until one answers (`auto`):
// - Electron's powerMonitor.getSystemIdleTime(), injected by the desktop app. On Wayland it
//   returns 0 forever (BOINC issue #1187): there it comes last, and an idle time that has never
//   grown in WAYLAND_TRAP_MS counts as unreadable rather than as "always in use".
// - freedesktop D-Bus on the session bus: GNOME Mutter's IdleMonitor (GetIdletime, ms), else
//   org.freedesktop.ScreenSaver.GetSessionIdleTime (seconds; KDE and others).
// - logind's idle hint of the machine's login sessions (`loginctl`): set by desktops after their
//   own idle delay, and for text logins (ssh, tty) from the terminal's last input. The least
//   idle session counts; a machine with no session at all is idle. This is the headless source.
// When none answers, the reading is unknown and says why: the policy then follows the owner's
// whenIdleUnknown, never silently "always idle".
import { execFile } from 'node:child_process';
import type { IdleDetection, IdleSourceName } from '../../shared/api.ts';

/** Runs a command and resolves with its stdout; rejects when it fails or is missing. */
export type RunCommand = (file: string, args: readonly string[]) => Promise<string>;

export const runCommand: RunCommand = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 2000, encoding: 'utf8' }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });

export interface IdleProbeOptions {
  source: IdleSourceName;
  /** The desktop app's powerMonitor.getSystemIdleTime. */
  electron?: () => number;
  env?: NodeJS.ProcessEnv;
  run?: RunCommand;
  now?: () => number;
}

export interface IdleProbe {
  /** One look; never rejects. */
  read(): Promise<IdleDetection>;
}

/** Electron reading 0 this long on Wayland is the known bug, not a busy owner. */
export const WAYLAND_TRAP_MS = 120_000;

interface Source {
  name: string;
  detail: string;
  /** Seconds idle, or undefined when this source does not work here. */
  read(): Promise<number | undefined>;
}

const MUTTER = [
  'call',
  '--session',
  '--dest',
  'org.gnome.Mutter.IdleMonitor',
  '--object-path',
  '/org/gnome/Mutter/IdleMonitor/Core',
  '--method',
  'org.gnome.Mutter.IdleMonitor.GetIdletime',
];
const SCREENSAVER = [
  'call',
  '--session',
  '--dest',
  'org.freedesktop.ScreenSaver',
  '--object-path',
  '/org/freedesktop/ScreenSaver',
  '--method',
  'org.freedesktop.ScreenSaver.GetSessionIdleTime',
];

/** `(uint64 12345,)` → 12345. */
export function parseGdbusNumber(out: string): number | undefined {
  const m = /\((?:u?int\d+ )?(\d+),?\)/.exec(out.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * `loginctl show-session` output for each session (blank-line separated) → seconds since the
 * least idle session went idle (0 when one is active), Infinity when there is no session.
 */
export function parseLogindSessions(out: string, nowMs: number): number {
  let least = Infinity;
  for (const block of out.split(/\n\s*\n/)) {
    const fields = new Map(
      block
        .split('\n')
        .map((line) => line.split('='))
        .filter((kv): kv is [string, string] => kv.length >= 2)
        .map(([k, ...v]) => [k.trim(), v.join('=').trim()] as [string, string]),
    );
    if (!fields.has('IdleHint')) continue;
    // Sessions of services (greeters, lingering users) are nobody at the keyboard.
    if (fields.get('Class') !== undefined && fields.get('Class') !== 'user') continue;
    if (fields.get('IdleHint') !== 'yes') return 0;
    const sinceUs = Number(fields.get('IdleSinceHint') ?? 0);
    least = Math.min(least, sinceUs > 0 ? Math.max(0, (nowMs - sinceUs / 1000) / 1000) : 0);
  }
  return least;
}

export function createIdleProbe(options: IdleProbeOptions): IdleProbe {
  const env = options.env ?? process.env;
  const run = options.run ?? runCommand;
  const now = options.now ?? Date.now;
  const wayland = env.XDG_SESSION_TYPE === 'wayland' || env.WAYLAND_DISPLAY !== undefined;

  const gdbus = (name: string, detail: string, args: string[], scale: number): Source => ({
    name,
    detail,
    read: async () => {
      const value = parseGdbusNumber(await run('gdbus', args));
      return value === undefined ? undefined : value / scale;
    },
  });
  const mutter = gdbus('mutter', 'GNOME Mutter IdleMonitor over D-Bus', MUTTER, 1000);
  const screensaver = gdbus(
    'screensaver',
    'org.freedesktop.ScreenSaver over D-Bus',
    SCREENSAVER,
    1,
  );
  const logind: Source = {
    name: 'logind',
    detail: 'the login sessions’ idle hint (systemd-logind)',
    async read() {
      const list = await run('loginctl', ['list-sessions', '--no-legend']);
      const ids = list
        .split('\n')
        .map((line) => line.trim().split(/\s+/)[0])
        .filter((id): id is string => id !== undefined && id !== '');
      if (ids.length === 0) return Infinity;
      const props = ['-p', 'IdleHint', '-p', 'IdleSinceHint', '-p', 'Class'];
      const out = await run('loginctl', ['show-session', ...ids, ...props]);
      return parseLogindSessions(out, now());
    },
  };
  let electronSince: number | undefined;
  let electronGrew = false;
  const electron = (read: () => number): Source => ({
    name: 'electron',
    detail: 'the desktop’s idle time (Electron powerMonitor)',
    async read() {
      const seconds = read();
      electronSince ??= now();
      if (seconds > 0) electronGrew = true;
      if (wayland && !electronGrew && now() - electronSince >= WAYLAND_TRAP_MS) return undefined;
      return seconds;
    },
  });

  const dbus = [mutter, screensaver];
  const fromElectron = options.electron ? [electron(options.electron)] : [];
  const order: Source[] =
    options.source === 'off'
      ? []
      : options.source === 'dbus'
        ? dbus
        : options.source === 'logind'
          ? [logind]
          : wayland
            ? [...dbus, logind, ...fromElectron]
            : [...fromElectron, ...dbus, logind];
  // The source that answered last is asked first, so a look costs one call once settled.
  let last: Source | undefined;

  async function tryRead(source: Source): Promise<number | undefined> {
    try {
      const seconds = await source.read();
      return seconds === undefined || !Number.isFinite(seconds) ? seconds : Math.round(seconds);
    } catch {
      return undefined;
    }
  }

  return {
    async read() {
      if (order.length === 0)
        return { source: 'none', available: false, detail: 'idle detection is off' };
      const candidates = last ? [last, ...order.filter((s) => s !== last)] : order;
      for (const source of candidates) {
        const seconds = await tryRead(source);
        if (seconds === undefined) continue;
        last = source;
        // No login session: nobody is at the machine.
        const idleSeconds = Number.isFinite(seconds) ? seconds : 86_400 * 365;
        return { source: source.name, available: true, detail: source.detail, idleSeconds };
      }
      last = undefined;
      const trap =
        wayland && options.electron
          ? 'on this Wayland session the desktop reports no idle time (it stays 0) and no D-Bus idle monitor answers'
          : 'no idle time source answers here (tried: ' + order.map((s) => s.name).join(', ') + ')';
      return { source: 'none', available: false, detail: trap };
    },
  };
}
