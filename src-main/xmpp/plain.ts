// SASL PLAIN (RFC 4616) in the `saslmechanisms` shape. The `sasl-plain` package returns the
// password as a JavaScript string, which @xmpp/sasl's btoa() rejects beyond Latin-1; this one
// returns UTF-8 bytes as a binary string like our SCRAM mechanisms do.
import type { SaslCredentials } from './scram.ts';

export class PlainMechanism {
  get name(): string {
    return 'PLAIN';
  }

  get clientFirst(): boolean {
    return true;
  }

  response({ username, password, authzid }: SaslCredentials): string {
    // RFC 4616 §2: message = [authzid] NUL authcid NUL passwd
    return Buffer.from(`${authzid ?? ''}\0${username}\0${password}`, 'utf8').toString('latin1');
  }

  challenge(_data: string): this {
    return this;
  }
}
