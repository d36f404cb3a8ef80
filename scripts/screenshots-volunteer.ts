// The desktop app's pictures for `npm run screenshots`: the real app (src-main/app/main.ts, through
// the fake-electron harness of test/harness/electron) joining a real `kestrel head` and running a
// real job's tasks; its window, and its tray in each state the run goes through, the menu drawn
// from what the app put in it (a small HTML page of the labels, with the app's own icon).
import type { Page } from 'playwright-core';
import { openBrowser, type Browser } from '../test/e2e/browser.ts';
import {
  createDesktopUser,
  launchDesktop,
  type DesktopApp,
  type TrayView,
} from '../test/harness/electron/desktop-app.ts';
import { startHeadProcess } from '../test/harness/head-process.ts';

export type Shot = (page: Page, name: string, fullPage?: boolean) => Promise<void>;

interface TrayPicture {
  caption: string;
  tray: TrayView;
}

const escape = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );

/** The tray states side by side: each icon as the app drew it (@2x) over its menu. */
function trayPage(pictures: TrayPicture[]): string {
  const menus = pictures.map(({ caption, tray }) => {
    const icon = `data:image/png;base64,${Buffer.from(tray.png2x ?? tray.png ?? []).toString('base64')}`;
    const items = tray.items
      .map((item, i) =>
        item.type === 'separator'
          ? '<hr>'
          : `<div class="item${item.enabled ? '' : ' off'}${i === 0 ? ' status' : ''}">${escape(item.label)}</div>`,
      )
      .join('');
    return `<figure><div class="bar"><img src="${icon}" width="22" height="22" alt=""></div><div class="menu">${items}</div><figcaption>${escape(caption)}</figcaption></figure>`;
  });
  return `<!doctype html><html><head><style>
    body { margin: 0; padding: 24px; background: #eef1f4; font: 14px system-ui, 'Noto Sans', sans-serif; display: flex; gap: 20px; align-items: flex-start; }
    figure { margin: 0; width: 224px; }
    .bar { background: #242a31; padding: 6px 10px; border-radius: 6px 6px 0 0; display: flex; justify-content: flex-end; }
    .bar img { image-rendering: auto; }
    .menu { background: #fff; border: 1px solid #c9d0d7; border-top: none; border-radius: 0 0 8px 8px; padding: 6px 0; box-shadow: 0 4px 14px rgb(16 24 40 / 16%); }
    .item { padding: 5px 14px; color: #17212b; }
    .item.off { color: #7a8591; }
    .item.status { font-size: 12.5px; }
    hr { border: none; border-top: 1px solid #dde2e7; margin: 5px 0; }
    figcaption { margin-top: 10px; text-align: center; color: #5b6875; font-weight: 600; }
  </style></head><body>${menus.join('')}</body></html>`;
}

const snapshotOf = (tray: TrayView): TrayView => ({ ...tray, items: [...tray.items] });

export async function volunteerScreens(shot: Shot): Promise<void> {
  const head = await startHeadProcess('lab.example');
  const browser: Browser = await openBrowser({ width: 1100, height: 800 });
  const user = createDesktopUser();
  let app: DesktopApp | undefined;
  const trays: TrayPicture[] = [];
  try {
    const maria = await head.userConfig('maria');
    const submit = async (command: string, queue: number) => {
      const done = await head.kestrel([
        'submit',
        '--config',
        maria,
        '--json',
        command,
        '--queue',
        String(queue),
      ]);
      if (done.code !== 0) throw new Error(done.stderr);
    };
    const desktop = await launchDesktop({ context: browser.context, user });
    app = desktop;
    // The volunteer is away from the keyboard: 6 minutes since the last input.
    desktop.setPower({ idleSeconds: 412 });
    const window = await desktop.window();
    const heading = (name: string) => window.getByRole('heading', { name, exact: true }).waitFor();
    const tray = (label: RegExp) =>
      desktop.waitFor(() => label.test(desktop.tray.items[0]?.label ?? ''), `the tray at ${label}`);
    await heading('Join a pool');
    await tray(/^Not in a pool yet/);
    trays.push({ caption: 'offline (not joined)', tray: snapshotOf(desktop.tray) });

    const invite = await head.kestrel([
      'invite',
      '--host',
      '127.0.0.1',
      '--data-dir',
      head.dir,
      '--json',
    ]);
    const link = (JSON.parse(invite.stdout) as { link: string }).link;
    const field = window.getByLabel('Invite link', { exact: true });
    await field.fill(link.replace(/token=[^&]+/, 'token=r8Qm2ZkT0wXc'));
    await window.getByRole('button', { name: 'Join', exact: true }).click();
    await window.getByRole('alert').waitFor();
    await shot(window, 'join');

    await field.fill(link);
    await window.getByRole('button', { name: 'Join', exact: true }).click();
    await heading('Ready');
    await tray(/^Idle/);
    trays.push({ caption: 'idle', tray: snapshotOf(desktop.tray) });

    // Some history first: a short job that ends (one task fails), then a long one that runs.
    await window.getByLabel('Cores to use', { exact: true }).focus();
    await window.keyboard.press('End');
    await window.getByRole('button', { name: 'Save preferences' }).click();
    await window.getByText('Preferences saved.').waitFor();
    await submit(`sh -c 'sleep 2; [ $1 != 4 ]' render-tile`, 6);
    const history = window.getByRole('table', { name: 'History' }).getByRole('row');
    await history.nth(6).waitFor();
    // CPU-bound, so the CPU column counts; it runs until the app quits.
    await submit('sha256sum /dev/zero', 2);
    await window.getByRole('table', { name: 'Running now' }).getByRole('row').nth(2).waitFor();
    await tray(/^Working on 2 tasks/);
    trays.push({ caption: 'working', tray: snapshotOf(desktop.tray) });
    // Let the elapsed and CPU columns show something: wait for the clock to pass 5 s.
    await window
      .getByRole('table', { name: 'Running now' })
      .getByText(/^[5-9]s$/)
      .first()
      .waitFor();
    await shot(window, 'volunteer', true);
    await window.emulateMedia({ colorScheme: 'dark' });
    await window.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
    await shot(window, 'volunteer-dark');
    await window.emulateMedia({ colorScheme: 'light' });

    await window.getByRole('button', { name: 'Pause now' }).click();
    await heading('Paused by you');
    await tray(/^Paused \(2 tasks suspended\)/);
    trays.push({ caption: 'paused', tray: snapshotOf(desktop.tray) });

    // The pool goes away: offline with why, the error state.
    await head.stop();
    await tray(/^Offline: /);
    trays.push({ caption: 'error (the pool went away)', tray: snapshotOf(desktop.tray) });

    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 24 + trays.length * 244, height: 330 });
    await page.setContent(trayPage(trays));
    await shot(page, 'tray-states');
  } finally {
    await app?.kill();
    await browser.close();
    await head.stop();
    user.remove();
  }
}
