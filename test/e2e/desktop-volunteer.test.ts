// The desktop app as a volunteer, end to end: src-main/app/main.ts in plain Node against the
// fake electron (test/harness/electron), its window the built renderer in Chromium with the real
// preload, joining a real `kestrel head` and running a real job's tasks. The head's own ops UI
// (another page) shows what the pool sees of this worker. Every wait is on a state (a DOM
// locator, a message from the app), never on time.
import { existsSync, readFileSync } from 'node:fs';
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
import {
  requireBuiltRenderer,
  startHeadProcess,
  type HeadProcess,
} from '../harness/head-process.ts';
import { openBrowser, type Browser } from './browser.ts';

let head: HeadProcess;
let browser: Browser;
let ops: Page;
let maria: string;
let user: DesktopUser;
let app: DesktopApp | undefined;
let window: Page;

beforeAll(async () => {
  requireBuiltRenderer();
  head = await startHeadProcess('lab.example');
  browser = await openBrowser({ width: 1100, height: 900 });
  ops = await browser.context.newPage();
  await ops.goto(head.url);
  await ops.getByRole('tab', { name: 'Pool' }).click();
  maria = await head.userConfig('maria');
  user = createDesktopUser();
});

afterAll(async () => {
  await app?.kill();
  await browser?.close();
  await head?.stop();
  user?.remove();
});

const shown = (locator: Locator) => locator.waitFor({ state: 'visible' });
const heading = (name: string | RegExp) => window.getByRole('heading', { name, exact: true });
const trayShows = (state: TrayState) =>
  app!.waitFor(
    () => app!.tray.png !== undefined && Buffer.from(app!.tray.png).equals(trayIconPng(state, 16)),
    `the ${state} tray icon`,
  );
const trayStatus = (label: string) =>
  app!.waitFor(() => app!.tray.items[0]?.label === label, `the tray saying “${label}”`);
const running = () => window.getByRole('table', { name: 'Running now' }).getByRole('row');
/** This worker's row in the head's ops view. */
const poolRow = () => {
  const { jid } = JSON.parse(readFileSync(join(user.dataDir, 'joined.json'), 'utf8')) as {
    jid: string;
  };
  return ops.getByRole('table', { name: 'Workers' }).getByRole('row').filter({ hasText: jid });
};

async function invite(): Promise<string> {
  const made = await head.kestrel([
    'invite',
    '--host',
    '127.0.0.1',
    '--data-dir',
    head.dir,
    '--json',
  ]);
  expect(made.code, made.stderr).toBe(0);
  return (JSON.parse(made.stdout) as { link: string }).link;
}

