// The command line as a newcomer meets it (issue 13): help that explains, names written as
// people write them, and one line that says what to do when something ordinary goes wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
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

const dirs: string[] = [];
let head: KestrelProcess;
let dataDir: string;
let env: NodeJS.ProcessEnv;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-newcomer-'));
  dirs.push(dir);
  return dir;
}

/** No stack trace, one line (besides the program's own timestamped log lines). */
function oneLineError(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !/^\d{4}-\d\d-\d\dT[\d:.]+Z (info|warn) /.test(l));
  expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

beforeAll(async () => {
  dataDir = tempDir();
  env = kestrelEnv({ KESTREL_DATA_DIR: dataDir });
  head = startKestrel(
    'head',
    ['head', '--domain', 'kestrel.test', '--port', String(await freePort()), '--no-ui'],
    env,
  );
  await head.waitForOutput('manager online');
});
afterAll(async () => {
  await head?.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('a newcomer at the command line', () => {
  it('gets each option of a command explained, with its default and examples', async () => {
    for (const args of [
      ['worker', '--help'],
      ['help', 'worker'],
    ]) {
      const help = await runKestrel(args, env);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^usage: kestrel worker /);
      expect(help.stdout).toMatch(/--slots N +tasks run at once \(default: the machine’s cores\)/);
      expect(help.stdout).toMatch(/--pin SHA256 +trust only the server certificate/);
      expect(help.stdout).toMatch(/examples:\n {2}kestrel worker --join/);
    }
  });

  it('adds a user written as NAME@DOMAIN of the head, and refuses another domain clearly', async () => {
    const added = await runKestrel(['user', 'add', 'w1@kestrel.test', '--role', 'worker'], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^added w1 \(worker\)/);
    const other = await runKestrel(['user', 'add', 'w2@elsewhere.example'], env);
    expect(other.code).toBe(2);
    expect(oneLineError(other.stderr)).toMatch(
      /w2@elsewhere\.example is not an account of this head node \(its domain is kestrel\.test\)/,
    );
  });

  it('says in one line that a port is in use, and what to do', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const result = await runKestrel(['head', '--port', String(port), '--no-ui'], {
        ...env,
        KESTREL_DATA_DIR: tempDir(),
      });
      expect(result.code).toBe(2);
      expect(oneLineError(result.stderr)).toMatch(
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use.*--port`),
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('says in one line that a config file is not valid JSON', async () => {
    const config = join(tempDir(), 'config.json');
    writeFileSync(config, '{ "server": ');
    const result = await runKestrel(['status', '--config', config], env);
    expect(result.code).toBe(2);
    expect(oneLineError(result.stderr)).toMatch(/config file .* is not valid JSON/);
  });

  it('warns that an invite cannot reach a head that listens on this machine only', async () => {
    // 192.0.2.10: an address of another machine (TEST-NET-1), no DNS needed.
    const invite = await runKestrel(['invite', '--host', '192.0.2.10'], env);
    expect(invite.code).toBe(0);
    expect(invite.stdout).toMatch(/^kestrel:\/\/join\?server=192\.0\.2\.10%3A\d+&/);
    expect(invite.stderr).toMatch(
      /^kestrel invite: warning: the head listens on 127\.0\.0\.1 only, so this link works on this machine alone: restart it with --bind 0\.0\.0\.0/,
    );
    // A link for a worker on this very machine is fine and says nothing.
    const local = await runKestrel(['invite', '--host', '127.0.0.1'], env);
    expect(local.stderr).toBe('');
  });
});
