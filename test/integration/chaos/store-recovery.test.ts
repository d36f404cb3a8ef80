// Found by the chaos run: a manager restarted after SIGKILL failed to start with "database is
// locked" when someone was reading its store (the chaos monitor; in production a backup or an ops
// query). The first connection after a crash recovers the WAL, and the manager set its busy
// timeout only after the pragma that needed the lock. Here a manager store is killed mid-write
// again and again while a reader polls, and must open every time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const NODE = resolve(import.meta.dirname, '../../../node_modules/.bin/node');
const STORE = resolve(import.meta.dirname, '../../../src-main/manager/store.ts');

const WRITER = `
import { openManagerStore } from ${JSON.stringify(STORE)};
const store = await openManagerStore(process.argv[1]);
const spec = { command: 'x', queue: 10, requires: [], cores: 1, ram: 0, retries: 0 };
process.stdout.write('open\\n');
for (;;) await store.insertJob('a@pool', 'a@pool/cli', spec, Date.now());
`;
const READER = `
import { DatabaseSync } from 'node:sqlite';
for (;;) {
  try {
    const db = new DatabaseSync(process.argv[1], { readOnly: true });
    db.exec('PRAGMA busy_timeout = 1000');
    db.prepare('SELECT count(*) FROM jobs').get();
    db.close();
  } catch {
    // Busy or not created yet: poll again.
  }
}
`;

const children: ChildProcess[] = [];
let dir: string | undefined;
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(code: string, db: string): ChildProcess {
  const child = spawn(NODE, ['--input-type=module', '-e', code, db], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

/** Resolves with '' once the store is open, or with its error if the process died first. */
function opened(child: ChildProcess): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => {
    child.stdout?.once('data', () => done(''));
    child.once('exit', () => done(stderr.split('\n').find((l) => l.startsWith('Error')) ?? stderr));
  });
}

describe('manager store after a crash', () => {
  it('opens while another process reads it, however often the writer is killed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kestrel-store-'));
    const db = join(dir, 'manager.db');
    run(READER, db);
    const failures: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const writer = run(WRITER, db);
      const error = await opened(writer);
      if (error !== '') {
        failures.push(error);
        continue;
      }
      await new Promise((r) => setTimeout(r, 80));
      const exited = new Promise((r) => writer.once('exit', r));
      writer.kill('SIGKILL');
      await exited;
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
