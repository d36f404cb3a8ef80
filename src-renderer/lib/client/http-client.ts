import {
  ApiCallError,
  type ApiArgs,
  type ApiEvent,
  type ApiEvents,
  type ApiMethod,
  type ApiReply,
  type ApiResult,
  type KestrelClient,
} from '../../../shared/api.ts';
import { createSseParser } from './sse.ts';

/**
 * KestrelClient over the head node's HTTP API: `POST api/AREA/VERB` with the arguments as a JSON
 * list, the token in the Authorization header, the reply envelope back. Events come from one
 * `GET api/events` stream read with fetch (EventSource cannot send the header), opened on the
 * first `on()` and reopened with backoff whenever it drops; `app:connection` tells the views.
 */

export interface HttpClientOptions {
  /** The page's URL: API paths are relative to it (the build uses base './'). */
  base: string;
  token: string | undefined;
  fetch?: typeof fetch;
  /** Backoff between reconnects of the event stream. */
  retryMs?: { min: number; max: number };
}

type Listener = (payload: unknown) => void;

export function createHttpClient(options: HttpClientOptions): KestrelClient & { close(): void } {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const retry = options.retryMs ?? { min: 500, max: 10_000 };
  const listeners = new Map<string, Set<Listener>>();
  const abort = new AbortController();
  let streaming = false;
  const headers = (): Record<string, string> =>
    options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` };
  const url = (path: string) => new URL(path, options.base).toString();

  function emit(event: string, payload: unknown): void {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  }

  async function call<M extends ApiMethod>(method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>> {
    const [area, verb] = method.split(':');
    let response: Response;
    try {
      response = await doFetch(url(`api/${area}/${verb}`), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers() },
        body: JSON.stringify(args),
        signal: abort.signal,
      });
    } catch (error) {
      throw new ApiCallError({
        code: 'unreachable',
        message: `the head node does not answer (${(error as Error).message})`,
      });
    }
    let reply: ApiReply<ApiResult<M>>;
    try {
      reply = (await response.json()) as ApiReply<ApiResult<M>>;
    } catch {
      throw new ApiCallError({
        code: 'bad_reply',
        message: `the head node answered ${response.status} without a Kestrel reply`,
      });
    }
    if (reply.ok) return reply.result;
    throw new ApiCallError(reply.error);
  }

  async function readStream(): Promise<void> {
    let delay = retry.min;
    while (!abort.signal.aborted) {
      try {
        const response = await doFetch(url('api/events'), {
          headers: headers(),
          signal: abort.signal,
        });
        if (!response.ok || response.body === null) {
          const reply = (await response.json().catch(() => undefined)) as
            ApiReply<never> | undefined;
          throw new Error(reply && !reply.ok ? reply.error.message : `HTTP ${response.status}`);
        }
        emit('app:connection', { online: true });
        delay = retry.min;
        const parser = createSseParser();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const e of parser.push(value)) emit(e.event, JSON.parse(e.data));
        }
        throw new Error('the head node closed the event stream');
      } catch (error) {
        if (abort.signal.aborted) return;
        emit('app:connection', { online: false, message: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, retry.max);
      }
    }
  }

  return {
    call,
    on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void) {
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      set.add(listener as Listener);
      if (!streaming) {
        streaming = true;
        void readStream();
      }
      return () => set.delete(listener as Listener);
    },
    close: () => abort.abort(),
  };
}
