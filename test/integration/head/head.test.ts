// The one-command head node: `kestrel head` (embedded XMPP server + manager), `kestrel user`,
// `kestrel invite` and a volunteer's `kestrel worker --join LINK` over pinned STARTTLS.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/free-port.ts';
import {
  kestrelEnv,
  runKestrel,
  startKestrel,
  type KestrelProcess,
} from '../../harness/processes.ts';

const env = kestrelEnv({});
const dirs: string[] = [];
const processes: KestrelProcess[] = [];
let headDir: string;
let port: number;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-head-'));
  dirs.push(dir);
  return dir;
}

const kestrel = (args: string[]) => runKestrel(args, env);

beforeAll(async () => {
  headDir = tempDir();
  port = await freePort();
  const head = startKestrel(
    'head',
    // --ui-port 0: the default 5380 may be held by another head node on this machine.
    [
      'head',
      '--domain',
      'pool.test',
      '--port',
      String(port),
      '--ui-port',
      '0',
      '--data-dir',
      headDir,
    ],
    env,
  );
  processes.push(head);
  await head.waitForOutput('manager online');
});

afterAll(async () => {
  await Promise.allSettled(processes.map((p) => p.kill('SIGKILL')));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('kestrel head', () => {
  it('prints the accounts it created and its certificate fingerprint on first start', async () => {
    await processes[0]!.waitForOutput('invite a volunteer');
    const out = processes[0]!.output();
    expect(out).toMatch(
      /XMPP server for pool\.test on 127\.0\.0\.1:\d+, manager manager@pool\.test/,
    );
    expect(out).toMatch(/admin {4}admin@pool\.test {2}password \S{20,}/);
    const cert = join(headDir, 'head', 'server', 'tls', 'pool.test.crt');
    const fingerprint = new X509Certificate(readFileSync(cert)).fingerprint256;
    expect(out).toContain(`certificate fingerprint: SHA256:${fingerprint}`);
    const stored = JSON.parse(readFileSync(join(headDir, 'head', 'head.json'), 'utf8')) as {
      domain: string;
      manager: Record<string, unknown>;
    };
    expect(stored.domain).toBe('pool.test');
    // Only the head's own process logs in as the manager: its password is kept nowhere.
    expect(stored.manager).toEqual({ jid: 'manager@pool.test' });
  });

  it('runs a job from a user added with `kestrel user add` on a volunteer that joined by invite', async () => {
    expect(
      await kestrel(['user', 'add', 'alice', '--password', 'alice-pw', '--data-dir', headDir]),
    ).toMatchObject({ code: 0 });
    const listed = await kestrel(['user', 'list', '--json', '--data-dir', headDir]);
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([
        { user: 'admin', roles: ['admin'] },
        { user: 'alice', roles: ['submitter'] },
        { user: 'manager', roles: [] },
      ]),
    );

    const invite = await kestrel([
      'invite',
      '--host',
      '127.0.0.1',
      '--json',
      '--data-dir',
      headDir,
    ]);
    const { link } = JSON.parse(invite.stdout) as { link: string };
    expect(link).toMatch(
      /^kestrel:\/\/join\?server=127\.0\.0\.1%3A\d+&domain=pool\.test&manager=manager%40pool\.test&token=\S+&pin=[0-9a-f]{64}$/,
    );
    const workerDir = tempDir();
    const volunteer = startKestrel(
      'volunteer',
      ['worker', '--join', link, '--name', 'vol', '--data-dir', workerDir],
      env,
    );
    processes.push(volunteer);
    await volunteer.waitForOutput('manager is online; reporting');

    // The same one-time link cannot be used twice.
    const again = await kestrel(['worker', '--join', link, '--data-dir', tempDir()]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/could not join pool\.test/);

    // A user trusts the head's self-signed certificate by its fingerprint, from a config file.
    const cert = join(headDir, 'head', 'server', 'tls', 'pool.test.crt');
    const config = join(tempDir(), 'alice.json');
    writeFileSync(
      config,
      JSON.stringify({
        server: `xmpp://127.0.0.1:${port}`,
        jid: 'alice@pool.test',
        password: 'alice-pw',
        manager: 'manager@pool.test',
        pin: new X509Certificate(readFileSync(cert)).fingerprint256,
      }),
    );
    const submitted = await kestrel([
      'submit',
      'echo',
      '--queue',
      '3',
      '--wait',
      '--config',
      config,
    ]);
    expect(submitted.stdout).toMatch(/finished: 3 done, 0 failed, 0 cancelled/);
    expect(submitted.code).toBe(0);
  });

  it('refuses a server whose certificate is not the pinned one', async () => {
    const invite = await kestrel([
      'invite',
      '--host',
      '127.0.0.1',
      '--json',
      '--data-dir',
      headDir,
    ]);
    const { link } = JSON.parse(invite.stdout) as { link: string };
    const forged = link.replace(/pin=[0-9a-f]{64}/, `pin=${'0'.repeat(64)}`);
    const result = await kestrel(['worker', '--join', forged, '--data-dir', tempDir()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not the one pinned/);
  });
});
