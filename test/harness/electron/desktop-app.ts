// The desktop app for tests: src-main/app/main.ts run in plain Node (a child process) against
// the fake `electron` (register.ts, fake-electron.ts), with this process playing Electron's
// browser side. Each BrowserWindow is a Chromium page (playwright-core) showing the built
// renderer from the app's own app:// handler, with the real preload bundled into it; its
// ipcRenderer reaches the app's ipcMain handlers through a page binding, and the app's
// webContents.send reaches the page. The tray, notifications and login items are recorded;
// the test clicks tray items, sets the idle time, closes the window, launches a second instance.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { VolunteerSettings } from '../../../shared/api.ts';
import { bundlePreload } from './preload-bundle.ts';
import { createWindowPages, type WindowView } from './window-pages.ts';
import type { FromMain, MenuItemView, ToMain } from './wire.ts';

export type { WindowView };

const ROOT = resolve(import.meta.dirname, '../../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const MAIN = join(ROOT, 'src-main/app/main.ts');
const REGISTER = new URL('./register.ts', import.meta.url).href;

/** A user of the machine: a home directory and a keychain, kept across launches. */
export interface DesktopUser {
  readonly home: string;
  readonly keychain: string;
  readonly userData: string;
  /** The worker's data directory (XDG_DATA_HOME/kestrel). */
  readonly dataDir: string;
  remove(): void;
}

/**
 * What a volunteer who shares the test machine with other engineers would set: their load and
 * memory are not ours to give way to, and the machine has no battery anyway.
 */
export const SHARED_MACHINE: Partial<VolunteerSettings> = {
  notOnBattery: false,
  otherCpuLimit: 0,
  minFreeMemoryPercent: 0,
  maxMemoryPercent: 100,
};

/** A fresh user, with these preferences saved as the volunteer view would have saved them. */
export function createDesktopUser(
  settings: Partial<VolunteerSettings> = SHARED_MACHINE,
): DesktopUser {
  const home = mkdtempSync(join(tmpdir(), 'kestrel-desktop-'));
  const dataDir = join(home, '.local', 'share', 'kestrel');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'volunteer.json'), JSON.stringify(settings));
  return {
    home,
    keychain: randomBytes(32).toString('hex'),
    userData: join(home, '.config', 'Kestrel'),
    dataDir,
    remove: () => rmSync(home, { recursive: true, force: true }),
  };
}

export interface TrayView {
  png: Uint8Array | undefined;
  png2x: Uint8Array | undefined;
  template: boolean;
  tooltip: string;
  items: MenuItemView[];
  destroyed: boolean;
}

