// The app:// scheme the desktop window's pages come from: the built renderer, read-only, under
// the same Content-Security-Policy as the head node's web UI.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../../src-main/common/package-root.ts';
import {
  APP_PAGE,
  createRendererResponder,
} from '../../../../src-main/desktop/renderer-protocol.ts';
import { CSP } from '../../../../src-main/http/static-files.ts';

let root: string;
let respond: (request: Request) => Response;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-protocol-'));
  root = join(dir, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Kestrel</title>');
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'not for the page');
  respond = createRendererResponder(root);
});
afterAll(() => rmSync(join(root, '..'), { recursive: true, force: true }));

const get = (url: string, method = 'GET') => respond(new Request(url, { method }));

describe('the app:// scheme', () => {
  it('serves the page and its assets with their types and the strict CSP', async () => {
    const page = get(APP_PAGE);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>Kestrel</title>');
    const script = get('app://kestrel/assets/index-abc.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log(1)');
    expect(await get('app://kestrel/').text()).toContain('Kestrel');
  });

  it('serves nothing outside the built renderer, nor for another host', async () => {
    for (const url of [
      'app://kestrel/../secret.txt',
      'app://kestrel/%2e%2e/secret.txt',
      'app://kestrel/assets/',
      'app://kestrel/missing.js',
      'app://other/index.html',
    ]) {
      const response = get(url);
      expect(response.status, url).toBe(404);
      expect(await response.text(), url).not.toContain('not for the page');
      expect(response.headers.get('content-security-policy'), url).toBe(CSP);
    }
  });

  it('is read-only', () => {
    expect(get(APP_PAGE, 'POST').status).toBe(405);
    expect(get(APP_PAGE, 'HEAD').status).toBe(200);
  });

  it('finds the built renderer from source as in the packaged app: beside package.json', () => {
    const repo = packageRoot(import.meta.dirname);
    expect(packageRoot(join(repo, 'src-main', 'desktop'))).toBe(repo);
    // The compiled layout: dist/src-main/desktop/ finds the same root.
    expect(packageRoot(join(repo, 'dist', 'src-main', 'desktop'))).toBe(repo);
  });
});
