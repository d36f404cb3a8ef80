import { API_METHODS, type ApiHandlers } from '../../shared/api.ts';
import { ApiFailure } from './errors.ts';

/**
 * Handlers that exist only once something has started (the desktop app's head node): every call
 * waits for them, and fails with the start's own error when it failed, so a window opened early
 * shows "connecting" and then the views, or why not.
 */
export function deferHandlers(ready: Promise<ApiHandlers>): ApiHandlers {
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of API_METHODS) {
    out[method] = async (...args) => {
      let handlers: ApiHandlers;
      try {
        handlers = await ready;
      } catch (error) {
        throw new ApiFailure('unavailable', (error as Error).message);
      }
      const handler = handlers[method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
      if (handler === undefined)
        throw new ApiFailure('unavailable', `${method} is not offered here`);
      return handler(...args);
    };
  }
  return out as ApiHandlers;
}