export interface DesktopApp {
  readonly pid: number;
  readonly windows: ReadonlyMap<number, WindowView>;
  readonly tray: TrayView;
  readonly notifications: readonly { title: string; body: string }[];
  readonly loginItems: readonly Record<string, unknown>[];
  readonly protocolClients: readonly { scheme: string; args: unknown[] }[];
  readonly privilegedSchemes: readonly unknown[];
  /** Errors the pages threw or logged. */
  readonly pageErrors: readonly string[];
  /** The first window's page, once it has loaded. */
  window(): Promise<Page>;
  /** Resolves once `check` holds, looked at again after every message from the app. */
  waitFor(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  clickTray(label: string): void;
  /** As the window's close button. */
  closeWindow(): void;
  setPower(power: { idleSeconds?: number; onBattery?: boolean }): void;
  openUrl(url: string): void;
  /** An IPC call as from a frame inside the window (not its top frame). */
  invokeFromSubframe(channel: string, ...args: unknown[]): Promise<unknown>;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** As the user's Quit: resolves when the process has exited. */
  quit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
}

export async function launchDesktop(options: {
  context: BrowserContext;
  user: DesktopUser;
  args?: string[];
  env?: Record<string, string>;
}): Promise<DesktopApp> {
  const { context, user } = options;
  const preload = await bundlePreload(join(ROOT, 'src-main/app/preload.mts'));
  const child: ChildProcess = fork(MAIN, options.args ?? [], {
    execPath: NODE,
    execArgv: ['--import', REGISTER],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH,
      HOME: user.home,
      XDG_CONFIG_HOME: join(user.home, '.config'),
      XDG_DATA_HOME: join(user.home, '.local', 'share'),
      KESTREL_CONFIG: '/nonexistent/kestrel.json',
      FAKE_ELECTRON_USER_DATA: user.userData,
      FAKE_ELECTRON_KEYCHAIN: user.keychain,
      ...options.env,
    },
  });
  if (child.pid === undefined) throw new Error('could not start the app');
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => {
      done({ code, signal });
      changed();
    }),
  );
  let ended = false;
  void exited.then(() => (ended = true));

  const windows = new Map<number, WindowView>();
  const tray: TrayView = {
    png: undefined,
    png2x: undefined,
    template: false,
    tooltip: '',
    items: [],
    destroyed: false,
  };
  const notifications: { title: string; body: string }[] = [];
  const loginItems: Record<string, unknown>[] = [];
  const protocolClients: { scheme: string; args: unknown[] }[] = [];
  const privilegedSchemes: unknown[] = [];
  const pageErrors: string[] = [];
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const check of [...waiters]) check();
  };
  const toMain = (message: ToMain) => {
    if (!ended) child.send(message);
  };

  let nextId = 1;
  const pending = new Map<number, (message: FromMain) => void>();
  function ask<T extends FromMain>(make: (id: number) => ToMain): Promise<T> {
    const id = nextId++;
    return new Promise<T>((done) => {
      pending.set(id, done as (message: FromMain) => void);
      toMain(make(id));
    });
  }
  const pages = createWindowPages({ context, preload, ask, toMain, changed, pageErrors });

  child.on('message', (message: FromMain) => {
    switch (message.type) {
      case 'window:create':
        windows.set(message.id, {
          id: message.id,
          options: message.options,
          page: undefined,
          visible: false,
          loaded: false,
          deniedPopups: [],
          deniedNavigations: [],
        });
        break;
      case 'window:load': {
        const view = windows.get(message.id);
        if (view) void pages.load(view, message.url, message.preload);
        break;
      }
      case 'window:show':
      case 'window:hide': {
        const view = windows.get(message.id);
        if (view) view.visible = message.type === 'window:show';
        break;
      }
      case 'window:destroy': {
        const view = windows.get(message.id);
        windows.delete(message.id);
        void view?.page?.close();
        break;
      }
      case 'webcontents:send':
        pages.deliver(windows.get(message.id), message.channel, message.args);
        break;
      case 'ipc:result':
        pending.get(message.callId)?.(message);
        pending.delete(message.callId);
        break;
      case 'protocol:response':
      case 'navigate:answer':
      case 'window-open:answer':
        pending.get(message.reqId)?.(message);
        pending.delete(message.reqId);
        break;
      case 'tray:image':
        Object.assign(tray, { png: message.png, png2x: message.png2x, template: message.template });
        break;
      case 'tray:tooltip':
        tray.tooltip = message.text;
        break;
      case 'tray:menu':
        tray.items = message.items;
        break;
      case 'tray:destroy':
        tray.destroyed = true;
        break;
      case 'notification':
        notifications.push({ title: message.title, body: message.body });
        break;
      case 'login-item':
        loginItems.push(message.settings);
        break;
      case 'protocol-client':
        protocolClients.push({ scheme: message.scheme, args: message.args });
        break;
      case 'privileged-schemes':
        privilegedSchemes.push(...message.schemes);
        break;
      case 'window:focus':
      case 'ready':
        break;
    }
    changed();
  });

  function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((done, fail) => {
      const look = () => {
        if (check()) {
          finish();
          done();
        } else if (ended) {
          finish();
          fail(new Error(`the app exited before ${what}:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(
          new Error(`no ${what} in ${timeoutMs} ms; tray: ${JSON.stringify(tray.items)}\n${text}`),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(look);
      };
      waiters.add(look);
      look();
    });
  }

  const first = () => [...windows.values()][0];
  return {
    pid: child.pid,
    windows,
    tray,
    notifications,
    loginItems,
    protocolClients,
    privilegedSchemes,
    pageErrors,
    async window() {
      await waitFor(() => first()?.loaded === true, 'window loaded');
      return first()!.page!;
    },
    waitFor,
    clickTray: (label) => toMain({ type: 'tray:click', label }),
    closeWindow() {
      const view = first();
      if (view) toMain({ type: 'window:close', id: view.id });
    },
    setPower: (power) => toMain({ type: 'power', ...power }),
    openUrl: (url) => toMain({ type: 'open-url', url }),
    invokeFromSubframe(channel, ...args) {
      const view = first();
      if (!view) throw new Error('no window');
      return pages.invoke(view.id, channel, args, false);
    },
    output: () => text,
    exited,
    async quit() {
      toMain({ type: 'quit' });
      return exited;
    },
    async kill() {
      if (!ended) child.kill('SIGKILL');
      await exited;
      for (const view of windows.values()) await view.page?.close();
    },
  };
}
