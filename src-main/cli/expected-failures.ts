import { XmppServerError } from '../server/errors.ts';
import { XmppError } from '../xmpp/errors.ts';
import { EXIT } from './errors.ts';

/**
 * What goes wrong in normal use, said in one line with what to do about it: a port in use, a
 * server that cannot be reached, a damaged data file. Undefined for anything else (a bug).
 */
export function expectedFailure(error: unknown): { message: string; exitCode: number } | undefined {
  if (error instanceof XmppServerError && error.code === 'listen_failed') {
    const cause = error.cause as
      (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
    const where =
      cause?.address === undefined
        ? 'cannot listen'
        : `cannot listen on ${cause.address}:${cause.port}`;
    const advice: Record<string, string> = {
      EADDRINUSE: 'the port is in use (another head node?); stop it, or choose a port with --port',
      EACCES: 'not allowed; ports below 1024 need privileges, choose one with --port',
      EADDRNOTAVAIL: 'this machine has no such address; check --bind',
    };
    const what = advice[cause?.code ?? ''];
    return {
      message: what === undefined ? error.message : `${where}: ${what}`,
      exitCode: EXIT.usage,
    };
  }
  if (error instanceof XmppServerError && error.code === 'invalid_options')
    return { message: error.message, exitCode: EXIT.usage };
  if (error instanceof XmppError) return { message: error.message, exitCode: EXIT.connection };
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'bad_settings' || code === 'damaged_data')
    return { message: (error as Error).message, exitCode: EXIT.usage };
  return undefined;
}
