// SASL on the wire (RFC 6120 §6.4): <auth/>, <challenge/>, <response/>, <success/>,
// <failure/> and <abort/>, base64 in both directions. A failed login is answered late (the
// throttle decides how late) and the stream is closed after a few, as §6.4.5 allows.
import { xml, type Element } from '@xmpp/xml';

import type { AuthThrottle } from './auth-throttle.ts';
import { NS_SASL } from './namespaces.ts';
import type { SaslExchange, SaslFailure, SaslService, SaslStep } from './sasl.ts';

export interface SaslHost {
  readonly secure: boolean;
  readonly remoteAddress: string;
  /** False once the stream is closed: late replies are dropped. */
  readonly open: boolean;
  send(element: Element): void;
  /** <success/> has been sent: the stream restarts next (§6.4.6). */
  authenticated(username: string): void;
  /** The failure limit was reached; the failure itself has been sent. */
  tooManyFailures(): void;
}

export interface SaslNegotiationOptions {
  sasl: SaslService;
  throttle: AuthThrottle;
  /** PLAIN may be offered without TLS (loopback listener). */
  plainWithoutTls: boolean;
  maxFailures: number;
  onFailure?: () => void;
}

export interface SaslNegotiation {
  mechanisms(): string[];
  /** An element in the SASL namespace. */
  handle(element: Element): void;
  /** An exchange step or a delayed failure is pending: the client must wait (§6.4.2). */
  readonly busy: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function createSaslNegotiation(
  host: SaslHost,
  options: SaslNegotiationOptions,
): SaslNegotiation {
  const { sasl, throttle } = options;
  let exchange: SaslExchange | undefined;
  let busy = false;
  let failures = 0;

  const plainAllowed = () => host.secure || options.plainWithoutTls;

  function failure(condition: SaslFailure, text?: string): void {
    exchange = undefined;
    host.send(
      xml(
        'failure',
        { xmlns: NS_SASL },
        xml(condition),
        text !== undefined && xml('text', { 'xml:lang': 'en' }, text),
      ),
    );
  }

  function apply(step: SaslStep): void {
    if (!host.open) return;
    if (step.kind === 'challenge') {
      host.send(xml('challenge', { xmlns: NS_SASL }, encode(step.data)));
      return;
    }
    if (step.kind === 'success') {
      exchange = undefined;
      host.send(
        xml('success', { xmlns: NS_SASL }, step.data === undefined ? '' : encode(step.data)),
      );
      host.authenticated(step.username);
      return;
    }
    if (step.condition !== 'not-authorized') {
      failure(step.condition, step.text);
      return;
    }
    // §6.4.5: not-authorized, late, and only a few times per stream.
    failures++;
    options.onFailure?.();
    busy = true;
    exchange = undefined;
    setTimeout(() => {
      busy = false;
      if (!host.open) return;
      failure('not-authorized');
      if (failures >= options.maxFailures) host.tooManyFailures();
    }, throttle.failed(host.remoteAddress)).unref();
  }

  function run(message: string | undefined): void {
    if (exchange === undefined) return;
    if (message === undefined) {
      failure('incorrect-encoding');
      return;
    }
    let step: SaslStep | Promise<SaslStep>;
    try {
      step = exchange.step(message);
    } catch {
      failure('malformed-request');
      return;
    }
    if (!(step instanceof Promise)) {
      apply(step);
      return;
    }
    busy = true;
    step.then(
      (result) => {
        busy = false;
        apply(result);
      },
      () => {
        busy = false;
        if (host.open) failure('malformed-request');
      },
    );
  }

  return {
    mechanisms: () => sasl.mechanisms(plainAllowed()),
    get busy() {
      return busy;
    },
    handle(element) {
      switch (element.name) {
        case 'auth': {
          const mechanism = element.attrs.mechanism ?? '';
          if (mechanism === 'PLAIN' && !plainAllowed()) {
            failure('encryption-required', 'PLAIN needs TLS');
            return;
          }
          exchange = sasl.start(mechanism);
          if (exchange === undefined) {
            failure('invalid-mechanism');
            return;
          }
          const text = element.text();
          // §6.4.2: no initial response means "ask me"; '=' means an empty one.
          if (text === '') host.send(xml('challenge', { xmlns: NS_SASL }));
          else run(text === '=' ? '' : decode(text));
          return;
        }
        case 'response':
          if (exchange === undefined) failure('malformed-request', 'no exchange in progress');
          else run(decode(element.text()));
          return;
        case 'abort':
          failure('aborted');
          return;
        default:
          failure('malformed-request');
      }
    },
  };
}

function encode(data: string): string {
  return data === '' ? '=' : Buffer.from(data, 'utf8').toString('base64');
}

/** undefined when the text is not base64 (RFC 6120 §6.5.2 incorrect-encoding). */
function decode(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}
