// The desktop app keeps the worker's password sealed by the OS keychain, not in joined.json: what
// a task that reads the data directory finds, and how each side reads it back.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinedConfigPath, loadWorkerConfig } from '../../../../src-main/worker/join.ts';
import { writeJoined, type SecretBox } from '../../../../src-main/worker/joined-secret.ts';

/** A keychain of its own: AES-GCM with a key this test holds (the OS keeps it for the app). */
function keychain(key = randomBytes(32)): SecretBox {
  return {
    detail: 'the test keychain',
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    open(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString();
    },
  };
}

const PASSWORD = 'Zq8-worker-password-from-the-invite';
const JOINED = {
  server: 'xmpp://lab.example:5222',
  jid: 'desk-1a2b3c@lab.example',
  password: PASSWORD,
  manager: 'manager@lab.example',
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dataDir(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-sealed-'));
  dirs.push(dir);
  return { dir, env: { KESTREL_DATA_DIR: dir, KESTREL_CONFIG: join(dir, 'none.json') } };
}
/** Everything a task reading the data directory would find. */
const everything = (dir: string) =>
  readdirSync(dir)
    .map((name) => readFileSync(join(dir, name)).toString('latin1'))
    .join('\n');

describe('the worker’s password sealed by the keychain', () => {
  it('is in no file of the data directory, and the app reads it back', () => {
    const { dir, env } = dataDir();
    const box = keychain();
    writeJoined(dir, joinedConfigPath(dir), { ...JOINED }, box);
    expect(everything(dir)).not.toContain(PASSWORD);
    expect(JSON.parse(readFileSync(joinedConfigPath(dir), 'utf8'))).toEqual({
      server: JOINED.server,
      jid: JOINED.jid,
      manager: JOINED.manager,
    });
    expect(statSync(join(dir, 'joined.secret')).mode & 0o777).toBe(0o600);
    expect(loadWorkerConfig({}, env, undefined, box)).toMatchObject({
      jid: JOINED.jid,
      password: PASSWORD,
    });
  });

  it('is sealed at the next start when an older join left it in clear', () => {
    const { dir, env } = dataDir();
    writeFileSync(joinedConfigPath(dir), JSON.stringify(JOINED), { mode: 0o600 });
    const box = keychain();
    expect(loadWorkerConfig({}, env, undefined, box).password).toBe(PASSWORD);
    expect(everything(dir)).not.toContain(PASSWORD);
    expect(loadWorkerConfig({}, env, undefined, box).password).toBe(PASSWORD);
  });

  it('cannot be read without the keychain: the headless worker says what to do', () => {
    const { dir, env } = dataDir();
    writeJoined(dir, joinedConfigPath(dir), { ...JOINED }, keychain());
    expect(() => loadWorkerConfig({}, env)).toThrow(
      /kept sealed by the desktop app's keychain .*join again/,
    );
    // Another keychain (another user, a reinstalled system) cannot open it either.
    expect(() => loadWorkerConfig({}, env, undefined, keychain())).toThrow(
      /the keychain cannot open the worker's password/,
    );
  });

  it('gives way to a password from the environment, as the file does', () => {
    const { dir, env } = dataDir();
    writeJoined(dir, joinedConfigPath(dir), { ...JOINED }, keychain());
    expect(loadWorkerConfig({}, { ...env, KESTREL_PASSWORD: 'from-env' }).password).toBe(
      'from-env',
    );
  });

  it('stays in joined.json without a keychain, as the headless worker always kept it', () => {
    const { dir, env } = dataDir();
    writeJoined(dir, joinedConfigPath(dir), { ...JOINED }, undefined);
    expect(JSON.parse(readFileSync(joinedConfigPath(dir), 'utf8')).password).toBe(PASSWORD);
    expect(loadWorkerConfig({}, env).password).toBe(PASSWORD);
  });
});
