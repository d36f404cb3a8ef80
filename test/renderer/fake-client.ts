// A KestrelClient for component tests: answers from handlers the test gives, records every call,
// and lets the test push events. (Components are units here; the real transports are tested in
// test/integration/head/ui-server.test.ts and end to end in test/e2e.)
import {
  ApiCallError,
  type ApiArgs,
  type ApiEvent,
  type ApiEvents,
  type ApiMethod,
  type ApiResult,
  type KestrelClient,
} from '../../shared/api.ts';

export type FakeHandlers = {
  [M in ApiMethod]?: (...args: ApiArgs<M>) => ApiResult<M> | Promise<ApiResult<M>>;
};

export interface FakeClient {
  readonly client: KestrelClient;
  readonly calls: { method: ApiMethod; args: unknown[] }[];
  callsOf(method: ApiMethod): unknown[][];
  emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void;
  /** Listeners currently registered for an event. */
  listeners(event: ApiEvent): number;
}

export function fakeClient(handlers: FakeHandlers): FakeClient {
  const calls: FakeClient['calls'] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const client: KestrelClient = {
    async call(method, ...args) {
      calls.push({ method, args });
      const handler = handlers[method] as ((...a: unknown[]) => unknown) | undefined;
      if (handler === undefined)
        throw new ApiCallError({ code: 'unavailable', message: `${method} is not offered here` });
      return (await handler(...args)) as ApiResult<typeof method>;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
  return {
    client,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    },
    listeners: (event) => listeners.get(event)?.size ?? 0,
  };
}

export const refuse = (code: string, message: string) => {
  throw new ApiCallError({ code, message });
};
