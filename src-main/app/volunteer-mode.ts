// The app as a volunteer (its default): the worker of src-main/volunteer, given Electron's idle
// time and battery state and the keychain for its password, shown in the tray and the window.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { app, powerMonitor } from 'electron';
import type { VolunteerSnapshot } from '../../shared/api.ts';
import { createLogger } from '../common/log.ts';
import type { Launch } from '../desktop/launch.ts';
import { createOfflineWatch } from '../desktop/notices.ts';
import { trayModel } from '../tray/menu-model.ts';
import { createVolunteerApi } from '../volunteer/api.ts';
import { createVolunteer } from '../volunteer/controller.ts';
import { applyStartAtLogin, openedAtLogin } from './login-item.ts';
import { keychainBox } from './secrets.ts';
import { createShell, type Shell } from './shell.ts';

/** How often the offline notice is looked at while nothing else changes. */
const OFFLINE_CHECK_MS = 30_000;

export function runVolunteer(launch: Launch): Shell {
  const logDir = app.getPath('logs');
  mkdirSync(logDir, { recursive: true });
  const log = createLogger((line) => appendFileSync(join(logDir, 'volunteer.log'), line), 'app');
  const failed = (what: string) => (error: unknown) =>
    log.error(what, { error: error instanceof Error ? error.message : String(error) });
  const secrets = keychainBox();
  if (secrets === undefined)
    log.warn('no keychain here: the worker’s password stays in joined.json (mode 0600)');
  const volunteer = createVolunteer({
    env: process.env,
    // On Wayland this stays 0; src-main/volunteer/idle.ts knows and reads D-Bus instead.
    idleSeconds: () => powerMonitor.getSystemIdleTime(),
    onBattery: async () => powerMonitor.isOnBatteryPower(),
    secrets,
    log,
  });
  const api = createVolunteerApi(volunteer, { version: app.getVersion() });
  const shell = createShell({
    log,
    width: 1000,
    height: 760,
    handlers: api.handlers,
    onTrayAction(action) {
      if (action === 'pause') volunteer.pause('suspend').catch(failed('could not pause'));
      if (action === 'pause-after') volunteer.pause('finish').catch(failed('could not pause'));
      if (action === 'resume') volunteer.resume().catch(failed('could not resume'));
    },
    stop: () => {
      clearInterval(offlineTimer);
      return volunteer.stop();
    },
  });

  const offline = createOfflineWatch();
  const lookOffline = (snapshot: VolunteerSnapshot) => {
    const notice = offline.observe(snapshot, Date.now());
    if (notice) shell.notify(notice.title, notice.body);
  };
  const offlineTimer = setInterval(() => lookOffline(volunteer.snapshot()), OFFLINE_CHECK_MS);
  // Undefined until the saved settings are read: the defaults before must not undo the switch.
  let startAtLogin: boolean | undefined;
  let settingsRead = false;
  function syncLoginItem(snapshot: VolunteerSnapshot): void {
    if (!settingsRead || snapshot.settings.startAtLogin === startAtLogin) return;
    startAtLogin = snapshot.settings.startAtLogin;
    try {
      applyStartAtLogin(startAtLogin);
    } catch (error) {
      failed('could not change start at login')(error);
    }
  }
  function render(snapshot: VolunteerSnapshot): void {
    shell.tray.render(trayModel(snapshot));
    shell.send('volunteer:changed', snapshot);
    lookOffline(snapshot);
    syncLoginItem(snapshot);
  }
  api.onChanged(render);
  render(volunteer.snapshot());
  // What goes wrong is in the snapshot too, so the tray and the window show it.
  volunteer.start().then(() => {
    settingsRead = true;
    syncLoginItem(volunteer.snapshot());
  }, failed('volunteer could not start'));
  if (launch.link !== undefined) shell.open({ link: launch.link });
  else if (!launch.minimized && !openedAtLogin()) shell.open();
  return shell;
}
