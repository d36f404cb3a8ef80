// Start at login, as the volunteer's switch says: macOS and Windows through Electron's login
// items, Linux through an XDG autostart entry (src-main/desktop/autostart.ts), since Electron
// does nothing there. Either way the app starts in the tray (--minimized; macOS tells it by
// wasOpenedAtLogin instead).
import { app } from 'electron';
import { launchCommand, setAutostart } from '../desktop/autostart.ts';

export function applyStartAtLogin(enabled: boolean): void {
  if (process.platform === 'darwin' || process.platform === 'win32') {
    app.setLoginItemSettings({ openAtLogin: enabled, args: ['--minimized'] });
    return;
  }
  setAutostart(enabled, {
    env: process.env,
    command: launchCommand({
      execPath: process.execPath,
      env: process.env,
      packaged: app.isPackaged,
      appPath: app.getAppPath(),
    }),
  });
}

/** macOS starts a login item without arguments; it says so instead. */
export function openedAtLogin(): boolean {
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}
