import { describe, expect, it } from 'vitest';

import {
  ScramSha1Mechanism,
  ScramSha256Mechanism,
  saslPrep,
} from '../../../../src-main/xmpp/scram.ts';
import { PlainMechanism } from '../../../../src-main/xmpp/plain.ts';

const credentials = { username: 'user', password: 'pencil' };

// The exchanges of RFC 5802 §5 and RFC 7677 §3, byte for byte.
const vectors = [
  {
    Mechanism: ScramSha1Mechanism,
    name: 'SCRAM-SHA-1',
    nonce: 'fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal:
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    Mechanism: ScramSha256Mechanism,
    name: 'SCRAM-SHA-256',
    nonce: 'rOprNGfwEbeRWgbNEkqO',
    serverFirst:
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal:
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,' +
      'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

describe.each(vectors)('$name', (v) => {
  it('exposes the saslmechanisms shape on its prototype', () => {
    expect(v.Mechanism.prototype.name).toBe(v.name);
    expect(v.Mechanism.prototype.clientFirst).toBe(true);
  });

  it('reproduces the RFC test vector and verifies the server signature', async () => {
    const mech = new v.Mechanism({ nonce: v.nonce });
    expect(mech.response(credentials)).toBe(`n,,n=user,r=${v.nonce}`);
    mech.challenge(v.serverFirst);
    expect(await mech.response(credentials)).toBe(v.clientFinal);
    expect(mech.complete).toBe(false);
    mech.challenge(v.serverFinal);
    expect(mech.complete).toBe(true);
    // A server that sends server-final as a <challenge> gets an empty response.
    expect(mech.response(credentials)).toBe('');
  });

  it('fails the login when the server signature does not match', async () => {
    const mech = new v.Mechanism({ nonce: v.nonce });
    mech.response(credentials);
    mech.challenge(v.serverFirst);
    await mech.response({ ...credentials, password: 'pencils' });
    expect(() => mech.challenge(v.serverFinal)).toThrow(
      expect.objectContaining({ code: 'auth_failed' }),
    );
    expect(mech.complete).toBe(false);
  });

  it('fails the login on a server error or a missing verifier', async () => {
    for (const serverFinal of ['e=invalid-proof', '']) {
      const mech = new v.Mechanism({ nonce: v.nonce });
      mech.response(credentials);
      mech.challenge(v.serverFirst);
      await mech.response(credentials);
      expect(() => mech.challenge(serverFinal)).toThrow(/SCRAM/);
    }
  });

  it('rejects a server nonce that does not extend ours', () => {
    const mech = new v.Mechanism({ nonce: 'another-nonce' });
    mech.response(credentials);
    expect(() => mech.challenge(v.serverFirst)).toThrow(/nonce/);
  });

  it('rejects mandatory extensions and absurd iteration counts', () => {
    for (const serverFirst of [`m=ext,${v.serverFirst}`, v.serverFirst.replace('4096', '0')]) {
      const mech = new v.Mechanism({ nonce: v.nonce });
      mech.response(credentials);
      expect(() => mech.challenge(serverFirst)).toThrow(/SCRAM/);
    }
  });
});

describe('SCRAM names and encodings', () => {
  it('escapes , and = in the username and sends UTF-8 as bytes', () => {
    const mech = new ScramSha1Mechanism({ nonce: 'abc' });
    const first = mech.response({ username: 'a,b=é', password: 'x' }) as string;
    expect(Buffer.from(first, 'latin1').toString('utf8')).toBe('n,,n=a=2Cb=3Dé,r=abc');
  });

  it('uses a fresh random nonce per exchange', () => {
    const a = new ScramSha1Mechanism().response(credentials);
    const b = new ScramSha1Mechanism().response(credentials);
    expect(a).not.toBe(b);
  });

  it('applies SASLprep mappings (RFC 4013 §2.1)', () => {
    expect(saslPrep('I\u00ADX')).toBe('IX');
    expect(saslPrep('a\u00A0b')).toBe('a b');
    expect(saslPrep('\u2168')).toBe('IX');
  });
});

describe('PLAIN', () => {
  it('encodes authzid, username and password as UTF-8 (RFC 4616 §2)', () => {
    const message = new PlainMechanism().response({
      username: 'tim',
      password: 'tanstaaftanstaaf€',
    });
    expect(Buffer.from(message, 'latin1').toString('utf8')).toBe('\0tim\0tanstaaftanstaaf€');
    expect(PlainMechanism.prototype.name).toBe('PLAIN');
  });
});
