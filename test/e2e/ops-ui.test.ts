// The ops UI end to end: the built renderer in Chromium, served by a real `kestrel head`, with
// real `kestrel worker` processes running real commands. Every wait is on a DOM state
// (Playwright's auto-waiting locators), never on time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import {
  requireBuiltRenderer,
  startHeadProcess,
  type HeadProcess,
} from '../harness/head-process.ts';
import { openBrowser, type Browser } from './browser.ts';

let head: HeadProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  requireBuiltRenderer();
  head = await startHeadProcess('e2e.test');
  await head.startWorker('pc-1', { slots: 2, provides: ['linux'] });
  await head.startWorker('pc-2', { slots: 1 });
  browser = await openBrowser();
  page = await browser.page();
  await page.goto(head.url);
});

afterAll(async () => {
  // Closing the browser also fails the run if any page broke its CSP.
  await browser?.close();
  await head?.stop();
});

/** Resolves once the locator matches a visible element (auto-waiting; no sleeps). */
const shown = (locator: Locator) => locator.waitFor({ state: 'visible' });
const job = (id: number) => page.getByRole('article', { name: `Job ${id}` });
const tab = (name: string) => page.getByRole('tab', { name }).click();

async function submit(fields: Record<string, string>): Promise<number> {
  await tab('Jobs');
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
  const status = page.getByRole('status').filter({ hasText: /^Job \d+ submitted$/ });
  await shown(status);
  return Number(/\d+/.exec((await status.textContent()) ?? '')?.[0]);
}

describe('the ops UI of a head node', () => {
  it('takes the token from the URL and clears it from the address bar', async () => {
    await shown(page.getByRole('tab', { name: 'Jobs' }));
    expect(page.url()).toBe(`${head.origin}/`);
  });

  it('runs a job submitted from the pane to 100% and says it finished', async () => {
    const id = await submit({ Command: 'echo', Tasks: '6' });
    const done = job(id).getByRole('progressbar').and(page.locator('[aria-valuetext="100%"]'));
    await shown(done);
    await shown(job(id).getByText('finished', { exact: true }));
    expect(await job(id).getByText('100%', { exact: true }).isVisible()).toBe(true);
    await shown(page.getByText(`Job ${id} finished: 6 done`));
  });

  it('cancels a running job', async () => {
    const id = await submit({ Command: 'sleep 60;', Tasks: '20' });
    await shown(job(id).getByText('running', { exact: true }));
    await job(id).getByRole('button', { name: 'Cancel' }).click();
    await shown(job(id).getByText('cancelled', { exact: true }));
    await shown(page.getByText(`Job ${id} finished: 0 done, 20 cancelled`));
  });

  it('says why a job that requires a tag no worker has is waiting', async () => {
    const id = await submit({ Command: 'render.sh', Tasks: '3', Requires: 'GPU' });
    await shown(job(id).getByRole('note').filter({ hasText: 'Waiting: no worker provides GPU' }));
    await tab('Pool');
    const waiting = page.getByRole('region', { name: 'Waiting jobs' });
    await shown(waiting.getByText('no worker provides GPU'));
    await tab('Jobs');
    await job(id).getByRole('button', { name: 'Cancel' }).click();
    await shown(job(id).getByText('cancelled', { exact: true }));
  });

  it('shows a worker appear in the Workers table and disappear after SIGKILL', async () => {
    await tab('Pool');
    const workers = page.getByRole('table', { name: 'Workers' });
    await shown(workers.getByRole('rowheader', { name: /^pc-1\b/ }));
    const extra = await head.startWorker('pc-3', { slots: 1, provides: ['big'] });
    const row = workers.getByRole('rowheader', { name: /^pc-3\b/ });
    await shown(row);
    await extra.kill('SIGKILL');
    await row.waitFor({ state: 'detached' });
    expect(await workers.getByRole('rowheader', { name: /^pc-1\b/ }).isVisible()).toBe(true);
  });

  it('moves between the views with the arrow keys', async () => {
    await page.getByRole('tab', { name: 'Pool' }).focus();
    await page.keyboard.press('ArrowLeft');
    await shown(page.getByRole('tab', { name: 'Jobs', selected: true }));
    await shown(page.getByRole('region', { name: 'Jobs' }));
    await page.keyboard.press('ArrowRight');
    await shown(page.getByRole('table', { name: 'Workers' }));
  });

  it('refuses the API without the token, and asks for the printed URL', async () => {
    const status = await page.evaluate(
      `fetch('/api/pool/summary', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' }).then((r) => r.status)`,
    );
    expect(status).toBe(401);
    // A new tab without the fragment has no token (session storage is per tab).
    const bare = await browser.context.newPage();
    await bare.goto(`${head.origin}/`);
    await shown(bare.getByRole('alert').filter({ hasText: 'This page needs its access token' }));
    await bare.close();
  });
});
