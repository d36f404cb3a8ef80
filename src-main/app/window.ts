// The app's one window: created when first shown, hidden (not closed) when the user closes it so
// the app goes on in the tray, shown and focused again on demand. Its pages come only from the
// app's own scheme (src-main/desktop/renderer-protocol.ts), under the CSP that scheme sends; the
// page has no Node and sees only what the preload exposes. Every web contents the app makes is
// hardened: no navigation away, no new windows, no <webview>, no permission (a page that asks
// to notify or to use the camera is refused: notifications come from main).
import { join } from 'node:path';
import { BrowserWindow, type WebContents } from 'electron';
import { APP_PAGE } from '../desktop/renderer-protocol.ts';

const PRELOAD = join(import.meta.dirname, 'preload.mjs');

export interface WindowHost {
  /** Shows and focuses the window, creating it the first time. */
  show(): void;
  /** The window's web contents, while it exists. */
  contents(): WebContents | undefined;
  /** Pushes an event to the page, if there is a window. */
  send(channel: string, payload: unknown): void;
  /** From now on closing the window closes it (the app is quitting). */
  allowClose(): void;
}

export function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.session.setPermissionRequestHandler((_contents, _permission, answer) => answer(false));
  contents.session.setPermissionCheckHandler(() => false);
}

export function createWindowHost(options: {
  width: number;
  height: number;
  /** Each window's web contents, as soon as it exists (the page calls app:info from there). */
  onCreated(contents: WebContents): void;
  onLoadFailure(error: unknown): void;
}): WindowHost {
  let window: BrowserWindow | undefined;
  let closing = false;

  function create(): BrowserWindow {
    const created = new BrowserWindow({
      width: options.width,
      height: options.height,
      minWidth: 420,
      minHeight: 480,
      show: false,
      title: 'Kestrel',
      // sandbox: false only so the preload can be an ES module (see preload.mts); the page
      // itself still has no Node and sees only what contextBridge exposes.
      webPreferences: {
        preload: PRELOAD,
        contextIsolation: true,
        nodeIntegration: false,
        sandbox: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        navigateOnDragDrop: false,
      },
    });
    created.on('close', (event) => {
      if (closing) return;
      event.preventDefault(); // close to the tray: the app goes on working
      created.hide();
    });
    created.on('closed', () => {
      if (window === created) window = undefined;
    });
    created.once('ready-to-show', () => created.show());
    options.onCreated(created.webContents);
    created.loadURL(APP_PAGE).catch(options.onLoadFailure);
    return created;
  }

  return {
    show() {
      if (window === undefined) {
        window = create();
        return;
      }
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
    },
    contents: () => (window?.isDestroyed() === false ? window.webContents : undefined),
    send(channel, payload) {
      if (window !== undefined && !window.isDestroyed()) window.webContents.send(channel, payload);
    },
    allowClose() {
      closing = true;
    },
  };
}
