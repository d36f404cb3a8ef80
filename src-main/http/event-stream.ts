import type { ServerResponse } from 'node:http';
import type { ApiEvent, ApiEvents } from '../../shared/api.ts';
import { securityHeaders } from './static-files.ts';

/**
 * Server-sent events (HTML Living Standard §9.2) on `GET /api/events`, read by the page with
 * fetch() streaming so the token can travel in the Authorization header (EventSource cannot send
 * headers). Each event is `event: NAME` + one `data:` line of JSON. A comment line every
 * `heartbeatMs` keeps proxies and the client's stall detection from dropping an idle stream.
 */

export interface EventStreams {
  /** Takes over the response; returns false when too many streams are open already. */
  open(res: ServerResponse, initial: readonly [ApiEvent, unknown][]): boolean;
  send<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void;
  readonly size: number;
  closeAll(): void;
}

export function frame(event: string, payload: unknown): string {
  // JSON never contains a raw newline, so one data line carries it whole.
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export function createEventStreams(
  options: {
    max?: number;
    heartbeatMs?: number;
    /** The first stream opened / the last one closed: listen to the side's events only meanwhile. */
    onFirst?: () => void;
    onEmpty?: () => void;
  } = {},
): EventStreams {
  const max = options.max ?? 32;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const streams = new Set<ServerResponse>();
  let heartbeat: NodeJS.Timeout | undefined;

  function drop(res: ServerResponse): void {
    if (!streams.delete(res) || streams.size > 0) return;
    clearInterval(heartbeat);
    heartbeat = undefined;
    options.onEmpty?.();
  }

  return {
    open(res, initial) {
      if (streams.size >= max) return false;
      res.writeHead(200, {
        ...securityHeaders(),
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': kestrel events\n\n');
      for (const [event, payload] of initial) res.write(frame(event, payload));
      streams.add(res);
      if (streams.size === 1) options.onFirst?.();
      res.on('close', () => drop(res));
      heartbeat ??= setInterval(() => {
        for (const s of streams) s.write(': keepalive\n\n');
      }, heartbeatMs);
      return true;
    },
    send(event, payload) {
      if (streams.size === 0) return;
      const text = frame(event, payload);
      for (const s of streams) s.write(text);
    },
    get size() {
      return streams.size;
    },
    closeAll() {
      for (const s of [...streams]) {
        s.end();
        drop(s);
      }
    },
  };
}
