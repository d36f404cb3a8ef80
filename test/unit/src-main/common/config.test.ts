import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireKeys } from '../../../../src-main/common/config.ts';

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kestrel-config-')), 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('configuration', () => {
  it('takes flags over the environment and the environment over the file', () => {
    const file = configFile({
      server: 'file:1',
      jid: 'file@x',
      password: 'file',
      manager: 'm@file',
    });
    const env = { KESTREL_SERVER: 'env:2', KESTREL_JID: 'env@x' };
    const config = loadConfig({ server: 'flag:3' }, env, file);
    expect(config).toMatchObject({
      server: 'flag:3',
      jid: 'env@x',
      password: 'file',
      manager: 'm@file',
    });
  });

  it('reads the default file from KESTREL_CONFIG and ignores it when absent', () => {
    const file = configFile({ provides: ['GPU'], slots: 3 });
    expect(loadConfig({}, { KESTREL_CONFIG: file })).toMatchObject({ provides: ['GPU'], slots: 3 });
    expect(loadConfig({}, { KESTREL_CONFIG: '/nonexistent/k.json' }).server).toBe(
      'xmpp://127.0.0.1:5222',
    );
  });

  it('fails loudly on a bad file, an unknown key or a missing explicit file', () => {
    expect(() => loadConfig({}, {}, configFile('{nope'))).toThrow(ConfigError);
    expect(() => loadConfig({}, {}, configFile({ sever: 'typo' }))).toThrow(/sever/);
    expect(() => loadConfig({}, {}, configFile({ slots: 0 }))).toThrow(/slots/);
    expect(() => loadConfig({}, {}, '/nonexistent/k.json')).toThrow(/does not exist/);
  });

  it('names the missing settings by their keys, without CLI wording', () => {
    expect(() => requireKeys({}, ['jid', 'dataDir'], 'x')).toThrow('missing jid, dataDir (x)');
    try {
      requireKeys({ jid: 'a@b' }, ['jid', 'password'], 'the account');
    } catch (error) {
      expect(error).toMatchObject({ missing: ['password'], hint: 'the account' });
    }
  });

  it('takes a worker’s preferences under the desktop settings’ names, with their ranges', () => {
    const file = configFile({
      onlyWhenIdle: true,
      otherCpuLimit: 25,
      schedule: [null, { from: 18, to: 8 }, null, null, null, null, null],
      blockedSubmitters: ['mallory@pool'],
    });
    expect(loadConfig({}, {}, file)).toMatchObject({
      onlyWhenIdle: true,
      otherCpuLimit: 25,
      blockedSubmitters: ['mallory@pool'],
    });
    expect(() => loadConfig({}, {}, configFile({ otherCpuLimit: 200 }))).toThrow(/otherCpuLimit/);
    // The desktop's own settings are not a headless worker's.
    expect(() => loadConfig({}, {}, configFile({ startAtLogin: true }))).toThrow(/startAtLogin/);
  });
});
