// Electron's BrowserWindow and WebContents for the main process under test: each window is a
// Chromium page the harness opens (desktop-app.ts). Its events come as Electron raises them:
// `ready-to-show` when the page has loaded, `close` (preventable) when the user closes it,
// `will-navigate` (preventable) before the page goes elsewhere, the window-open handler asked
// before a popup may stay.
import { EventEmitter } from 'node:events';
import { listen, send } from './channel.ts';

type OpenHandler = (details: { url: string }) => { action: 'allow' | 'deny' };

function preventable(): { defaultPrevented: boolean; preventDefault(): void } {
  const event = {
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

/** What the app's hardening asks of a session; the harness's page asks nothing of it. */
export class FakeSession {
  permissionRequest: ((...args: unknown[]) => void) | undefined;
  permissionCheck: ((...args: unknown[]) => boolean) | undefined;
  setPermissionRequestHandler(handler: (...args: unknown[]) => void): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
    this.permissionCheck = handler;
  }
}

export class WebContents extends EventEmitter {
  readonly id: number;
  readonly session = new FakeSession();
  openHandler: OpenHandler | undefined;
  destroyed = false;

  constructor(id: number) {
    super();
    this.id = id;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    send({ type: 'webcontents:send', id: this.id, channel, args });
  }
  setWindowOpenHandler(handler: OpenHandler): void {
    this.openHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

const windows = new Map<number, BrowserWindow>();
let nextId = 1;

export class BrowserWindow extends EventEmitter {
  readonly id: number;
  readonly webContents: WebContents;
  private visible = false;
  private destroyed = false;
  private loading: { resolve(): void; reject(error: Error): void } | undefined;
  private readonly preload: string | undefined;

  static getAllWindows(): BrowserWindow[] {
    return [...windows.values()];
  }
  static fromId(id: number): BrowserWindow | undefined {
    return windows.get(id);
  }

  constructor(options: { webPreferences?: { preload?: string } } & Record<string, unknown> = {}) {
    super();
    this.id = nextId++;
    this.webContents = new WebContents(this.id);
    this.preload = options.webPreferences?.preload;
    windows.set(this.id, this);
    send({ type: 'window:create', id: this.id, options: JSON.parse(JSON.stringify(options)) });
    onContentsCreated?.(this.webContents);
  }

  loadURL(url: string): Promise<void> {
    send({ type: 'window:load', id: this.id, url, preload: this.preload });
    return new Promise((resolve, reject) => (this.loading = { resolve, reject }));
  }
  loaded(error: string | undefined): void {
    const loading = this.loading;
    this.loading = undefined;
    if (error !== undefined) return loading?.reject(new Error(error));
    loading?.resolve();
    this.emit('ready-to-show');
  }
  show(): void {
    this.visible = true;
    send({ type: 'window:show', id: this.id });
  }
  hide(): void {
    this.visible = false;
    send({ type: 'window:hide', id: this.id });
  }
  focus(): void {
    send({ type: 'window:focus', id: this.id });
  }
  isVisible(): boolean {
    return this.visible;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** As a click on the window's close button: the app may keep it (close to tray). */
  close(): void {
    const event = preventable();
    this.emit('close', event);
    if (!event.defaultPrevented) this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    windows.delete(this.id);
    send({ type: 'window:destroy', id: this.id });
    this.emit('closed');
    if (windows.size === 0) onAllClosed?.();
  }
}

let onContentsCreated: ((contents: WebContents) => void) | undefined;
let onAllClosed: (() => void) | undefined;
/** The app module's hooks: `web-contents-created` and `window-all-closed`. */
export function windowHooks(hooks: {
  contentsCreated(contents: WebContents): void;
  allClosed(): void;
}): void {
  onContentsCreated = hooks.contentsCreated;
  onAllClosed = hooks.allClosed;
}

listen('window:loaded', ({ id, error }) => windows.get(id)?.loaded(error));
listen('window:close', ({ id }) => windows.get(id)?.close());
listen('navigate:ask', ({ reqId, windowId, url }) => {
  const event = Object.assign(preventable(), { url });
  windows.get(windowId)?.webContents.emit('will-navigate', event, url);
  send({ type: 'navigate:answer', reqId, allowed: !event.defaultPrevented });
});
listen('window-open:ask', ({ reqId, windowId, url }) => {
  const handler = windows.get(windowId)?.webContents.openHandler;
  send({ type: 'window-open:answer', reqId, action: handler ? handler({ url }).action : 'allow' });
});
