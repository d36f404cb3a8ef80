// Start at login on Linux: an XDG autostart entry (freedesktop Desktop Application Autostart
// Specification 0.5), $XDG_CONFIG_HOME/autostart/kestrel.desktop, which every desktop that
// follows the spec runs at login. Electron's app.setLoginItemSettings does nothing on Linux, so
// the app writes this file itself; on macOS and Windows it uses that call instead.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const AUTOSTART_FILE = 'kestrel.desktop';

export function autostartPath(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  // XDG Base Directory Specification: an unset, empty or relative value means the default.
  const config = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(config, 'autostart', AUTOSTART_FILE);
}

/**
 * The program that starts this app again: an AppImage's own file (the running binary is inside
 * its temporary mount, gone after logout), else the executable, with the app's directory when
 * it runs unpackaged (`electron .`).
 */
export function launchCommand(app: {
  execPath: string;
  env: NodeJS.ProcessEnv;
  packaged: boolean;
  appPath: string;
}): string[] {
  if (app.env.APPIMAGE) return [app.env.APPIMAGE];
  return app.packaged ? [app.execPath] : [app.execPath, app.appPath];
}

// Desktop Entry Specification 1.5, "The Exec key": an argument with a reserved character is
// quoted, and inside quotes `"`, `` ` ``, `$` and `\` take a backslash; `%` is a field code, so a
// literal one is `%%`. The value is then a string, whose own escape rule doubles every backslash.
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

export function execArgument(arg: string): string {
  const literal = arg.replaceAll('%', '%%');
  const quoted =
    RESERVED.test(literal) || literal === '' ? `"${literal.replace(/["`$\\]/g, '\\$&')}"` : literal;
  return quoted.replaceAll('\\', '\\\\');
}

export function desktopEntry(command: readonly string[]): string {
  if (command.some((arg) => /[\n\r]/.test(arg)))
    throw new Error('a command line for an autostart entry cannot hold a line break');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Kestrel',
    'Comment=Give idle CPU to a Kestrel computing pool',
    `Exec=${[...command, '--minimized'].map(execArgument).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Writes the entry (replacing an older one, e.g. after the AppImage moved) or removes it. */
export function setAutostart(
  enabled: boolean,
  options: { env: NodeJS.ProcessEnv; home?: string; command: readonly string[] },
): void {
  const path = autostartPath(options.env, options.home);
  if (!enabled) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, desktopEntry(options.command));
  renameSync(temp, path);
}
