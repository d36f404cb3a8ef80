import { describe, expect, it } from 'vitest';

import type { StreamErrorCondition } from '../../../../src-main/server/errors.ts';
import { createXmlStream, type StreamHeader } from '../../../../src-main/server/xml-stream.ts';

const HEADER =
  "<?xml version='1.0'?><stream:stream to='kestrel.test' version='1.0' xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams'>";

function record(maxStanzaBytes = 10_000, onElement?: (local: string) => void) {
  const seen = {
    headers: [] as StreamHeader[],
    elements: [] as string[],
    locals: [] as string[],
    ended: false,
    errors: [] as [StreamErrorCondition, string][],
  };
  const stream = createXmlStream(
    {
      streamStart: (header) => seen.headers.push(header),
      element: (element, local, uri) => {
        seen.elements.push(element.toString());
        seen.locals.push(`${uri} ${local}`);
        onElement?.(local);
      },
      streamEnd: () => (seen.ended = true),
      error: (condition, text) => seen.errors.push([condition, text]),
    },
    { maxStanzaBytes },
  );
  const write = (...chunks: (string | Buffer)[]) => {
    for (const chunk of chunks) stream.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  };
  return { seen, stream, write };
}

describe('XML stream parser', () => {
  it('reports the header, each top-level element and the end', () => {
    const { seen, write } = record();
    write(
      HEADER,
      "  <message to='a@b'><body>1 &lt; 2 &amp; &#x263A;</body></message>",
      '<iq/>',
      '</stream:stream>',
    );
    expect(seen.headers[0]).toMatchObject({
      local: 'stream',
      uri: 'http://etherx.jabber.org/streams',
      defaultNs: 'jabber:client',
      attrs: { to: 'kestrel.test', version: '1.0' },
    });
    expect(seen.elements).toEqual([
      '<message to="a@b"><body>1 &lt; 2 &amp; ☺</body></message>',
      '<iq/>',
    ]);
    expect(seen.locals).toEqual(['jabber:client message', 'jabber:client iq']);
    expect(seen.ended).toBe(true);
    expect(seen.errors).toEqual([]);
  });

  it('assembles elements split anywhere, even inside a UTF-8 sequence', () => {
    const { seen, write } = record();
    const bytes = Buffer.from(`${HEADER}<message><body>héllo ✓</body></message>`);
    for (let i = 0; i < bytes.length; i += 3) write(bytes.subarray(i, i + 3));
    expect(seen.elements).toEqual(['<message><body>héllo ✓</body></message>']);
  });

  it('carries prefixes declared on the stream header into the element', () => {
    const { seen, write } = record();
    write(HEADER.replace("'>", "' xmlns:k='urn:k'>"), '<message><k:x/></message>');
    expect(seen.elements).toEqual(['<message xmlns:k="urn:k"><k:x/></message>']);
  });

  it.each([
    ['a comment', '<!-- hi -->', 'restricted-xml'],
    ['a processing instruction', "<?php echo 'x' ?>", 'restricted-xml'],
    ['an entity other than the predefined five', '<message>&lol9;</message>', 'restricted-xml'],
    ['mismatched tags', '<message></iq>', 'not-well-formed'],
    ['an unquoted attribute', '<message to=x/>', 'not-well-formed'],
    ['a control character', '<message>\u0001</message>', 'not-well-formed'],
    ['an unbound prefix', '<x:message/>', 'not-well-formed'],
    ['text between stanzas', 'hello', 'bad-format'],
  ])('refuses %s', (_what, input, condition) => {
    const { seen, write } = record();
    write(HEADER, input, '<iq/>');
    expect(seen.errors.map(([c]) => c)).toEqual([condition]);
    expect(seen.elements).toEqual([]);
  });

  it('refuses a DTD before the stream (an XML bomb) without expanding anything', () => {
    const { seen, write } = record();
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>';
    write(bomb, HEADER.replace("<?xml version='1.0'?>", ''), '<message>&lol2;</message>');
    expect(seen.errors.map(([c]) => c)).toEqual(['restricted-xml']);
    expect(seen.headers).toEqual([]);
  });

  it('refuses non-UTF-8 input and other declared encodings', () => {
    const bad = record();
    bad.write(HEADER, Buffer.from([0x3c, 0x61, 0xff, 0x3e]));
    expect(bad.seen.errors.map(([c]) => c)).toEqual(['unsupported-encoding']);
    const latin = record();
    latin.write("<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream/>");
    expect(latin.seen.errors.map(([c]) => c)).toEqual(['unsupported-encoding']);
  });

  it('refuses a stanza over the limit, whole or still arriving', () => {
    const whole = record(10_000);
    whole.write(HEADER, `<message><body>${'x'.repeat(10_000)}</body></message>`);
    expect(whole.seen.errors.map(([c]) => c)).toEqual(['policy-violation']);

    const trickle = record(10_000);
    trickle.write(HEADER, '<message><body>');
    for (let i = 0; i < 20; i++) trickle.write('y'.repeat(1_000));
    expect(trickle.seen.errors.map(([c]) => c)).toEqual(['policy-violation']);
    expect(trickle.seen.elements).toEqual([]);

    const spaces = record(10_000);
    spaces.write(HEADER, ' '.repeat(11_000));
    expect(spaces.seen.errors.map(([c]) => c)).toEqual(['policy-violation']);
  });

  it('counts bytes, not characters, and lets many small stanzas through', () => {
    const { seen, write } = record(10_000);
    const stanza = `<message><body>${'é'.repeat(2_000)}</body></message>`; // ~4 kB
    write(HEADER, stanza.repeat(10));
    expect(seen.elements).toHaveLength(10);
    const big = record(10_000);
    big.write(HEADER, `<message><body>${'é'.repeat(6_000)}</body></message>`); // 6 000 chars, 12 kB
    expect(big.seen.errors.map(([c]) => c)).toEqual(['policy-violation']);
  });

  it('refuses elements nested too deep', () => {
    const { seen, write } = record();
    write(HEADER, '<a>'.repeat(100));
    expect(seen.errors.map(([c]) => c)).toEqual(['policy-violation']);
  });

  it('reports one error, then nothing more', () => {
    const { seen, write } = record();
    write(HEADER, '<!-- a -->', '<iq/>', '<!-- b -->');
    expect(seen.errors).toHaveLength(1);
    expect(seen.elements).toEqual([]);
  });

  it('starts over on reset, dropping the rest of the chunk', () => {
    const recorder = record(10_000, (local) => {
      if (local === 'starttls') recorder.stream.reset();
    });
    const { seen, write } = recorder;
    write(HEADER);
    write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><iq/><!-- junk -->");
    write(HEADER, '<iq/>');
    expect(seen.elements).toEqual(['<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>', '<iq/>']);
    expect(seen.headers).toHaveLength(2);
    expect(seen.errors).toEqual([]);
  });
});
