// `electron` for src-main/app/ run in plain Node by the desktop-app harness (register.ts
// resolves the module name here; production code has no test branch). The main process's API
// as far as the app uses it, each call carried to the harness (wire.ts), which plays Electron's
// browser side: windows are Chromium pages, IPC goes through bindings to the real preload in
// them, the tray and notifications are recorded for the test. What the OS would keep (the
// keychain's key, the login items) the harness holds across launches.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listen, send } from './channel.ts';
import { acquireLock, deliverToFirst } from './single-instance.ts';
import { BrowserWindow, windowHooks, type WebContents } from './fake-window.ts';
import { Menu, nativeImage, Tray } from './fake-tray.ts';

export { BrowserWindow, Menu, nativeImage, Tray };

const ROOT = resolve(import.meta.dirname, '../../..');
const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`the desktop-app harness sets ${name}`);
  return value;
};

function preventable(): { defaultPrevented: boolean; preventDefault(): void } {
  const event = {
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

class FakeApp extends EventEmitter {
  readonly isPackaged = false;
  private ready = false;
  private readonly readyPromise: Promise<void>;
  private quitting = false;
  loginItem = { openAtLogin: false };

  constructor() {
    super();
    // As in Electron, the app is ready only after the entry module has run.
    this.readyPromise = new Promise((done) =>
      setImmediate(() => {
        this.ready = true;
        this.emit('ready');
        send({ type: 'ready' });
        done();
      }),
    );
  }
  whenReady(): Promise<void> {
    return this.readyPromise;
  }
  isReady(): boolean {
    return this.ready;
  }
  getPath(name: string): string {
    const userData = env('FAKE_ELECTRON_USER_DATA');
    if (name === 'userData') return userData;
    if (name === 'logs') return join(userData, 'logs');
    throw new Error(`getPath('${name}') is not faked`);
  }
  getVersion(): string {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
  }
  getAppPath(): string {
    return ROOT;
  }
  requestSingleInstanceLock(): boolean {
    const userData = this.getPath('userData');
    const first = acquireLock(userData, (argv, cwd) =>
      this.emit('second-instance', preventable(), argv, cwd, {}),
    );
    if (!first) pendingExit.push(deliverToFirst(userData, process.argv, process.cwd()));
    return first;
  }
  setAsDefaultProtocolClient(scheme: string, ...args: unknown[]): boolean {
    send({ type: 'protocol-client', scheme, args });
    return true;
  }
  setLoginItemSettings(settings: { openAtLogin: boolean }): void {
    this.loginItem = { openAtLogin: settings.openAtLogin };
    send({ type: 'login-item', settings: { ...settings } });
  }
  getLoginItemSettings(): { openAtLogin: boolean; wasOpenedAtLogin: boolean } {
    return { ...this.loginItem, wasOpenedAtLogin: false };
  }
  quit(): void {
    if (this.quitting) return;
    const event = preventable();
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    this.quitting = true;
    for (const window of BrowserWindow.getAllWindows()) window.close();
    this.emit('will-quit', preventable());
    this.emit('quit', preventable(), 0);
    void Promise.allSettled(pendingExit).then(() => process.exit(0));
  }
  exit(code = 0): void {
    process.exit(code);
  }
}

const pendingExit: Promise<unknown>[] = [];
export const app = new FakeApp();
windowHooks({
  contentsCreated: (contents: WebContents) =>
    app.emit('web-contents-created', preventable(), contents),
  allClosed: () => {
    // Electron quits when the last window closes, unless someone listens.
    if (app.listenerCount('window-all-closed') === 0) app.quit();
    else app.emit('window-all-closed');
  },
});
listen('quit', () => app.quit());
listen('open-url', ({ url }) => app.emit('open-url', preventable(), url));
process.on('SIGTERM', () => app.quit());

type Handler = (request: Request) => Response | Promise<Response>;
const schemes = new Map<string, Handler>();
export const protocol = {
  registerSchemesAsPrivileged(custom: unknown[]): void {
    if (app.isReady()) throw new Error('registerSchemesAsPrivileged must be called before ready');
    send({ type: 'privileged-schemes', schemes: JSON.parse(JSON.stringify(custom)) });
  },
  handle(scheme: string, handler: Handler): void {
    schemes.set(scheme, handler);
  },
};
listen('protocol:request', async ({ reqId, url, method }) => {
  const handler = schemes.get(new URL(url).protocol.replace(/:$/, ''));
  const response = handler
    ? await handler(new Request(url, { method }))
    : new Response('no handler', { status: 404 });
  const body = new Uint8Array(await response.arrayBuffer());
  send({
    type: 'protocol:response',
    reqId,
    status: response.status,
    headers: [...response.headers],
    body,
  });
});

type IpcHandler = (event: unknown, ...args: unknown[]) => unknown;
const ipcHandlers = new Map<string, IpcHandler>();
export const ipcMain = {
  handle(channel: string, handler: IpcHandler): void {
    if (ipcHandlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcHandlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    ipcHandlers.delete(channel);
  },
};
listen('ipc:invoke', async ({ callId, windowId, channel, args, topFrame }) => {
  const handler = ipcHandlers.get(channel);
  const sender = BrowserWindow.fromId(windowId)?.webContents;
  try {
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    // Electron's senderFrame: the top frame's parent is null.
    const event = { sender, senderFrame: { parent: topFrame ? null : {} } };
    send({ type: 'ipc:result', callId, ok: true, value: await handler(event, ...args) });
  } catch (error) {
    send({ type: 'ipc:result', callId, ok: false, error: (error as Error).message });
  }
});

const power = {
  idleSeconds: Number(process.env.FAKE_ELECTRON_IDLE_SECONDS ?? 0),
  onBattery: false,
};
listen('power', (set) => {
  if (set.idleSeconds !== undefined) power.idleSeconds = set.idleSeconds;
  if (set.onBattery !== undefined) power.onBattery = set.onBattery;
});
export const powerMonitor = {
  getSystemIdleTime: () => power.idleSeconds,
  isOnBatteryPower: () => power.onBattery,
};

/** The keychain: AES-GCM under a key the harness keeps for this "user" across launches. */
const key = () => Buffer.from(env('FAKE_ELECTRON_KEYCHAIN'), 'hex');
export const safeStorage = {
  isEncryptionAvailable: () => app.isReady(),
  getSelectedStorageBackend: () => 'gnome_libsecret',
  encryptString(plain: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key(), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  },
  decryptString(sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', key(), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString();
  },
};

export class Notification extends EventEmitter {
  static isSupported(): boolean {
    return true;
  }
  private readonly options: { title: string; body: string };
  constructor(options: { title: string; body: string }) {
    super();
    this.options = options;
  }
  show(): void {
    send({ type: 'notification', title: this.options.title, body: this.options.body });
  }
}

export const shell = {
  openExternal: async (url: string): Promise<void> => {
    throw new Error(`the app opened ${url} outside; nothing in the harness expects that`);
  },
};

// The renderer side's modules, which a main process cannot use.
const rendererOnly = (name: string) =>
  new Proxy(
    {},
    {
      get: () => {
        throw new Error(`${name} is for the preload, not main`);
      },
    },
  );
export const contextBridge = rendererOnly('contextBridge');
export const ipcRenderer = rendererOnly('ipcRenderer');
