// Type declarations for the parts of xmpp.js 0.14 (plain JavaScript, no bundled types) that
// src-main/xmpp composes. Only what we call is declared; see node_modules/@xmpp/* for the rest.

declare module '@xmpp/xml' {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    append(child: Element | string): Element;
    toString(): string;
  }
  type Child = Element | string | null | undefined | false | Child[];
  export function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: Child[]
  ): Element;
  export class Parser {
    write(data: string): void;
    on(event: 'element' | 'start' | 'end', listener: (element: Element) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
  }
}

declare module '@xmpp/jid' {
  export class JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
  }
}

declare module '@xmpp/client-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';

  export interface ClientOptions {
    service: string;
    domain: string;
    timeout?: number;
  }
  /** A socket as xmpp.js wraps it: a net.Socket subclass, or a TLS wrapper holding one. */
  export interface XmppSocket {
    secure: boolean;
    socket?: unknown;
    once(event: 'close', listener: () => void): unknown;
    end(): void;
  }
  export class Client extends EventEmitter {
    constructor(options: ClientOptions);
    jid: JID | null;
    status: string;
    socket: XmppSocket | null;
    /** The XML parser of the current stream; null between streams. */
    parser: object | null;
    options: ClientOptions;
    timeout: number;
    isSecure(): boolean;
    start(): Promise<JID>;
    stop(): Promise<unknown>;
    /** Closes the stream, then the socket (replaced in src-main/xmpp/disconnect.ts). */
    disconnect: () => Promise<unknown>;
    /** Writes </stream:stream> and waits up to `timeout` for the peer's. */
    _closeStream(): Promise<unknown>;
    _detachParser(): void;
    _status(status: string): void;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeoutMs?: number): Promise<Element>;
    restart(): Promise<void>;
    _attachSocket(socket: XmppSocket): void;
  }
  /** With one argument: parses a JID string (`local@domain/resource`). */
  export function jid(local: string, domain?: string, resource?: string): JID;
}

declare module '@xmpp/reconnect' {
  import type { EventEmitter } from 'node:events';
  import type { Client } from '@xmpp/client-core';
  export interface Reconnect extends EventEmitter {
    delay: number;
    start(): void;
    stop(): void;
  }
  export default function reconnect(deps: { entity: Client }): Reconnect;
}

declare module '@xmpp/tcp' {
  import type { Client } from '@xmpp/client-core';
  export default function tcp(deps: { entity: Client }): void;
}

declare module '@xmpp/tls' {
  import type { Client } from '@xmpp/client-core';
  export default function tls(deps: { entity: Client }): void;
}

declare module '@xmpp/middleware' {
  import type { Client } from '@xmpp/client-core';
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  export interface IncomingContext {
    stanza: Element;
    entity: Client;
    name: string;
    type: string;
    id: string;
    from: JID | null;
    element?: Element;
  }
  export type Next = () => Promise<unknown>;
  export type Handler = (ctx: IncomingContext, next: Next) => unknown;
  export interface Middleware {
    use(handler: Handler): Handler;
  }
  export default function middleware(deps: { entity: Client }): Middleware;
}

declare module '@xmpp/stream-features' {
  import type { Middleware } from '@xmpp/middleware';
  export interface StreamFeatures {
    use(
      name: string,
      xmlns: string,
      handler: (
        context: { entity: import('@xmpp/client-core').Client },
        next: () => Promise<void>,
      ) => Promise<void>,
    ): void;
  }
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Client } from '@xmpp/client-core';
  import type { Middleware } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface IqCaller {
    request(stanza: Element, timeoutMs?: number): Promise<Element>;
    get(element: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
    set(element: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
  }
  export default function iqCaller(deps: { middleware: Middleware; entity: Client }): IqCaller;
}

declare module '@xmpp/iq/callee.js' {
  import type { Client } from '@xmpp/client-core';
  import type { Middleware, IncomingContext } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  /** A handler returns a child element, any other truthy value (empty result) or an error. */
  export type IqHandler = (ctx: IncomingContext) => Element | object | undefined;
  export interface IqCallee {
    get(xmlns: string, name: string, handler: IqHandler): void;
    set(xmlns: string, name: string, handler: IqHandler): void;
  }
  export default function iqCallee(deps: { middleware: Middleware; entity: Client }): IqCallee;
}

declare module '@xmpp/starttls' {
  import type { StreamFeatures } from '@xmpp/stream-features';
  export default function starttls(deps: { streamFeatures: StreamFeatures }): void;
}

declare module '@xmpp/starttls/starttls.js' {
  import type { XmppSocket } from '@xmpp/client-core';
  export function canUpgrade(socket: XmppSocket | null): boolean;
  export function upgrade(
    socket: XmppSocket | null,
    options: import('node:tls').ConnectionOptions,
  ): Promise<XmppSocket>;
}

declare module 'saslmechanisms' {
  export interface MechanismClass {
    new (): {
      name: string;
      clientFirst: boolean;
      response(credentials: object): string | Promise<string>;
      challenge(data: string): unknown;
    };
  }
  export type Mechanism = InstanceType<MechanismClass>;
  export default class Factory {
    use(mechanism: MechanismClass): this;
    create(names: string[]): Mechanism | null;
  }
}

declare module '@xmpp/sasl' {
  import type { Client } from '@xmpp/client-core';
  import type { StreamFeatures } from '@xmpp/stream-features';
  import type Factory from 'saslmechanisms';
  /** Runs one SASL exchange (RFC 6120 §6.4) with the named mechanism. */
  export type Authenticate = (credentials: object, mechanism: string) => Promise<void>;
  /** Called with the mechanisms both sides support, in the factory's priority order. */
  export type OnAuthenticate = (
    authenticate: Authenticate,
    mechanisms: string[],
    fast: null,
    entity: Client,
  ) => Promise<void>;
  export default function sasl(
    deps: { streamFeatures: StreamFeatures; saslFactory: Factory },
    onAuthenticate: OnAuthenticate,
  ): void;
}

declare module '@xmpp/resource-binding' {
  import type { StreamFeatures } from '@xmpp/stream-features';
  import type { IqCaller } from '@xmpp/iq/caller.js';
  export default function resourceBinding(
    deps: { streamFeatures: StreamFeatures; iqCaller: IqCaller },
    resource?: string,
  ): void;
}
