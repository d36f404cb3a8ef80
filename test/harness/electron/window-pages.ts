// The browser side of the app's windows: each BrowserWindow of the app under test is a Chromium
// page. Its URL app://kestrel/… is shown at a made-up https origin whose every request goes to
// the app's own protocol handler; the real preload (bundled) runs before the page; its
// ipcRenderer reaches the app's ipcMain through a page binding; what the app sends arrives in
// order. A navigation asks the app's will-navigate, a popup its window-open handler.
import type { BrowserContext, Page, Route } from 'playwright-core';
import type { FromMain, ToMain } from './wire.ts';

/** Where app://kestrel/… is shown in Chromium; every request there goes to the app's handler. */
const ORIGIN = 'https://kestrel.app.invalid';

export interface WindowView {
  readonly id: number;
  readonly options: Record<string, unknown>;
  page: Page | undefined;
  visible: boolean;
  loaded: boolean;
  /** Popups the page opened and the app's window-open handler refused. */
  deniedPopups: string[];
  /** Navigations the app's will-navigate handler refused. */
  deniedNavigations: string[];
}

export interface WindowPages {
  load(view: WindowView, url: string, preloadPath: string | undefined): Promise<void>;
  deliver(view: WindowView | undefined, channel: string, args: unknown[]): void;
  invoke(windowId: number, channel: string, args: unknown[], topFrame: boolean): Promise<unknown>;
}

export function createWindowPages(side: {
  context: BrowserContext;
  /** The preload's bundle (preload-bundle.ts). */
  preload: string;
  /** Asks the app and resolves with its answer, matched by the id `make` puts in the question. */
  ask<T extends FromMain>(make: (id: number) => ToMain): Promise<T>;
  toMain(message: ToMain): void;
  /** Something the test may wait for changed. */
  changed(): void;
  pageErrors: string[];
}): WindowPages {
  const { context, preload, ask, toMain, changed, pageErrors } = side;
  const toAppUrl = (url: string) => `app://kestrel${url.slice(ORIGIN.length)}`;
  const fromAppUrl = (url: string) => url.replace(/^app:\/\/kestrel/, ORIGIN);

  async function invoke(windowId: number, channel: string, args: unknown[], topFrame: boolean) {
    const result = await ask<Extract<FromMain, { type: 'ipc:result' }>>((callId) => ({
      type: 'ipc:invoke',
      callId,
      windowId,
      channel,
      args,
      topFrame,
    }));
    // As Electron's ipcRenderer.invoke: a handler that throws rejects the call.
    if (!result.ok) throw new Error(`Error invoking remote method '${channel}': ${result.error}`);
    return result.value;
  }

  async function route(view: WindowView, r: Route): Promise<void> {
    const request = r.request();
    const url = request.url();
    if (url.startsWith(`${ORIGIN}/`)) {
      const answer = await ask<Extract<FromMain, { type: 'protocol:response' }>>((reqId) => ({
        type: 'protocol:request',
        reqId,
        url: toAppUrl(url),
        method: request.method(),
      }));
      await r.fulfill({
        status: answer.status,
        headers: Object.fromEntries(answer.headers),
        body: Buffer.from(answer.body),
      });
      return;
    }
    if (request.isNavigationRequest() && request.frame() === view.page?.mainFrame()) {
      const answer = await ask<Extract<FromMain, { type: 'navigate:answer' }>>((reqId) => ({
        type: 'navigate:ask',
        reqId,
        windowId: view.id,
        url,
      }));
      if (!answer.allowed) {
        view.deniedNavigations.push(url);
        changed();
        // ERR_ABORTED commits no error page: the page stays, as after Electron's preventDefault.
        await r.abort('aborted');
        return;
      }
    }
    // Nothing else leaves this machine in a test.
    await r.abort('blockedbyclient');
  }

  async function load(view: WindowView, url: string, preloadPath: string | undefined) {
    const page = await context.newPage();
    view.page = page;
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('popup', (popup) => {
      void ask<Extract<FromMain, { type: 'window-open:answer' }>>((reqId) => ({
        type: 'window-open:ask',
        reqId,
        windowId: view.id,
        url: popup.url(),
      })).then(async (answer) => {
        if (answer.action === 'deny') {
          view.deniedPopups.push(popup.url());
          await popup.close();
          changed();
        }
      });
    });
    await page.exposeBinding('__fakeElectronInvoke', (source, channel: string, args: unknown[]) =>
      invoke(view.id, channel, args, source.frame === page.mainFrame()),
    );
    if (preloadPath !== undefined) await page.addInitScript({ content: preload });
    await page.route('**/*', (r) => route(view, r));
    try {
      await page.goto(fromAppUrl(url));
      view.loaded = true;
      toMain({ type: 'window:loaded', id: view.id });
    } catch (error) {
      toMain({ type: 'window:loaded', id: view.id, error: (error as Error).message });
    }
    changed();
  }

  // Sends reach a page in order; one that is not loaded loses them, as in Electron.
  let sends: Promise<unknown> = Promise.resolve();
  function deliver(view: WindowView | undefined, channel: string, args: unknown[]): void {
    const page = view?.page;
    if (!page || !view.loaded) return;
    const script = `globalThis.__fakeElectronEmit?.(${JSON.stringify(channel)}, ${JSON.stringify(args)})`;
    sends = sends.then(() => page.evaluate(script)).catch(() => undefined);
  }

  return { load, deliver, invoke };
}
