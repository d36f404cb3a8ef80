// The incoming half of an XML stream (RFC 6120 §4): bytes in, one event per stream header,
// per complete top-level element and per stream end. saxes checks well-formedness; on top of
// it we refuse what RFC 6120 §11.1 restricts (comments, processing instructions, DTDs, entity
// references beyond the predefined ones), non-UTF-8 input (§11.6), and stanzas larger or
// deeper than configured, so one client cannot make the server buffer without bound.
import { SaxesParser, type SaxesTagNS, type XMLDecl } from 'saxes';
import { Element } from '@xmpp/xml';

import type { StreamErrorCondition } from './errors.ts';

export interface StreamHeader {
  /** Local name and namespace of the root element ('stream', NS_STREAMS when valid). */
  local: string;
  uri: string;
  /** The attributes as written (to, from, version, xml:lang, namespace declarations). */
  attrs: Record<string, string>;
  /** The default namespace the header declares (the content namespace, 'jabber:client'). */
  defaultNs: string | undefined;
}

export interface XmlStreamEvents {
  streamStart(header: StreamHeader): void;
  /** A complete first-level child of the stream: a stanza or a negotiation element. */
  element(element: Element, local: string, uri: string): void;
  streamEnd(): void;
  /** Called once; the stream delivers nothing more until reset(). */
  error(condition: StreamErrorCondition, text: string): void;
}

export interface XmlStreamOptions {
  maxStanzaBytes: number;
  /** Nesting limit below the stream element; deep trees would overflow serialisers. */
  maxDepth?: number;
}

export interface XmlStream {
  write(data: Buffer): void;
  /** Starts a new stream (RFC 6120 §4.3.3 restart): the rest of the current chunk is dropped. */
  reset(): void;
}

const DEFAULT_MAX_DEPTH = 64;

/** Thrown from saxes callbacks to abandon the rest of a chunk (one instance: no stack traces). */
class Abandon extends Error {}
const ABANDON = new Abandon('abandoned');

