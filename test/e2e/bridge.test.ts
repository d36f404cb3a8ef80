// The seam the Electron shell plugs into: with a bridge on window.kestrel the renderer uses it
// instead of HTTP, in a real browser, for the volunteer's window and the first-run join screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { ApiFailure } from '../../src-main/api/errors.ts';
import { requireBuiltRenderer } from '../harness/head-process.ts';
import { snapshot } from '../renderer/fixtures.ts';
import { openBrowser, type Browser } from './browser.ts';
import { openWithBridge, serveRenderer } from './bridge-page.ts';
import type { UiServer } from '../../src-main/http/ui-server.ts';

let server: UiServer;
let browser: Browser;

beforeAll(async () => {
  requireBuiltRenderer();
  server = await serveRenderer();
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shown = (locator: Locator) => locator.waitFor({ state: 'visible' });
const VOLUNTEER = { mode: 'volunteer', version: '0.1.0', areas: ['app', 'volunteer'] };

describe('the renderer with a window.kestrel bridge', () => {
  it('shows the volunteer’s view, pauses through the bridge and follows pushed snapshots', async () => {
    const calls: string[] = [];
    let current = snapshot();
    const page = await browser.context.newPage();
    const bridge = await openWithBridge(page, server, async (method) => {
      calls.push(method);
      if (method === 'app:info') return VOLUNTEER;
      if (method === 'volunteer:get-state') return current;
      if (method === 'volunteer:history') return { items: [], total: 0, offset: 0 };
      if (method === 'volunteer:pause') {
        current = snapshot({
          state: 'paused',
          reason: 'paused',
          settings: { ...current.settings, paused: true },
        });
        return current;
      }
      throw new ApiFailure('unavailable', `${method} is not offered here`);
    });
    await shown(page.getByRole('heading', { name: 'Working' }));
    await page.getByRole('button', { name: 'Pause now' }).click();
    await shown(page.getByRole('heading', { name: 'Paused by you' }));
    await bridge.emit(
      'volunteer:changed',
      snapshot({ state: 'offline', error: 'connection to lab.example:5222 lost' }),
    );
    await shown(page.getByRole('heading', { name: 'Offline' }));
    await shown(page.getByText('connection to lab.example:5222 lost'));
    expect(calls.slice(0, 2)).toEqual(['app:info', 'volunteer:get-state']);
    expect(calls).toContain('volunteer:pause');
    await page.close();
  });

  it('joins a pool from the first-run screen, after saying why a used invite did not work', async () => {
    let joins = 0;
    const page = await browser.context.newPage();
    await openWithBridge(page, server, async (method) => {
      if (method === 'app:info') return VOLUNTEER;
      if (method === 'volunteer:get-state')
        return snapshot({ configured: false, state: 'offline', tasks: [] });
      if (method === 'volunteer:history') return { items: [], total: 0, offset: 0 };
      if (method === 'volunteer:join') {
        joins += 1;
        if (joins === 1)
          throw new ApiFailure('invite_used', 'the invite token was used or has expired');
        return snapshot({ state: 'idle', tasks: [] });
      }
      throw new ApiFailure('unavailable', method);
    });
    const link = page.getByLabel('Invite link', { exact: true });
    await link.fill(
      'kestrel://join?server=lab-pc.local%3A5222&domain=lab.example&manager=manager%40lab.example&token=used',
    );
    await page.getByRole('button', { name: 'Join' }).click();
    await shown(page.getByRole('alert').filter({ hasText: 'used already or has expired' }));
    await link.fill(
      'kestrel://join?server=lab-pc.local%3A5222&domain=lab.example&manager=manager%40lab.example&token=fresh',
    );
    await page.getByRole('button', { name: 'Join' }).click();
    await shown(page.getByRole('heading', { name: 'Ready' }));
    await page.close();
  });
});
