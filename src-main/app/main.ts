// The Electron shell: one instance, a tray icon, a window that closes to the tray, and the
// volunteer (src-main/volunteer, plain Node) doing the work. Wiring only.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { app, BrowserWindow, powerMonitor } from 'electron';
import type { VolunteerSnapshot } from '../../shared/api.ts';
import { createLogger } from '../common/log.ts';
import { createVolunteerApi } from '../volunteer/api.ts';
import { createVolunteer } from '../volunteer/controller.ts';
import { registerIpc } from './ipc-handlers.ts';
import { createAppTray } from './tray.ts';

const PRELOAD = join(import.meta.dirname, 'preload.mjs');
/** The renderer's build output, beside this file's in dist/ (dist/renderer/index.html). */
const RENDERER_PAGE = join(import.meta.dirname, '..', '..', 'renderer', 'index.html');

async function runVolunteer(): Promise<void> {
  await app.whenReady();
  const logDir = app.getPath('logs');
  mkdirSync(logDir, { recursive: true });
  const log = createLogger(
    (line) => appendFileSync(join(logDir, 'volunteer.log'), line),
    'volunteer',
  );
  const volunteer = createVolunteer({
    env: process.env,
    idleSeconds: () => powerMonitor.getSystemIdleTime(),
    onBattery: async () => powerMonitor.isOnBatteryPower(),
    log,
  });
  const logFailure = (what: string) => (error: unknown) =>
    log.error(what, { error: error instanceof Error ? error.message : String(error) });
  let window: BrowserWindow | undefined;
  let quitting = false;
  let stopped = false;
  let openAtLogin: boolean | undefined;

  function showWindow(): void {
    if (window) {
      window.show();
      window.focus();
      return;
    }
    const created = new BrowserWindow({
      width: 480,
      height: 640,
      show: false,
      title: 'Kestrel',
      // sandbox: false only so the preload can be an ES module (see preload.mts); the page
      // itself still has no Node and sees only what contextBridge exposes.
      webPreferences: {
        preload: PRELOAD,
        contextIsolation: true,
        nodeIntegration: false,
        sandbox: false,
      },
    });
    window = created;
    created.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    created.webContents.on('will-navigate', (event) => event.preventDefault());
    created.on('close', (event) => {
      if (quitting) return;
      event.preventDefault(); // close to the tray: the volunteer goes on working
      created.hide();
    });
    created.on('closed', () => {
      window = undefined;
    });
    created.once('ready-to-show', () => created.show());
    created.loadFile(RENDERER_PAGE).catch(logFailure('could not load the window'));
  }

  const tray = createAppTray((action) => {
    switch (action) {
      case 'pause':
        volunteer.pause('suspend').catch(logFailure('could not pause'));
        return;
      case 'pause-after':
        volunteer.pause('finish').catch(logFailure('could not pause'));
        return;
      case 'resume':
        volunteer.resume().catch(logFailure('could not resume'));
        return;
      case 'open':
        showWindow();
        return;
      case 'quit':
        app.quit();
        return;
    }
  });

  function render(snapshot: VolunteerSnapshot): void {
    tray.render(snapshot);
    window?.webContents.send('volunteer:changed', snapshot);
    if (snapshot.settings.startAtLogin !== openAtLogin) {
      openAtLogin = snapshot.settings.startAtLogin;
      // macOS and Windows only; Electron does nothing here on Linux.
      app.setLoginItemSettings({ openAtLogin });
    }
  }

  volunteer.on('changed', render);
  render(volunteer.snapshot());
  const api = createVolunteerApi(volunteer, { version: app.getVersion() });
  const unregisterIpc = registerIpc(api.handlers, () => window?.webContents);
  app.on('second-instance', showWindow);
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    // Stop the volunteer first: its tasks are killed and it logs out, so the manager requeues
    // them at once instead of waiting for the server to notice.
    event.preventDefault();
    volunteer
      .stop()
      .catch(logFailure('could not stop cleanly'))
      .finally(() => {
        stopped = true;
        unregisterIpc();
        tray.destroy();
        app.quit();
      });
  });
  // What goes wrong is in the snapshot too, so the tray shows it.
  await volunteer.start().catch(logFailure('volunteer could not start'));
}

if (process.argv.includes('--head')) {
  process.stderr.write('kestrel: the head node (--head) is not available in this build yet\n');
  app.exit(2);
} else if (!app.requestSingleInstanceLock()) {
  // The first instance gets 'second-instance' and shows its window.
  app.quit();
} else {
  runVolunteer().catch((error: unknown) => {
    process.stderr.write(`kestrel: ${error instanceof Error ? error.stack : String(error)}\n`);
    app.exit(1);
  });
}
