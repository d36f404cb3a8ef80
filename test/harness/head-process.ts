// A real `kestrel head` (embedded XMPP server + manager + ops UI over HTTP) and real
// `kestrel worker` processes added as an operator would: `kestrel user add`, then a worker with
// that account, trusting the head's certificate by its fingerprint.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './free-port.ts';
import { kestrelEnv, runKestrel, startKestrel, type KestrelProcess } from './processes.ts';

export interface HeadProcess {
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
  /** A new ordinary account (`kestrel user add`) and a config file for commands acting as it. */
  userConfig(name: string): Promise<string>;
  /** Runs `kestrel ARGS` to its end with this head's environment. */
  kestrel(args: string[]): ReturnType<typeof runKestrel>;
  stop(): Promise<void>;
}

const PASSWORD = 'head-test-password-1';

/** The head serves the built renderer: `npm test` builds it before the tests run. */
export function requireBuiltRenderer(): void {
  const index = resolve(import.meta.dirname, '../../dist/renderer/index.html');
  if (!existsSync(index))
    throw new Error(`${index} is missing: run \`npm run build:renderer\` before these tests`);
}

export async function startHeadProcess(
  domain = 'head.test',
  /** More `kestrel head` flags, e.g. `--ping-interval 2`. */
  extraArgs: string[] = [],
): Promise<HeadProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-headp-'));
  const xmppPort = await freePort();
  const env = kestrelEnv({});
  const head = startKestrel(
    'head',
    [
      'head',
      '--domain',
      domain,
      '--port',
      String(xmppPort),
      '--ui-port',
      '0',
      '--data-dir',
      dir,
      ...extraArgs,
    ],
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
  async function addUser(name: string, role = 'submitter'): Promise<void> {
    const added = await runKestrel(
      ['user', 'add', name, '--password', PASSWORD, '--role', role, '--data-dir', dir],
      env,
    );
    if (added.code !== 0) throw new Error(`kestrel user add ${name}: ${added.stderr}`);
  }
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
      await addUser(name, 'worker');
      const args = ['worker', '--name', name, '--slots', String(options.slots ?? 1)];
      if (options.provides) args.push('--provides', options.provides.join(','));
      args.push('--config', config(name, `${name}@${domain}`, PASSWORD));
      const worker = startKestrel(`worker ${name}`, args, env);
      workers.push(worker);
      await worker.waitForOutput('manager is online; reporting');
      return worker;
    },
    adminConfig: () => config('admin', stored.admin.jid, stored.admin.password),
    async userConfig(name) {
      await addUser(name);
      return config(name, `${name}@${domain}`, PASSWORD);
    },
    kestrel: (args) => runKestrel(args, env),
    async stop() {
      await Promise.allSettled(workers.map((w) => w.kill('SIGKILL')));
      await head.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
