// SASL on the wire (RFC 6120 §6.4): <auth/>, <challenge/>, <response/>, <success/>,
// <failure/> and <abort/>, base64 in both directions. The message that decides a login goes
// through the throttle first: during a lockout it is refused with temporary-auth-failure
// (§6.5.10) unchecked; otherwise its verdict, success or not, is answered as late as the
// throttle says. The stream is closed after a few failures, as §6.4.5 allows.
import { xml, type Element } from '@xmpp/xml';

import type { AuthThrottle, Verdict } from './auth-throttle.ts';
import { NS_SASL } from './namespaces.ts';
import type { SaslExchange, SaslFailure, SaslOutcome, SaslService, SaslStep } from './sasl.ts';

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
  /** An attempt refused because of a lockout. */
  onLocked?: () => void;
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

  /** A failure that counts against the stream's limit (§6.4.5). */
  function counted(condition: SaslFailure, text?: string): void {
    failures++;
    failure(condition, text);
    if (failures >= options.maxFailures) host.tooManyFailures();
  }

  function apply(step: SaslStep | SaslOutcome): void {
    if (!host.open) return;
    if (step.kind === 'challenge') {
      host.send(xml('challenge', { xmlns: NS_SASL }, encode(step.data)));
      return;
    }
    if (step.kind === 'verdict') {
      judge(step);
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
    counted('not-authorized');
  }

  /** The throttle decides whether and when the credentials are checked and answered. */
  function judge(step: Extract<SaslStep, { kind: 'verdict' }>): void {
    busy = true;
    exchange = undefined;
    throttle.attempt(step.username, host.remoteAddress, step.decide, verdictOf).then(
      (result) => {
        if (result.locked) {
          busy = false;
          options.onLocked?.();
          if (!host.open) return;
          const seconds = Math.ceil(result.retryAfterMs / 1000);
          counted('temporary-auth-failure', `too many failed logins: try again in ${seconds} s`);
          return;
        }
        // Counted when decided, also for a client that did not wait for the answer.
        if (verdictOf(result.outcome) === 'denied') options.onFailure?.();
        const answer = () => {
          busy = false;
          apply(result.outcome);
        };
        if (result.delayMs === 0) answer();
        else setTimeout(answer, result.delayMs).unref();
      },
      () => {
        busy = false;
        if (host.open) failure('malformed-request');
      },
    );
  }

  function run(message: string | undefined): void {
    if (exchange === undefined) return;
    if (message === undefined) {
      failure('incorrect-encoding');
      return;
    }
    let step: SaslStep;
    try {
      step = exchange.step(message);
    } catch {
      failure('malformed-request');
      return;
    }
    apply(step);
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

function verdictOf(outcome: SaslOutcome): Verdict {
  if (outcome.kind === 'success') return 'granted';
  return outcome.condition === 'not-authorized' ? 'denied' : 'void';
}
