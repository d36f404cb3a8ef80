import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/**
 * The built renderer (dist/renderer), read-only: files only (a directory is a 404, never a
 * listing), nothing outside the root (a `..` or an encoded one resolves inside the root or is
 * refused), `/` is index.html, and every file carries the strict Content-Security-Policy.
 */

/** Scripts, styles and connections only from this server; no inline scripts or styles; no frames. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The Content-Type a built file is served with. */
export function contentType(path: string): string {
  return TYPES[extname(path)] ?? 'application/octet-stream';
}

export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

/** The file a URL path names inside `root`, or undefined (missing, a directory, or outside). */
export function resolveStatic(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const relative = decoded === '/' ? 'index.html' : decoded;
  const path = normalize(join(root, relative));
  if (!path.startsWith(root + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

export function isBuilt(root: string): boolean {
  return existsSync(join(root, 'index.html'));
}

export function serveStatic(
  root: string,
  urlPath: string,
  res: ServerResponse,
  head: boolean,
): void {
  const path = resolveStatic(root, urlPath);
  if (path === undefined) {
    const text = isBuilt(root)
      ? 'not found\n'
      : 'The ops UI is not built: run `npm run build:renderer` (npm ci does it) and reload.\n';
    res.writeHead(isBuilt(root) ? 404 : 503, {
      ...securityHeaders(),
      'Content-Type': 'text/plain; charset=utf-8',
    });
    res.end(text);
    return;
  }
  // Hashed asset names can be cached for good; index.html must be fetched fresh after a rebuild.
  const immutable = path.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    ...securityHeaders(),
    'Content-Type': contentType(path),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (head) res.end();
  else createReadStream(path).pipe(res);
}
