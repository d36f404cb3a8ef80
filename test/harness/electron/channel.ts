// The main process's end of the harness channel (wire.ts): send, and listen by message type.
import type { FromMain, ToMain } from './wire.ts';

type Listener<T extends ToMain['type']> = (message: Extract<ToMain, { type: T }>) => void;
const listeners = new Map<string, ((message: ToMain) => void)[]>();

if (process.send === undefined)
  throw new Error('the fake electron runs only as a child of the harness (test/harness/electron)');

process.on('message', (message: ToMain) => {
  for (const listener of listeners.get(message.type) ?? []) listener(message);
});

export function send(message: FromMain): void {
  process.send?.(message);
}

export function listen<T extends ToMain['type']>(type: T, listener: Listener<T>): void {
  const any = listener as unknown as (message: ToMain) => void;
  listeners.set(type, [...(listeners.get(type) ?? []), any]);
}
