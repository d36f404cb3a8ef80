import type { KestrelBridge, KestrelClient } from '../../../shared/api.ts';
import { createBridgeClient } from './bridge-client.ts';
import { createHttpClient } from './http-client.ts';
import { takeToken } from './token.ts';

/**
 * The one place that picks a transport: a bridge the host put on `window.kestrel` (Electron's
 * preload) when there is one, else the head node's HTTP API with the token from the URL. The rest
 * of the renderer sees only KestrelClient.
 */

function isBridge(value: unknown): value is KestrelBridge {
  const candidate = value as Partial<KestrelBridge> | undefined;
  return typeof candidate?.invoke === 'function' && typeof candidate.on === 'function';
}

export function createClient(win: Window = window): { client: KestrelClient; hasToken: boolean } {
  const bridge = (win as Window & { kestrel?: unknown }).kestrel;
  if (isBridge(bridge)) return { client: createBridgeClient(bridge), hasToken: true };
  const token = takeToken(win.location, win.history, win.sessionStorage);
  return {
    client: createHttpClient({ base: win.location.href, token }),
    hasToken: token !== undefined,
  };
}
