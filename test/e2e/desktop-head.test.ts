// The desktop app as a head node (--head), end to end through the fake-electron harness: the
// embedded XMPP server and the manager in the app's process, the submit pane and the ops view in
// its window over IPC, the pool's counters in the tray, a notification when the user's job ends.
// A real `kestrel worker` runs the job.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { trayIconPng, type TrayState } from '../../src-main/tray/icon.ts';
import {
  createDesktopUser,
  launchDesktop,
  type DesktopApp,
  type DesktopUser,
} from '../harness/electron/desktop-app.ts';
import { freePort } from '../harness/free-port.ts';
import { requireBuiltRenderer } from '../harness/head-process.ts';
import { kestrelEnv, runKestrel, startKestrel, type KestrelProcess } from '../harness/processes.ts';
import { openBrowser, type Browser } from './browser.ts';

const DOMAIN = 'lab.example';
let dir: string;
let port: number;
let browser: Browser;
let user: DesktopUser;
let app: DesktopApp;
let window: Page;
let worker: KestrelProcess | undefined;
const env = kestrelEnv({});

beforeAll(async () => {
  requireBuiltRenderer();
  dir = mkdtempSync(join(tmpdir(), 'kestrel-apphead-'));
  port = await freePort();
  // The operator set the head up once with `kestrel head` (its port and domain are kept in
  // head.json); the app runs the same head from the same data directory.
  const first = startKestrel(
    'head',
    ['head', '--domain', DOMAIN, '--port', String(port), '--no-ui', '--data-dir', dir],
    env,
  );
  await first.waitForOutput('Kestrel head node:');
  await first.kill('SIGTERM');
  browser = await openBrowser({ width: 1280, height: 820 });
  user = createDesktopUser();
});

afterAll(async () => {
  await app?.kill();
  await worker?.kill('SIGKILL');
  await browser?.close();
  user?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const shown = (locator: Locator) => locator.waitFor({ state: 'visible' });
const trayShows = (state: TrayState, status: string) =>
  app.waitFor(
    () =>
      app.tray.items[0]?.label === status &&
      app.tray.png !== undefined &&
      Buffer.from(app.tray.png).equals(trayIconPng(state, 16)),
    `the ${state} tray saying “${status}”`,
  );
const selected = (name: string) => shown(window.getByRole('tab', { name, selected: true }));

async function startWorker(name: string, slots: number): Promise<KestrelProcess> {
  const added = await runKestrel(
    ['user', 'add', name, '--password', 'worker-password-1', '--role', 'worker', '--data-dir', dir],
    env,
  );
  expect(added.code, added.stderr).toBe(0);
  const cert = readFileSync(join(dir, 'head', 'server', 'tls', `${DOMAIN}.crt`));
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      server: `xmpp://127.0.0.1:${port}`,
      jid: `${name}@${DOMAIN}`,
      password: 'worker-password-1',
      manager: `manager@${DOMAIN}`,
      pin: new X509Certificate(cert).fingerprint256,
      dataDir: join(dir, `data-${name}`),
    }),
  );
  const started = startKestrel(
    `worker ${name}`,
    ['worker', '--name', name, '--slots', String(slots), '--config', config],
    env,
  );
  await started.waitForOutput('manager is online; reporting');
  return started;
}

describe('the desktop app as a head node', () => {
  it('runs the head in its process: the submit pane in the window, the pool in the tray', async () => {
    const started = performance.now();
    app = await launchDesktop({
      context: browser.context,
      user,
      args: ['--head'],
      env: { KESTREL_DATA_DIR: dir },
    });
    window = await app.window();
    await selected('Jobs');
    console.log(
      `[figure] desktop app (--head) start-up to the submit pane: ${Math.round(performance.now() - started)} ms`,
    );
    await shown(window.getByText(`head node · ${DOMAIN} · manager@${DOMAIN}`));
    await trayShows('idle', '0 workers · 0 queued');
    expect(app.tray.tooltip).toBe(`Kestrel head node ${DOMAIN}\n0 workers · 0 queued`);

    worker = await startWorker('lab-pc-01', 2);
    await trayShows('idle', '1 worker · 0 of 2 slots busy · 0 queued');
  });

  it('takes a job from the pane to its end, and tells the user with a notification', async () => {
    for (const [label, value] of Object.entries({
      Command: 'echo frame',
      Tasks: '4',
      Requires: '',
      Cores: '1',
      'RAM (MB)': '0',
      Retries: '0',
      Cleanup: '',
    }))
      await window.getByLabel(label, { exact: true }).fill(value);
    await window.getByRole('button', { name: 'Submit' }).click();
    await shown(window.getByRole('status').filter({ hasText: /^Job 1 submitted$/ }));
    await shown(
      window.getByRole('article', { name: 'Job 1' }).getByText('finished', { exact: true }),
    );
    await app.waitFor(
      () => app.notifications.some((n) => n.title === 'Kestrel: job 1 finished'),
      'the job-finished notification',
    );
    expect(app.notifications).toEqual([{ title: 'Kestrel: job 1 finished', body: '4 done' }]);
  });

  it('opens the ops view and the submit pane from the tray, and quits with the head', async () => {
    app.clickTray('Pool…');
    await selected('Pool');
    await shown(
      window.getByRole('table', { name: 'Workers' }).getByText('lab-pc-01', { exact: true }),
    );
    app.clickTray('Submit job…');
    await selected('Jobs');

    app.clickTray('Quit Kestrel');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    // The head stopped with the app: its worker lost the server and says so.
    await worker!.waitForOutput('xmpp connection lost; reconnecting');
  });
});
