// The renderer as a host page with a bridge sees it: the built renderer, served by the head
// node's own HTTP server module (no API behind it), with `window.kestrel` put in place before the
// app loads and backed by Node-side handlers through Playwright's exposeBinding — the shape the
// Electron preload gives it (shared/api.ts KestrelBridge), answered by the test itself. The
// real app behind the bridge is test/harness/electron's (the desktop-*.test.ts files).
import type { Page } from 'playwright-core';
import type { ApiEvent, ApiEvents, ApiReply } from '../../shared/api.ts';
import { silentLogger } from '../../src-main/common/log.ts';
import { RENDERER_ROOT } from '../../src-main/head/ops-ui.ts';
import { startUiServer, type UiServer } from '../../src-main/http/ui-server.ts';

export type BridgeHandler = (method: string, args: unknown[]) => Promise<unknown>;

export async function serveRenderer(): Promise<UiServer> {
  return startUiServer({
    handlers: {},
    root: RENDERER_ROOT,
    port: 0,
    bind: '127.0.0.1',
    log: silentLogger,
  });
}

const BRIDGE = `
  const listeners = new Map();
  window.kestrel = {
    invoke: (method, args) => window.kestrelInvoke(method, args),
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return () => listeners.get(event).delete(listener);
    },
  };
  window.kestrelEmit = (event, payload) => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };
`;

/** Opens the renderer with a bridge answering from `handle`; returns how to push events. */
export async function openWithBridge(
  page: Page,
  server: UiServer,
  handle: BridgeHandler,
): Promise<{ emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): Promise<void> }> {
  await page.exposeBinding('kestrelInvoke', async (_source, method: string, args: unknown[]) => {
    try {
      return { ok: true, result: await handle(method, args) } satisfies ApiReply<unknown>;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'internal';
      return {
        ok: false,
        error: { code, message: (error as Error).message },
      } satisfies ApiReply<never>;
    }
  });
  await page.addInitScript({ content: BRIDGE });
  await page.goto(`http://127.0.0.1:${server.port}/`);
  return {
    async emit(event, payload) {
      await page.evaluate(
        `window.kestrelEmit(${JSON.stringify(event)}, ${JSON.stringify(payload)})`,
      );
    },
  };
}
