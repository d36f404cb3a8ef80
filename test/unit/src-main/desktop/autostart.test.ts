// Start at login on Linux: the XDG autostart entry the app writes and removes.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  autostartPath,
  desktopEntry,
  execArgument,
  launchCommand,
  setAutostart,
} from '../../../../src-main/desktop/autostart.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const home = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-autostart-'));
  dirs.push(dir);
  return dir;
};

describe('the XDG autostart entry', () => {
  it('lives in $XDG_CONFIG_HOME/autostart, or ~/.config/autostart when that is unset or relative', () => {
    expect(autostartPath({ XDG_CONFIG_HOME: '/etc/me' }, '/home/anna')).toBe(
      '/etc/me/autostart/kestrel.desktop',
    );
    for (const XDG_CONFIG_HOME of [undefined, '', 'relative/dir'])
      expect(autostartPath({ XDG_CONFIG_HOME }, '/home/anna')).toBe(
        '/home/anna/.config/autostart/kestrel.desktop',
      );
  });

  it('is written when switched on and removed when switched off', () => {
    const dir = home();
    const env = {};
    const path = autostartPath(env, dir);
    setAutostart(true, { env, home: dir, command: ['/opt/Kestrel/kestrel-desktop'] });
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toEqual([
      '[Desktop Entry]',
      'Type=Application',
      'Name=Kestrel',
      'Comment=Give idle CPU to a Kestrel computing pool',
      'Exec=/opt/Kestrel/kestrel-desktop --minimized',
      'Terminal=false',
      'X-GNOME-Autostart-enabled=true',
      '',
    ]);
    // Switched on again (the AppImage moved): replaced, not duplicated.
    setAutostart(true, { env, home: dir, command: ['/home/anna/Apps/Kestrel.AppImage'] });
    expect(readFileSync(path, 'utf8')).toContain(
      'Exec=/home/anna/Apps/Kestrel.AppImage --minimized',
    );
    setAutostart(false, { env, home: dir, command: [] });
    expect(() => statSync(path)).toThrow(/ENOENT/);
    // Off when already off is no error.
    setAutostart(false, { env, home: dir, command: [] });
  });

  it('quotes and escapes arguments as the Desktop Entry Specification says', () => {
    expect(execArgument('/opt/Kestrel/kestrel')).toBe('/opt/Kestrel/kestrel');
    expect(execArgument('/home/anna/My Apps/Kestrel.AppImage')).toBe(
      '"/home/anna/My Apps/Kestrel.AppImage"',
    );
    // Inside quotes `"`, `` ` ``, `$` and `\` get a backslash, and the string rule doubles each
    // backslash: a literal backslash is four.
    expect(execArgument('a"b`c$d\\e')).toBe('"a\\\\"b\\\\`c\\\\$d\\\\\\\\e"');
    // % starts a field code: a literal one is %%.
    expect(execArgument('/srv/100%/kestrel')).toBe('/srv/100%%/kestrel');
    expect(execArgument('')).toBe('""');
    expect(() => desktopEntry(['/opt/x\nExec=/bin/evil'])).toThrow(/line break/);
  });

  it('starts an AppImage by its own file, an unpacked app with its directory', () => {
    const app = { execPath: '/tmp/.mount_KestrelX/kestrel-desktop', appPath: '/src/kestrel' };
    expect(
      launchCommand({ ...app, env: { APPIMAGE: '/home/a/Kestrel.AppImage' }, packaged: true }),
    ).toEqual(['/home/a/Kestrel.AppImage']);
    expect(launchCommand({ ...app, env: {}, packaged: true })).toEqual([app.execPath]);
    expect(launchCommand({ ...app, env: {}, packaged: false })).toEqual([
      app.execPath,
      '/src/kestrel',
    ]);
  });
});
