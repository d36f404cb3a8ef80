import { describe, expect, it } from 'vitest';

import { deriveKeys, type ScramDigest } from '../../../../src-main/server/credentials.ts';
import { createScramServer, type ScramAccount } from '../../../../src-main/server/scram-server.ts';
import { ScramSha1Mechanism, ScramSha256Mechanism } from '../../../../src-main/xmpp/scram.ts';

// The exchanges of RFC 5802 §5 and RFC 7677 §3, seen from the server.
const vectors = [
  {
    digest: 'sha1' as ScramDigest,
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverNonce: '3rfcNHYJY1ZVvWVs7j',
    salt: 'QSXCR+Q6sek8bf92',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal:
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    digest: 'sha256' as ScramDigest,
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
    serverFirst:
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal:
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,' +
      'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

async function account(digest: ScramDigest, password: string, salt: string): Promise<ScramAccount> {
  const saltBytes = Buffer.from(salt, 'base64');
  const keys = await deriveKeys(digest, password, saltBytes, 4096);
  return { username: 'user', salt: saltBytes, iterations: 4096, keys };
}

const fake = () => ({ salt: Buffer.from('fake-salt'), iterations: 4096 });

describe.each(vectors)('SCRAM server ($digest)', (v) => {
  it('replays the RFC exchange byte for byte', async () => {
    const stored = await account(v.digest, 'pencil', v.salt);
    const server = createScramServer({
      digest: v.digest,
      lookup: (name) => (name === 'user' ? stored : undefined),
      fake,
      nonce: v.serverNonce,
    });
    expect(server.step(v.clientFirst)).toEqual({ kind: 'continue', message: v.serverFirst });
    expect(server.step(v.clientFinal)).toEqual({
      kind: 'success',
      message: v.serverFinal,
      username: 'user',
      authzid: undefined,
    });
  });

  it('refuses a proof made with another password', async () => {
    const stored = await account(v.digest, 'not pencil', v.salt);
    const server = createScramServer({
      digest: v.digest,
      lookup: () => stored,
      fake,
      nonce: v.serverNonce,
    });
    server.step(v.clientFirst);
    expect(server.step(v.clientFinal)).toMatchObject({
      kind: 'failure',
      condition: 'not-authorized',
    });
  });

  it('answers an unknown user like a known one until the proof', () => {
    const server = createScramServer({
      digest: v.digest,
      lookup: () => undefined,
      fake,
      nonce: 'x',
    });
    const first = server.step(v.clientFirst);
    expect(first).toMatchObject({ kind: 'continue' });
    expect((first as { message: string }).message).toContain(
      `s=${fake().salt.toString('base64')},i=4096`,
    );
    const nonce = /r=([^,]*)/.exec((first as { message: string }).message)?.[1];
    expect(server.step(`c=biws,r=${nonce},p=AAAA`)).toMatchObject({ condition: 'not-authorized' });
  });
});

describe('SCRAM server input checks', () => {
  const server = () =>
    createScramServer({ digest: 'sha256', lookup: () => undefined, fake, nonce: 'S' });

  it.each([
    ['no gs2 header', 'n=user,r=abc'],
    ['channel binding it did not offer', 'p=tls-unique,,n=user,r=abc'],
    ['no nonce', 'n,,n=user'],
    ['a bad name escape', 'n,,n=us=er,r=abc'],
    ['a mandatory extension', 'n,,m=ext,n=user,r=abc'],
  ])('refuses %s as malformed', (_what, message) => {
    expect(server().step(message)).toMatchObject({
      kind: 'failure',
      condition: 'malformed-request',
    });
  });

  it('accepts the "y" flag (client could bind, server did not offer it)', () => {
    expect(server().step('y,,n=user,r=abc')).toMatchObject({ kind: 'continue' });
  });

  it('refuses a final message whose nonce or gs2 echo differs', () => {
    const s = server();
    s.step('n,,n=user,r=abc');
    expect(s.step('c=eSws,r=abcS,p=AAAA')).toMatchObject({ condition: 'malformed-request' });
    const t = server();
    t.step('n,,n=user,r=abc');
    expect(t.step('c=biws,r=other,p=AAAA')).toMatchObject({ condition: 'malformed-request' });
  });
});

describe.each([
  ['sha1', ScramSha1Mechanism],
  ['sha256', ScramSha256Mechanism],
] as const)('our client against our server (%s)', (digest, Mechanism) => {
  it('logs in with a UTF-8 password and an authzid, and the client verifies the server', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const keys = await deriveKeys(digest, 'pässwörd ✓', salt, 4096);
    const stored = { username: 'dora', salt, iterations: 4096, keys };
    const server = createScramServer({
      digest,
      lookup: (n) => (n === 'dora' ? stored : undefined),
      fake,
    });
    const client = new Mechanism();
    const credentials = { username: 'dora', password: 'pässwörd ✓', authzid: 'dora@kestrel.test' };
    const utf8 = (binary: string) => Buffer.from(binary, 'latin1').toString('utf8');
    const binary = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const first = server.step(utf8(await client.response(credentials)));
    expect(first.kind).toBe('continue');
    client.challenge(binary((first as { message: string }).message));
    const final = server.step(utf8(await client.response(credentials)));
    expect(final).toMatchObject({
      kind: 'success',
      username: 'dora',
      authzid: 'dora@kestrel.test',
    });
    client.challenge(binary((final as { message: string }).message));
    expect(client.complete).toBe(true);
  });
});
