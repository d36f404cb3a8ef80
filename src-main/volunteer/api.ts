// The volunteer as the renderer's API (shared/api.ts): the `volunteer:*` methods and `app:info`
// as an ApiHandlers object, and its `volunteer:changed` pushes, so that a transport (the Electron
// shell's IPC through src-main/api/dispatch.ts, a test) only carries them. Arguments come from
// the renderer: each is checked (setSettings validates its patch; join and history their
// requests) before anything happens, and a bad one is a rejected promise with a code, never a
// throw. The volunteer's own refusals (a failed join, bad settings, not started yet) reach the
// renderer as ApiFailures with their codes; anything else is a bug the dispatcher logs.
import type {
  ApiEvents,
  ApiHandlers,
  JoinRequest,
  PageRequest,
  PauseMode,
} from '../../shared/api.ts';
import { ApiFailure } from '../api/errors.ts';
import { SettingsError } from '../common/preferences.ts';
import { JoinError } from '../worker/join.ts';
import { VolunteerError, type Volunteer } from './volunteer.ts';

export interface VolunteerApi {
  handlers: ApiHandlers;
  /** Calls `listener` with every `volunteer:changed` payload; returns the function that stops it. */
  onChanged(listener: (snapshot: ApiEvents['volunteer:changed']) => void): () => void;
}

/** A failure in the request itself, with the code the renderer shows as a bad field. */
export class ApiRequestError extends ApiFailure {
  override readonly name = 'ApiRequestError';
  constructor(message: string) {
    super('invalid_field', message);
  }
}

/** The volunteer's typed refusals, as the API's failures; anything else stays what it is. */
function refused(error: unknown): unknown {
  const known =
    error instanceof JoinError || error instanceof SettingsError || error instanceof VolunteerError;
  return known ? new ApiFailure(error.code, error.message) : error;
}

/** Each handler with the volunteer's refusals turned into ApiFailures. */
function withCodes(handlers: ApiHandlers): ApiHandlers {
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const call = handler as (...args: unknown[]) => Promise<unknown>;
    out[method] = async (...args) => {
      try {
        return await call(...args);
      } catch (error) {
        throw refused(error);
      }
    };
  }
  return out as ApiHandlers;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function pageRequest(value: unknown): PageRequest {
  if (value === undefined) return {};
  if (!isObject(value)) throw new ApiRequestError('the page request must be an object');
  const { after, limit } = value;
  if (after !== undefined && typeof after !== 'string')
    throw new ApiRequestError('after must be a string from a previous page');
  if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1))
    throw new ApiRequestError('limit must be a whole number of at least 1');
  return {
    ...(after === undefined ? {} : { after }),
    ...(limit === undefined ? {} : { limit: limit as number }),
  };
}

function joinRequest(value: unknown): JoinRequest {
  if (!isObject(value)) throw new ApiRequestError('the join request must be an object');
  if (typeof value.link === 'string') return { link: value.link };
  const { server, jid, password, manager, pin } = value;
  for (const [key, v] of Object.entries({ server, jid, password, manager }))
    if (typeof v !== 'string' || v === '')
      throw new ApiRequestError(`${key} is required: an invite link, or the whole account`);
  if (pin !== undefined && typeof pin !== 'string')
    throw new ApiRequestError('pin must be a string');
  return {
    server: server as string,
    jid: jid as string,
    password: password as string,
    manager: manager as string,
    ...(pin === undefined ? {} : { pin }),
  };
}

function pauseMode(value: unknown): PauseMode {
  if (value === undefined) return 'suspend';
  const mode = isObject(value) ? (value.mode ?? 'suspend') : undefined;
  if (mode !== 'suspend' && mode !== 'finish')
    throw new ApiRequestError(
      "mode must be 'suspend' (pause now) or 'finish' (finish current tasks, then pause)",
    );
  return mode;
}

export function createVolunteerApi(volunteer: Volunteer, app: { version: string }): VolunteerApi {
  const handlers: ApiHandlers = {
    'app:info': async () => ({
      mode: 'volunteer',
      version: app.version,
      areas: ['app', 'volunteer'],
    }),
    'volunteer:get-state': async () => volunteer.snapshot(),
    'volunteer:set-settings': async (patch) => volunteer.setSettings(patch),
    'volunteer:pause': async (...args: unknown[]) => volunteer.pause(pauseMode(args[0])),
    'volunteer:resume': async () => volunteer.resume(),
    'volunteer:history': async (request) => volunteer.history(pageRequest(request)),
    'volunteer:join': async (request) => volunteer.join(joinRequest(request)),
  };
  return {
    handlers: withCodes(handlers),
    onChanged(listener) {
      volunteer.on('changed', listener);
      return () => void volunteer.off('changed', listener);
    },
  };
}
