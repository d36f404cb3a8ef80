/**
 * Encoding: every message leaves as strict JSON, whatever syntax the sender used, and no body
 * outgrows what a server accepts in one stanza. Every party sends through these two functions.
 */
import { MAX_BATCH, MAX_WORKER_BODY } from './limits.ts';
import type { UserReply, UserRequest } from './user.ts';
import type { ManagerMessage, WorkerMessage } from './worker.ts';

export type Message = UserRequest | UserReply | WorkerMessage | ManagerMessage;

/** A message, or an item of a batch, that cannot fit one body; validated items never do. */
export class MessageTooLargeError extends Error {
  readonly code = 'too_large';

  constructor(message: string) {
    super(message);
    this.name = 'MessageTooLargeError';
  }
}

/**
 * The bytes `text` takes on the wire as the text of a `<body>`: UTF-8 (RFC 6120 §11.6), with `&`,
 * `<` and `>` escaped as `&amp;`, `&lt;`, `&gt;` (XML 1.0 §2.4; what our serializer escapes in
 * text). Servers limit stanzas in these bytes: a body of 131 072 `&` characters is 655 360 bytes.
 * One pass, no allocation: it runs for every task dispatched.
 */
export function wireBytes(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0x26) bytes += 4;
      else if (c === 0x3c || c === 0x3e) bytes += 3;
    } else if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      // A surrogate pair: two UTF-16 units, four UTF-8 bytes. (A lone surrogate becomes U+FFFD.)
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) i += 1;
      bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/** Encodes one message; throws MessageTooLargeError if its body would exceed `maxBytes`. */
export function encodeMessage(message: Message, maxBytes = MAX_WORKER_BODY): string {
  const body = JSON.stringify(message);
  const bytes = wireBytes(body);
  if (bytes > maxBytes) {
    throw new MessageTooLargeError(
      `a '${message.type}' body of ${bytes} bytes exceeds the limit of ${maxBytes}`,
    );
  }
  return body;
}

// Stands for the batch in the encoded envelope; JSON cannot produce it from anything else.
const SLOT = '\u0000kestrel-batch\u0000';
const SLOT_JSON = `[${JSON.stringify(SLOT)}]`;

/**
 * Encodes a list as few `tasks`/`task_results`/`cancel_tasks`/`ack` bodies as possible, each
 * holding at most MAX_BATCH items and at most `maxBytes` wire bytes (see wireBytes), so no stanza
 * outgrows the server's limit (1000 results with full 4 KiB tails would be 8 MB). Items keep
 * their order. Each item is stringified once: the body is the envelope around the items' JSON
 * joined by commas, exactly what JSON.stringify of the whole message would give.
 */
export function encodeBatches<T>(
  items: readonly T[],
  wrap: (batch: T[]) => WorkerMessage | ManagerMessage,
  maxBytes = MAX_WORKER_BODY,
): string[] {
  if (items.length === 0) return [];
  const envelope = JSON.stringify(wrap([SLOT as T]));
  const at = envelope.indexOf(SLOT_JSON);
  const head = `${envelope.slice(0, at)}[`;
  const tail = `]${envelope.slice(at + SLOT_JSON.length)}`;
  const fixed = wireBytes(head) + wireBytes(tail);
  const bodies: string[] = [];
  let batch: string[] = [];
  let size = fixed;
  for (const item of items) {
    const json = JSON.stringify(item);
    // One more byte than needed for all but one item: room for the separating comma.
    const cost = wireBytes(json) + 1;
    if (fixed + cost > maxBytes) {
      throw new MessageTooLargeError(`one item needs ${cost} bytes; a body may hold ${maxBytes}`);
    }
    if (batch.length === MAX_BATCH || size + cost > maxBytes) {
      bodies.push(head + batch.join(',') + tail);
      batch = [];
      size = fixed;
    }
    batch.push(json);
    size += cost;
  }
  if (batch.length > 0) bodies.push(head + batch.join(',') + tail);
  return bodies;
}
