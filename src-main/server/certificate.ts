// The server's TLS certificate: the operator's PEM files, or a self-signed one made on first
// run and kept in the data directory. It is generated with node:crypto alone (an ECDSA P-256
// key, the X.509 v3 structure written in DER), so a head node on Windows or macOS needs no
// openssl binary. Like `openssl req -x509` it is its own CA (basicConstraints CA:TRUE, key
// identifiers), so clients can trust exactly this certificate as their CA file.
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';

import * as der from './der.ts';
import { XmppServerError } from './errors.ts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface ServerCertificate extends TlsFiles {
  context: tls.SecureContext;
  /** Whether this run generated it. */
  generated: boolean;
}

const VALID_DAYS = 3650;
const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
};

/** Loads the operator's files, or the generated pair in `dir` (made now if missing or stale). */
export function loadCertificate(domain: string, dir: string, files?: TlsFiles): ServerCertificate {
  let generated = false;
  const paths = files ?? {
    certFile: join(dir, `${domain}.crt`),
    keyFile: join(dir, `${domain}.key`),
  };
  try {
    if (files === undefined && !usable(paths.certFile, domain)) {
      const { cert, key } = createSelfSignedCertificate(domain);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(paths.keyFile, key, { mode: 0o600 });
      writeFileSync(paths.certFile, cert);
      generated = true;
    }
    const cert = readFileSync(paths.certFile);
    const key = readFileSync(paths.keyFile);
    const context = tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
    return { ...paths, context, generated };
  } catch (error) {
    throw new XmppServerError('tls_setup_failed', `TLS certificate: ${String(error)}`, {
      cause: error,
    });
  }
}

/** A certificate we made before, still valid for a week and naming the domain. */
function usable(certFile: string, domain: string): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    const weekAhead = Date.now() + 7 * 24 * 3600 * 1000;
    return cert.checkHost(domain) !== undefined && new Date(cert.validTo).getTime() > weekAhead;
  } catch {
    return false;
  }
}

export function createSelfSignedCertificate(
  domain: string,
  now = new Date(),
): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (the key after the
  // 26-byte SPKI header of a P-256 key).
  const keyId = createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
  const name = der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8String(domain))));
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const extension = (id: string, value: Buffer, critical = false) =>
    der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    der.integer(serial),
    algorithm,
    name,
    der.sequence(
      der.time(new Date(now.getTime() - 3600_000)),
      der.time(new Date(now.getTime() + VALID_DAYS * 86_400_000)),
    ),
    name,
    spki,
    der.explicit(
      3,
      der.sequence(
        extension(OID.subjectKeyIdentifier, der.octetString(keyId)),
        extension(OID.authorityKeyIdentifier, der.sequence(der.implicit(0, keyId))),
        extension(OID.basicConstraints, der.sequence(der.boolean(true)), true),
        extension(OID.subjectAltName, der.sequence(der.implicit(2, Buffer.from(domain, 'ascii')))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = der.sequence(tbs, algorithm, der.bitString(signature));
  const body = certificate.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
