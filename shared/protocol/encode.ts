/** Encoding: every message leaves as strict JSON, whatever syntax the sender used. */
import { MAX_BATCH, MAX_WORKER_BODY } from './limits.ts';
import type { UserReply, UserRequest } from './user.ts';
import type { ManagerMessage, WorkerMessage } from './worker.ts';

export type Message = UserRequest | UserReply | WorkerMessage | ManagerMessage;

export function encodeMessage(message: Message): string {
  return JSON.stringify(message);
}

/** An item that cannot fit one body even alone; validated items never do. */
export class MessageTooLargeError extends Error {
  readonly code = 'too_large';

  constructor(message: string) {
    super(message);
    this.name = 'MessageTooLargeError';
  }
}

const utf8 = new TextEncoder();
const byteLength = (text: string): number => utf8.encode(text).length;

/**
 * Encodes a list as few `tasks`/`task_results`/`cancel_tasks`/`ack` bodies as possible, each
 * holding at most MAX_BATCH items and at most `maxBytes` UTF-8 bytes, so no stanza outgrows the
 * server's limit (1000 results with full 4 KiB tails would be 8 MB). Items keep their order.
 */
export function encodeBatches<T>(
  items: readonly T[],
  wrap: (batch: T[]) => WorkerMessage | ManagerMessage,
  maxBytes = MAX_WORKER_BODY,
): string[] {
  const bodies: string[] = [];
  const envelope = byteLength(encodeMessage(wrap([])));
  let batch: T[] = [];
  let size = envelope;
  for (const item of items) {
    // One more byte than needed for all but one item: room for the separating comma.
    const cost = byteLength(JSON.stringify(item)) + 1;
    if (envelope + cost > maxBytes) {
      throw new MessageTooLargeError(`one item needs ${cost} bytes; a body may hold ${maxBytes}`);
    }
    if (batch.length === MAX_BATCH || size + cost > maxBytes) {
      bodies.push(encodeMessage(wrap(batch)));
      batch = [];
      size = envelope;
    }
    batch.push(item);
    size += cost;
  }
  if (batch.length > 0) bodies.push(encodeMessage(wrap(batch)));
  return bodies;
}
