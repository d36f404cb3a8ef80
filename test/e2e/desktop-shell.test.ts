// The desktop app's shell, end to end through the fake-electron harness (test/harness/electron):
// what Electron is asked for (a locked-down window on the app's own scheme, the kestrel://
// protocol), one instance per user that takes a second launch's link, closing to the tray, start
// at login, and the tray's error state. No pool is needed but where one is unreachable on purpose.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { CSP } from '../../src-main/http/static-files.ts';
import { formatInviteLink } from '../../shared/invite-link.ts';
import { trayIconPng } from '../../src-main/tray/icon.ts';
import {
  createDesktopUser,
  launchDesktop,
  type DesktopApp,
  type DesktopUser,
} from '../harness/electron/desktop-app.ts';
import { freePort } from '../harness/free-port.ts';
import { requireBuiltRenderer } from '../harness/head-process.ts';
import { openBrowser, type Browser } from './browser.ts';

let browser: Browser;
const users: DesktopUser[] = [];
const apps: DesktopApp[] = [];

beforeAll(async () => {
  requireBuiltRenderer();
  browser = await openBrowser();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.kill();
  for (const user of users.splice(0)) user.remove();
});
afterAll(async () => {
  await browser?.close();
});

async function launch(args: string[] = [], user = createDesktopUser()) {
  if (!users.includes(user)) users.push(user);
  const app = await launchDesktop({ context: browser.context, user, args });
  apps.push(app);
  return { app, user };
}

const shown = (locator: Locator) => locator.waitFor({ state: 'visible' });
const link = (token: string, domain = 'lab.example') =>
  formatInviteLink({
    server: 'lab-pc.local:5222',
    domain,
    manager: `manager@${domain}`,
    token,
    pin: '5F:1C:0E:9A:7B:3D:2C:4E:6F:8A:0B:1C:2D:3E:4F:5A:6B:7C:8D:9E:0F:1A:2B:3C:4D:5E:6F:7A:8B:9C:0D:1E',
  });