describe('the desktop app as a volunteer, against a real head node', () => {
  it('joins a pool from its first window: an invite the head never issued is refused with why, a real one joins', async () => {
    const started = performance.now();
    app = await launchDesktop({ context: browser.context, user });
    window = await app.window();
    await shown(heading('Join a pool'));
    console.log(
      `[figure] desktop app start-up to the join screen: ${Math.round(performance.now() - started)} ms`,
    );
    await trayStatus('Not in a pool yet: open Kestrel to join one');
    await trayShows('offline');

    const link = await invite();
    const field = window.getByLabel('Invite link', { exact: true });
    await field.fill(link.replace(/token=[^&]+/, 'token=never-issued-by-this-head'));
    await window.getByRole('button', { name: 'Join', exact: true }).click();
    await shown(window.getByRole('alert').filter({ hasText: 'used already or has expired' }));

    await field.fill(link);
    await window.getByRole('button', { name: 'Join', exact: true }).click();
    await shown(heading('Ready'));
    await trayStatus('Idle, waiting for tasks');
    await trayShows('idle');
    await shown(poolRow().filter({ hasText: 'available' }));

    // The keychain keeps the password: joined.json has none, and no file holds it in clear.
    const joined = JSON.parse(readFileSync(join(user.dataDir, 'joined.json'), 'utf8')) as object;
    expect(Object.keys(joined).sort()).toEqual(['jid', 'manager', 'pin', 'server']);
    expect(existsSync(join(user.dataDir, 'joined.secret'))).toBe(true);
    await shown(
      window
        .getByRole('list', { name: 'Isolation' })
        .getByText('The worker’s password is kept in the desktop keyring (gnome_libsecret)'),
    );
    expect(app.pageErrors).toEqual([]);
  });

  it('shows the task a real job runs here, and pauses and resumes it from the window and the tray', async () => {
    const submitted = await head.kestrel([
      'submit',
      '--config',
      maria,
      '--json',
      'sleep 600',
      '--queue',
      '2',
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = (JSON.parse(submitted.stdout) as { job_id: number }).job_id;

    // Half of the test machine's 2 cores (the desktop default): one task at a time.
    const task = running().filter({ hasText: 'maria@lab.example' });
    await shown(task.filter({ hasText: `${jobId} sleep 600` }).filter({ hasText: 'running' }));
    expect(await running().count()).toBe(2); // the header and one task
    await shown(heading('Working'));
    await trayStatus('Working on 1 task');
    await trayShows('working');
    await shown(poolRow().filter({ hasText: `job ${jobId} #` }));

    await window.getByRole('button', { name: 'Pause now' }).click();
    await shown(heading('Paused by you'));
    await shown(task.filter({ hasText: 'suspended' }));
    await trayStatus('Paused (1 task suspended)');
    await trayShows('paused');
    await shown(poolRow().filter({ hasText: 'paused' }));

    app!.clickTray('Resume');
    await shown(heading('Working'));
    await shown(task.filter({ hasText: 'running' }));
    await trayShows('working');
    await shown(poolRow().filter({ hasText: 'busy' }));

    app!.clickTray('Finish current tasks, then pause');
    await shown(heading('Paused by you'));
    await shown(window.getByText(/they run to their end, nothing new comes/));
    await shown(task.filter({ hasText: 'running' }));
    await trayStatus('Paused (finishing 1 task)');
    await window.getByRole('button', { name: 'Resume' }).click();
    await shown(heading('Working'));
  });

  it('sends a changed preference to the worker: all the cores take a second task, and a blocked submitter’s tasks go elsewhere', async () => {
    const cores = window.getByLabel('Cores to use', { exact: true });
    // By keyboard, as someone without a mouse would: the slider, then the Save button.
    await cores.focus();
    await window.keyboard.press('End');
    await shown(window.getByText('100% of the cores'));
    await window.getByRole('button', { name: 'Save preferences' }).focus();
    await window.keyboard.press('Enter');
    await shown(window.getByText('Preferences saved.'));
    // The profile update reaches the manager, which sends the job's second task at once.
    await shown(running().filter({ hasText: 'maria@lab.example' }).nth(1));
    await shown(poolRow().filter({ hasText: '2/2' }));
    await trayStatus('Working on 2 tasks');

    await window.getByLabel('Block a submitter', { exact: true }).fill('maria@lab.example');
    await window.getByRole('button', { name: 'Block submitter', exact: true }).click();
    await shown(window.getByText('No task is running on this computer.'));
    await shown(window.getByRole('button', { name: 'Unblock maria@lab.example' }));
    await shown(poolRow().filter({ hasText: 'available' }));
    // The given-back tasks are in the history, with why, and can be blocked by job from there.
    const history = window.getByRole('table', { name: 'History' });
    await shown(history.getByText('submitter blocked').first());
    await history
      .getByRole('button', { name: /^Block job \d+$/ })
      .first()
      .click();
    await shown(window.getByRole('button', { name: /^Unblock job \d+$/ }));
    const saved = JSON.parse(readFileSync(join(user.dataDir, 'volunteer.json'), 'utf8')) as {
      cpuCap: number;
      blockedSubmitters: string[];
      blockedJobs: number[];
    };
    expect(saved).toMatchObject({ cpuCap: 100, blockedSubmitters: ['maria@lab.example'] });
    expect(saved.blockedJobs).toHaveLength(1);
  });

  it('quits from the tray (the pool sees the worker go) and starts again straight into its view', async () => {
    app!.clickTray('Quit Kestrel');
    expect(await app!.exited).toEqual({ code: 0, signal: null });
    await poolRow().waitFor({ state: 'detached' });

    const started = performance.now();
    app = await launchDesktop({ context: browser.context, user });
    window = await app.window();
    await shown(heading(/^(Ready|Working|Waiting)$/));
    console.log(
      `[figure] desktop app start-up to the volunteer view (joined): ${Math.round(performance.now() - started)} ms`,
    );
    // The blocks held across the restart.
    await shown(window.getByRole('button', { name: 'Unblock maria@lab.example' }));
    await shown(poolRow());
  });

  it('computes only while its owner is away, by Electron’s idle time: input suspends the task, absence resumes it', async () => {
    const bob = await head.userConfig('bob');
    const submitted = await head.kestrel([
      'submit',
      '--config',
      bob,
      '--json',
      'sleep 600',
      '--queue',
      '1',
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const task = running().filter({ hasText: 'bob@lab.example' });
    await shown(task.filter({ hasText: 'running' }));

    // The owner is at the keyboard (powerMonitor says 0 s since the last input).
    app!.setPower({ idleSeconds: 0 });
    await window.getByLabel('Only when I am away', { exact: true }).check();
    await window.getByLabel('Away after', { exact: true }).fill('60');
    await window.getByRole('button', { name: 'Save preferences' }).click();
    await shown(heading('Waiting'));
    await shown(
      window.getByText(/Someone is using this computer; tasks go on after 1m 00s without input/),
    );
    await shown(task.filter({ hasText: 'suspended' }));
    await trayStatus('Waiting until you are away (1 task suspended)');
    await shown(poolRow().filter({ hasText: 'paused' }));

    app!.setPower({ idleSeconds: 600 });
    await shown(
      window.getByText(
        'Idle time from the desktop’s idle time (Electron powerMonitor); last input 10m 00s ago.',
      ),
    );
    await shown(heading('Working'));
    await shown(task.filter({ hasText: 'running' }));
    await trayStatus('Working on 1 task');
  });
});
