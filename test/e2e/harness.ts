// End-to-end harness: a real `kestrel head` (embedded XMPP server + manager + ops UI over HTTP),
// real `kestrel worker` processes added as a operator would (`kestrel user add`, then a worker
// with that account), and Debian's Chromium driven by playwright-core.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../harness/free-port.ts';
import { kestrelEnv, runKestrel, startKestrel, type KestrelProcess } from '../harness/processes.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface E2eHead {
  readonly process: KestrelProcess;
  readonly dir: string;
  readonly domain: string;
  readonly xmppPort: number;
  /** The printed URL, with its #token=…. */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  readonly admin: { jid: string; password: string };
  /** `kestrel user add` + `kestrel worker`; resolves once the worker has reported to the manager. */
  startWorker(
    name: string,
    options?: { provides?: string[]; slots?: number },
  ): Promise<KestrelProcess>;
  /** A config file for `kestrel` commands acting as the head's admin. */
  adminConfig(): string;
  stop(): Promise<void>;
}

const PASSWORD = 'e2e-password-1';

export async function startE2eHead(domain = 'e2e.test'): Promise<E2eHead> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-e2e-'));
  const xmppPort = await freePort();
  const env = kestrelEnv({});
  const head = startKestrel(
    'head',
    ['head', '--domain', domain, '--port', String(xmppPort), '--ui-port', '0', '--data-dir', dir],
    env,
  );
  const workers: KestrelProcess[] = [];
  try {
    await head.waitForOutput(/ops UI: http:\/\/\S+#token=\S+/);
  } catch (error) {
    await head.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = /ops UI: (http:\/\/\S+)/.exec(head.output())![1]!;
  const { origin } = new URL(url);
  const token = url.split('#token=')[1]!;
  const stored = JSON.parse(readFileSync(join(dir, 'head', 'head.json'), 'utf8')) as {
    admin: { jid: string; password: string };
    manager: { jid: string };
  };
  const cert = readFileSync(join(dir, 'head', 'server', 'tls', `${domain}.crt`));
  const pin = new X509Certificate(cert).fingerprint256;
  const config = (name: string, jid: string, password: string) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        server: `xmpp://127.0.0.1:${xmppPort}`,
        jid,
        password,
        manager: stored.manager.jid,
        pin,
        dataDir: join(dir, `data-${name}`),
      }),
    );
    return path;
  };
  return {
    process: head,
    dir,
    domain,
    xmppPort,
    url,
    origin,
    token,
    admin: stored.admin,
    async startWorker(name, options = {}) {
      const added = await runKestrel(
        ['user', 'add', name, '--password', PASSWORD, '--data-dir', dir],
        env,
      );
      if (added.code !== 0) throw new Error(`kestrel user add ${name}: ${added.stderr}`);
      const args = ['worker', '--name', name, '--slots', String(options.slots ?? 1)];
      if (options.provides) args.push('--provides', options.provides.join(','));
      args.push('--config', config(name, `${name}@${domain}`, PASSWORD));
      const worker = startKestrel(`worker ${name}`, args, env);
      workers.push(worker);
      await worker.waitForOutput('manager is online; reporting');
      return worker;
    },
    adminConfig: () => config('admin', stored.admin.jid, stored.admin.password),
    async stop() {
      await Promise.allSettled(workers.map((w) => w.kill('SIGKILL')));
      await head.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Chromium with a fresh profile; every page fails the test on a CSP violation it reports. */
export async function openBrowser(
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'kestrel-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: options.width ?? 1200, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const violations: string[] = [];
  await context.exposeBinding('kestrelCspViolation', (_source, text: string) => {
    violations.push(text);
  });
  // A string, not a function: this file is type-checked for Node, without the DOM's types.
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      window.kestrelCspViolation(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  return {
    context,
    async page() {
      return context.pages()[0] ?? context.newPage();
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (violations.length > 0)
        throw new Error(`the page broke its Content-Security-Policy: ${violations.join('; ')}`);
    },
  };
}
