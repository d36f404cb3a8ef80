// The server side of SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), pure: messages in,
// messages out, no I/O. Channel binding (-PLUS) is not offered, so a client may send the gs2
// flags 'n' or 'y' but not 'p' (RFC 5802 §6). An unknown user gets a deterministic fake salt
// and fails only at the proof, so the exchange does not tell which accounts exist (§5.1).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { hmac, type ScramDigest, type ScramKeys } from './credentials.ts';

export interface ScramAccount {
  /** The account's normalised username (JID localpart). */
  username: string;
  salt: Buffer;
  iterations: number;
  keys: ScramKeys;
}

export interface ScramServerOptions {
  digest: ScramDigest;
  /** The stored credentials for a username as the client sent it, if the account exists. */
  lookup: (username: string) => ScramAccount | undefined;
  /** Salt and iteration count to pretend with when the account does not exist. */
  fake: (username: string) => { salt: Buffer; iterations: number };
  /** Server nonce part; random by default. Fixed only to replay the RFC test vectors. */
  nonce?: string;
}

/** RFC 6120 §6.5 conditions a SCRAM exchange can end with. */
export type ScramFailure = 'malformed-request' | 'not-authorized' | 'invalid-authzid';

export type ScramStep =
  | { kind: 'continue'; message: string }
  /** `authzid` as the client sent it, if it did (RFC 6120 §6.3.8: the caller checks it). */
  | { kind: 'success'; message: string; username: string; authzid: string | undefined }
  | { kind: 'failure'; condition: ScramFailure; text: string };

export interface ScramServer {
  step(message: string): ScramStep;
}

export function createScramServer(options: ScramServerOptions): ScramServer {
  const { digest } = options;
  let stage: 'first' | 'final' | 'done' = 'first';
  let account: ScramAccount | undefined;
  let gs2Header = '';
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  let requestedAuthzid: string | undefined;

  const failure = (condition: ScramFailure, text: string): ScramStep => {
    stage = 'done';
    return { kind: 'failure', condition, text };
  };

  function first(message: string): ScramStep {
    // gs2-header = gs2-cbind-flag "," [ authzid ] "," (RFC 5802 §7)
    const match = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!match) return failure('malformed-request', 'bad gs2 header');
    const [, flag = '', authzid, bare = ''] = match;
    if (flag.startsWith('p=')) return failure('malformed-request', 'channel binding not offered');
    const attrs = parseAttributes(bare);
    const name = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (attrs.has('m')) return failure('malformed-request', 'unsupported extension');
    if (name === undefined || clientNonce === undefined || clientNonce === '') {
      return failure('malformed-request', 'missing username or nonce');
    }
    const unescaped = unescapeName(name);
    if (unescaped === undefined) return failure('malformed-request', 'bad username escape');
    if (authzid !== undefined) {
      requestedAuthzid = unescapeName(authzid.slice(2));
      if (requestedAuthzid === undefined) return failure('malformed-request', 'bad authzid');
    }
    // The name is prepared by lookup() as a username everywhere is (RFC 8265), not SASLprep.
    account = options.lookup(unescaped);
    const { salt, iterations } = account ?? options.fake(unescaped);
    gs2Header = message.slice(0, message.length - bare.length);
    clientFirstBare = bare;
    nonce = clientNonce + (options.nonce ?? randomBytes(18).toString('base64'));
    serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
    stage = 'final';
    return { kind: 'continue', message: serverFirst };
  }

  function final(message: string): ScramStep {
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt === -1) return failure('malformed-request', 'missing proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = parseAttributes(withoutProof);
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    if (attrs.get('c') !== Buffer.from(gs2Header).toString('base64')) {
      return failure('malformed-request', 'channel binding data does not match');
    }
    if (attrs.get('r') !== nonce) return failure('malformed-request', 'nonce mismatch');
    if (account === undefined) return failure('not-authorized', 'wrong username or password');
    const { storedKey, serverKey } = account.keys;
    // RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must
    // be StoredKey. One HMAC and one hash: no PBKDF2 on the server side.
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(digest, storedKey, authMessage);
    if (proof.length !== signature.length) return failure('not-authorized', 'bad proof length');
    const clientKey = Buffer.alloc(signature.length);
    for (let i = 0; i < signature.length; i++) {
      clientKey[i] = (proof[i] ?? 0) ^ (signature[i] ?? 0);
    }
    const candidate = createHash(digest).update(clientKey).digest();
    if (!timingSafeEqual(candidate, storedKey)) {
      return failure('not-authorized', 'wrong username or password');
    }
    stage = 'done';
    const serverSignature = hmac(digest, serverKey, authMessage).toString('base64');
    return {
      kind: 'success',
      message: `v=${serverSignature}`,
      username: account.username,
      authzid: requestedAuthzid,
    };
  }

  return {
    step(message) {
      if (stage === 'first') return first(message);
      if (stage === 'final') return final(message);
      return failure('malformed-request', 'exchange already finished');
    },
  };
}

function parseAttributes(message: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.length >= 2 && part[1] === '=') attrs.set(part[0] ?? '', part.slice(2));
  }
  return attrs;
}

/** RFC 5802 §5.1: '=2C' and '=3D' are the only escapes; any other '=' is malformed. */
function unescapeName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replaceAll('=2C', ',').replaceAll('=3D', '=');
}
