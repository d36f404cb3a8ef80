import {
  API_METHODS,
  type ApiError,
  type ApiHandlers,
  type ApiMethod,
  type ApiReply,
} from '../../shared/api.ts';
import { parseArgs } from '../../shared/api-schemas.ts';
import type { Logger } from '../common/log.ts';
import { ApiFailure } from './errors.ts';

/**
 * One call as any transport receives it (a method name and arguments of unknown shape) to its
 * reply envelope: the method must exist, this side must serve it, and the arguments must pass
 * shared/api-schemas.ts before a handler sees them. Never throws.
 */

const METHODS: ReadonlySet<string> = new Set(API_METHODS);

export function isApiMethod(name: string): name is ApiMethod {
  return METHODS.has(name);
}

function refusal(code: string, message: string): ApiReply<never> {
  return { ok: false, error: { code, message } };
}

function toApiError(error: unknown, method: string, log: Logger): ApiError {
  if (error instanceof ApiFailure) return { code: error.code, message: error.message };
  // Anything else is our bug or a failing store: logged here, and the caller told so.
  log.error('api call failed', { method, error: String(error) });
  return { code: 'internal', message: `${method} failed inside Kestrel; the error was logged` };
}

export async function dispatch(
  handlers: ApiHandlers,
  method: string,
  args: unknown,
  log: Logger,
): Promise<ApiReply<unknown>> {
  if (!isApiMethod(method)) return refusal('unknown_method', `no method ${method}`);
  const handler = handlers[method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
  if (handler === undefined)
    return refusal(
      'unavailable',
      `${method} is not offered here (${method.split(':')[0]} needs another side of Kestrel)`,
    );
  const parsed = parseArgs(method, args);
  if (!parsed.ok) return refusal(parsed.error.code, parsed.error.reason);
  try {
    return { ok: true, result: await handler(...(parsed.message as unknown[])) };
  } catch (error) {
    return { ok: false, error: toApiError(error, method, log) };
  }
}