export function createXmlStream(events: XmlStreamEvents, options: XmlStreamOptions): XmlStream {
  const { maxStanzaBytes } = options;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  let current = open();

  function open() {
    const state = {
      parser: new SaxesParser({ xmlns: true, defaultXMLVersion: '1.0', forceXMLVersion: true }),
      decoder: new TextDecoder('utf-8', { fatal: true }),
      stack: [] as Element[],
      depth: 0,
      done: false,
      /** Namespace prefixes declared on the stream header, other than 'stream'. */
      rootPrefixes: [] as [string, string][],
      // Byte accounting: saxes reports positions in UTF-16 units within our decoded text.
      chunk: '',
      chunkStart: 0,
      charsFed: 0,
      cursorIndex: 0,
      cursorBytes: 0,
      bytesFed: 0,
      stanzaStartBytes: 0,
      boundaryBytes: 0,
    };
    const { parser } = state;

    const fail = (condition: StreamErrorCondition, text: string): never => {
      if (!state.done) {
        state.done = true;
        events.error(condition, text);
      }
      throw ABANDON;
    };
    const guard = () => {
      if (state.done || current.state !== state) throw ABANDON;
    };
    // A completed element is handed out at the next parser event, not at its closing tag:
    // saxes reports a mismatched closing tag (<a></b>) only after closing the open element.
    let pending: [Element, string, string] | undefined;
    const deliver = () => {
      const element = pending;
      pending = undefined;
      if (element) events.element(...element);
    };
    /** At every parser event: stop if the stream is over, else hand out what is complete. */
    const enter = () => {
      guard();
      if (pending) {
        deliver();
        guard();
      }
    };
    const bytesAt = (position: number): number => {
      const index = position - state.chunkStart;
      if (index > state.cursorIndex) {
        state.cursorBytes += Buffer.byteLength(state.chunk.slice(state.cursorIndex, index));
        state.cursorIndex = index;
      }
      return state.cursorBytes;
    };

    parser.on('xmldecl', (decl: XMLDecl) => {
      enter();
      if (decl.encoding !== undefined && decl.encoding.toLowerCase() !== 'utf-8') {
        fail('unsupported-encoding', `encoding ${decl.encoding}: only UTF-8 is allowed`);
      }
    });
    const restricted = (what: string) => () => {
      enter();
      fail('restricted-xml', `${what} are not allowed`);
    };
    parser.on('doctype', restricted('DTDs'));
    parser.on('comment', restricted('comments'));
    parser.on('processinginstruction', restricted('processing instructions'));
    parser.on('error', (error: Error) => {
      guard();
      if (/close tag|closing tag/.test(error.message)) pending = undefined;
      else enter();
      // RFC 6120 §11.1: only the predefined entities may be referenced.
      if (/undefined entity|doctype/i.test(error.message)) fail('restricted-xml', error.message);
      fail('not-well-formed', error.message);
    });
    parser.on('opentagstart', (tag) => {
      enter();
      if (state.depth === 1) {
        state.stanzaStartBytes = bytesAt(parser.position - tag.name.length - 1);
      } else if (state.depth > maxDepth) {
        fail('policy-violation', `elements nested deeper than ${maxDepth}`);
      }
    });
    parser.on('opentag', (tag: SaxesTagNS) => {
      enter();
      const attrs: Record<string, string> = {};
      for (const name in tag.attributes) attrs[name] = tag.attributes[name]?.value ?? '';
      if (state.depth === 0) {
        for (const [prefix, uri] of Object.entries(tag.ns)) {
          if (prefix !== '' && prefix !== 'stream') state.rootPrefixes.push([prefix, uri]);
        }
        state.depth = 1;
        events.streamStart({ local: tag.local, uri: tag.uri, attrs, defaultNs: tag.ns[''] });
        return;
      }
      if (state.depth === 1) {
        // Prefixes bound on the stream header mean nothing in another stream: carry them.
        for (const [prefix, uri] of state.rootPrefixes) attrs[`xmlns:${prefix}`] ??= uri;
      }
      const element = new Element(tag.name, attrs);
      state.stack.at(-1)?.append(element);
      state.stack.push(element);
      state.depth++;
    });
    parser.on('text', (text: string) => {
      enter();
      const top = state.stack.at(-1);
      if (top) top.children.push(text);
      else if (state.depth === 1 && text.trim() !== '') fail('bad-format', 'text between stanzas');
    });
    parser.on('cdata', (text: string) => {
      enter();
      const top = state.stack.at(-1);
      if (top) top.children.push(text);
      else fail('bad-format', 'text between stanzas');
    });
    parser.on('closetag', (tag: SaxesTagNS) => {
      enter();
      state.depth--;
      if (state.depth === 0) {
        state.done = true;
        events.streamEnd();
        return;
      }
      const element = state.stack.pop();
      if (state.depth > 1 || element === undefined) return;
      const end = bytesAt(parser.position);
      if (end - state.stanzaStartBytes > maxStanzaBytes) {
        fail('policy-violation', `stanza larger than ${maxStanzaBytes} bytes`);
      }
      state.boundaryBytes = end;
      pending = [element, tag.local, tag.uri];
    });

    function write(data: Buffer): void {
      if (state.done) return;
      let text: string;
      try {
        text = state.decoder.decode(data, { stream: true });
      } catch {
        fail('unsupported-encoding', 'the stream is not valid UTF-8');
        return;
      }
      state.chunk = text;
      // saxes' position is only right during a write(): count characters ourselves.
      state.chunkStart = state.charsFed;
      state.charsFed += text.length;
      state.cursorIndex = 0;
      state.cursorBytes = state.bytesFed;
      state.bytesFed += Buffer.byteLength(text);
      parser.write(text);
      enter();
      // Between stanzas only whitespace may come; inside one, at most the stanza limit.
      const buffered =
        state.bytesFed - (state.depth > 1 ? state.stanzaStartBytes : state.boundaryBytes);
      if (buffered > maxStanzaBytes) {
        fail('policy-violation', `stanza larger than ${maxStanzaBytes} bytes`);
      }
    }
    return { state, write };
  }

  return {
    write(data) {
      const stream = current;
      try {
        stream.write(data);
      } catch (error) {
        if (error !== ABANDON) throw error;
      }
    },
    reset() {
      current = open();
    },
  };
}