describe('the desktop app’s shell', () => {
  it('asks Electron for a locked-down window on its own scheme, under the CSP, and refuses what leaves it', async () => {
    const { app } = await launch();
    const page = await app.window();
    await shown(page.getByRole('heading', { name: 'Join a pool' }));
    const [window] = [...app.windows.values()];
    expect(window!.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
    expect(String((window!.options.webPreferences as { preload: string }).preload)).toMatch(
      /src-main\/app\/preload\.mjs$/,
    );
    expect(app.privilegedSchemes).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(app.protocolClients.map((c) => c.scheme)).toEqual(['kestrel']);
    // Every response of the app's scheme carries the head node's strict policy.
    expect(
      await page.evaluate(
        "fetch('/index.html').then((r) => r.headers.get('content-security-policy'))",
      ),
    ).toBe(CSP);

    // The page gets the bridge's two functions, frozen, and nothing of Electron or Node.
    expect(
      await page.evaluate(
        "[Object.keys(window.kestrel).join(','), Object.isFrozen(window.kestrel), typeof require]",
      ),
    ).toEqual(['invoke,on', true, 'undefined']);
    expect(
      await page.evaluate("window.kestrel.invoke('shell:open-external', ['https://example.org'])"),
    ).toMatchObject({ ok: false, error: { code: 'unavailable' } });

    await page.evaluate("location.href = 'https://example.org/phish'");
    await app.waitFor(
      () => window!.deniedNavigations.includes('https://example.org/phish'),
      'the navigation refused',
    );
    await page.evaluate("window.open('https://example.org/popup')");
    await app.waitFor(() => window!.deniedPopups.length === 1, 'the popup refused');
    await shown(page.getByRole('heading', { name: 'Join a pool' }));

    // A frame inside the window is not the window: its calls are refused.
    expect(await app.invokeFromSubframe('volunteer:get-state')).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(app.pageErrors).toEqual([]);
  });

  it('closes to the tray, and a second launch with a kestrel:// link brings it to the first one’s window', async () => {
    const { app, user } = await launch();
    await app.window();
    const [window] = [...app.windows.values()];
    await app.waitFor(() => window!.visible, 'the window shown');
    app.closeWindow();
    await app.waitFor(() => !window!.visible, 'the window hidden');
    expect(app.tray.destroyed).toBe(false);
    expect(app.windows.size).toBe(1);

    const second = await launch([link('from-a-second-launch')], user);
    expect(await second.app.exited).toEqual({ code: 0, signal: null });
    expect(second.app.windows.size).toBe(0);
    await app.waitFor(() => window!.visible, 'the first window shown again');
    const page = window!.page!;
    await shown(page.getByRole('status').filter({ hasText: 'invite to the pool lab.example' }));
    const field = page.getByLabel('Invite link', { exact: true });
    expect(await field.inputValue()).toBe(link('from-a-second-launch'));

    // macOS hands links over as open-url instead.
    app.openUrl(link('from-open-url', 'physics.example'));
    await shown(page.getByRole('status').filter({ hasText: 'invite to the pool physics.example' }));
    expect(await field.inputValue()).toBe(link('from-open-url', 'physics.example'));
  });

  it('starts in the tray only with --minimized, and opens the window with a link it was started with', async () => {
    const { app, user } = await launch(['--minimized']);
    await app.waitFor(() => app.tray.items.length > 0, 'the tray menu');
    expect(app.windows.size).toBe(0);
    app.clickTray('Open Kestrel…');
    const page = await app.window();
    await shown(page.getByRole('heading', { name: 'Join a pool' }));
    await app.kill();

    const withLink = await launch(['--minimized', link('at-start')], user);
    const opened = await withLink.app.window();
    expect(await opened.getByLabel('Invite link', { exact: true }).inputValue()).toBe(
      link('at-start'),
    );
  });

  it('starts at login through an XDG autostart entry that the switch writes and removes', async () => {
    // Joined (to a pool that is down, which does not matter here): the preferences are shown.
    const user = createDesktopUser();
    writeJoined(user, await freePort());
    const { app } = await launch([], user);
    const page = await app.window();
    await shown(page.getByRole('heading', { name: 'Offline' }));
    const entry = join(user.home, '.config', 'autostart', 'kestrel.desktop');
    const flip = async () => {
      await page.getByRole('switch', { name: 'Start when I log in' }).click();
      await page.getByRole('button', { name: 'Save preferences' }).click();
      await shown(page.getByText('Preferences saved.'));
    };
    expect(existsSync(entry)).toBe(false);
    await flip();
    // Unpackaged, the app starts as its executable and its directory; in the tray.
    expect(readFileSync(entry, 'utf8')).toMatch(/^Exec=\S+ \S+ --minimized$/m);
    await flip();
    expect(existsSync(entry)).toBe(false);
  });

  it('shows a pool it cannot reach as the tray’s error state, with why, and seals a password it finds in clear', async () => {
    const user = createDesktopUser();
    users.push(user);
    const port = await freePort();
    writeJoined(user, port);
    const { app } = await launch([], user);
    const page = await app.window();
    await shown(page.getByRole('heading', { name: 'Offline' }));
    await app.waitFor(
      () =>
        app.tray.png !== undefined && Buffer.from(app.tray.png).equals(trayIconPng('error', 16)),
      'the error tray icon',
    );
    expect(app.tray.items[0]?.label).toMatch(/^Offline: .*ECONNREFUSED/);
    expect(app.tray.tooltip).toMatch(/^Kestrel volunteer for manager@lab\.example\nOffline: /);
    const joined = JSON.parse(readFileSync(join(user.dataDir, 'joined.json'), 'utf8')) as object;
    expect(joined).not.toHaveProperty('password');
    expect(readFileSync(join(user.dataDir, 'joined.secret')).includes('in-clear-password-1')).toBe(
      false,
    );
  });
});

/** A joined.json as `kestrel worker --join` writes it (password in clear), for a closed port. */
function writeJoined(user: DesktopUser, port: number): void {
  writeFileSync(
    join(user.dataDir, 'joined.json'),
    JSON.stringify({
      server: `xmpp://127.0.0.1:${port}`,
      jid: 'desk@lab.example',
      password: 'in-clear-password-1',
      manager: 'manager@lab.example',
    }),
    { mode: 0o600 },
  );
}
