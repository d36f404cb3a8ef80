/**
 * An incremental parser for server-sent events (HTML Living Standard §9.2.6, the subset the head
 * node sends: `event:` and `data:` lines, comments, blank-line dispatch). Chunks may split lines
 * anywhere; `push` returns the events completed so far.
 */

export interface SseEvent {
  event: string;
  data: string;
}

export function createSseParser(): { push(chunk: string): SseEvent[] } {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  return {
    push(chunk) {
      buffer += chunk;
      const out: SseEvent[] = [];
      let newline = buffer.search(/\r\n|\r|\n/);
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      while (newline !== -1 && !(buffer[newline] === '\r' && newline === buffer.length - 1)) {
        const line = buffer.slice(0, newline);
        const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
        buffer = buffer.slice(newline + width);
        if (line === '') {
          if (data.length > 0) out.push({ event: event || 'message', data: data.join('\n') });
          event = '';
          data = [];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          let value = colon === -1 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        newline = buffer.search(/\r\n|\r|\n/);
      }
      return out;
    },
  };
}
