// The desktop window's pages come from a privileged scheme of the app's own (`app://kestrel/…`,
// Electron's protocol.handle) rather than file://: the built renderer's module scripts load as
// they do over HTTP (file:// gives them an opaque origin), the page has an origin that nothing
// else shares, and each response carries the same strict Content-Security-Policy and headers as
// the head node's web UI (src-main/http/static-files.ts). Read-only, files of dist/renderer only.
import { readFileSync } from 'node:fs';
import { contentType, resolveStatic, securityHeaders } from '../http/static-files.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'kestrel';
/** The page the window loads. */
export const APP_PAGE = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Answers the scheme's requests from `root` (the built renderer); never throws. */
export function createRendererResponder(root: string): (request: Request) => Response {
  const text = (status: number, body: string) =>
    new Response(body, {
      status,
      headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' },
    });
  return (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return text(400, 'bad request\n');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return text(404, 'not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'read-only\n');
    const path = resolveStatic(root, url.pathname);
    if (path === undefined) return text(404, 'not found\n');
    const body = request.method === 'HEAD' ? null : readFileSync(path);
    return new Response(body, {
      status: 200,
      headers: { ...securityHeaders(), 'Content-Type': contentType(path) },
    });
  };
}
