// `npm run screenshots`: the README's pictures, taken from the real renderer in Chromium. The
// head-node screens come from a real `kestrel head` with real workers running real commands;
// the desktop app's window, join screen and tray from the real app (screenshots-volunteer.ts).
// Writes docs/screenshots/*.png.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowser } from '../test/e2e/browser.ts';
import { requireBuiltRenderer, startHeadProcess } from '../test/harness/head-process.ts';
import { volunteerScreens } from './screenshots-volunteer.ts';

const OUT = resolve(import.meta.dirname, '../docs/screenshots');
const shot = (page: Page, name: string, fullPage = false) =>
  page
    .screenshot({ path: join(OUT, `${name}.png`), fullPage })
    .then(() => console.log(`docs/screenshots/${name}.png`));

async function submit(page: Page, fields: Record<string, string>): Promise<void> {
  await page.getByRole('tab', { name: 'Jobs' }).click();
  for (const [label, value] of Object.entries({
    Requires: '',
    Cores: '1',
    'RAM (MB)': '0',
    Retries: '0',
    Cleanup: '',
    ...fields,
  }))
    await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Submit' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /submitted$/ })
    .waitFor();
}

async function headScreens(): Promise<void> {
  const head = await startHeadProcess('lab.example', ['--ping-interval', '2']);
  const browser = await openBrowser();
  try {
    await head.startWorker('lab-pc-01', { slots: 2, provides: ['linux', 'gpu'] });
    await head.startWorker('lab-pc-02', { slots: 2, provides: ['linux'] });
    await head.startWorker('lab-pc-03', { slots: 1, provides: ['linux'] });
    const frozen = await head.startWorker('anna-laptop', { slots: 1 });
    const page = await browser.page();
    await page.goto(head.url);
    // A finished job with failures, for its detail.
    await submit(page, {
      Command: `sh -c 'test $(($1 % 7)) -ne 3 || { echo "frame $1: input tile missing" >&2; exit 2; }; echo ok' render`,
      Tasks: '30',
    });
    await page
      .getByRole('article', { name: 'Job 1' })
      .getByText('finished', { exact: true })
      .waitFor();
    // One that waits for a tag nobody has.
    await submit(page, {
      Command: '~/train.sh',
      Tasks: '8',
      Requires: 'cuda12',
      Cores: '4',
      'RAM (MB)': '8192',
    });
    // And one that runs a while, so the chart has something to show.
    await submit(page, { Command: 'sleep 3; echo frame', Tasks: '60' });
    // Polled from here: waitForFunction would evaluate code in the page, which its CSP refuses.
    const progress = page.getByRole('article', { name: 'Job 3' }).getByRole('progressbar');
    while (Number(await progress.getAttribute('aria-valuenow')) < 30)
      await page.waitForTimeout(250);
    await page.getByRole('button', { name: 'Close job details' }).click();
    await shot(page, 'submit-pane');

    await page.getByRole('button', { name: 'Job 1', exact: true }).click();
    await page.getByRole('table', { name: 'Failed tasks' }).waitFor();
    await shot(page, 'job-detail');
    await page.getByRole('button', { name: 'Close job details' }).click();

    for (const dismiss of await page.getByRole('button', { name: /^Dismiss/ }).all())
      await dismiss.click();
    // A laptop that froze (suspended): it stops answering pings and shows as unresponsive.
    process.kill(frozen.pid, 'SIGSTOP');
    await page.getByRole('tab', { name: 'Pool' }).click();
    await page
      .getByRole('table', { name: 'Workers' })
      .getByText('unresponsive')
      .waitFor({ timeout: 60_000 });
    await shot(page, 'ops-view');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'ops-view-dark');
    process.kill(frozen.pid, 'SIGCONT');
  } finally {
    await browser.close();
    await head.stop();
  }
}

requireBuiltRenderer();
mkdirSync(OUT, { recursive: true });
await volunteerScreens(shot);
await headScreens();
