import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiEvent, ApiEvents, ApiHandlers, ApiReply } from '../../shared/api.ts';
import { dispatch } from '../api/dispatch.ts';
import type { Logger } from '../common/log.ts';
import { createEventStreams } from './event-stream.ts';
import { allowedHosts, checkOrigin, checkToken, newToken, type Verdict } from './guard.ts';
import { securityHeaders, serveStatic } from './static-files.ts';

/**
 * The head node's web UI over node:http: the built renderer as static files, the API as
 * `POST /api/AREA/VERB` with a JSON list of arguments answered by the reply envelope, and pushes
 * as server-sent events on `GET /api/events`. Every request must name this server (Host, Origin);
 * API requests must carry the token (guard.ts).
 */

export interface UiServerOptions {
  handlers: ApiHandlers;
  /** The side's change events; the server forwards them to every open stream. */
  subscribe?: (
    listener: <E extends ApiEvent>(event: E, payload: ApiEvents[E]) => void,
  ) => () => void;
  /** What a new stream gets first, so a page that (re)connects starts from the present. */
  initialEvents?: () => Promise<[ApiEvent, unknown][]>;
  /** The built renderer (dist/renderer). */
  root: string;
  /** 0: any free port. */
  port: number;
  bind: string;
  log: Logger;
}

export interface UiServer {
  readonly port: number;
  readonly token: string;
  /** What the operator opens: the URL with the token in its fragment (never sent to a server). */
  readonly url: string;
  stop(): Promise<void>;
}

/** The UI could not start: its port is taken (`ui_port_in_use`) or the address is not ours. */
export class UiServerError extends Error {
  readonly code: 'ui_port_in_use' | 'ui_listen_failed';

  constructor(code: UiServerError['code'], message: string) {
    super(message);
    this.name = 'UiServerError';
    this.code = code;
  }
}

/** Arguments are a few small objects; a job's command is at most 4096 characters. */
const MAX_BODY_BYTES = 1 << 20;

const STATUS: Record<string, number> = {
  bad_request: 400,
  invalid_field: 400,
  unauthorized: 401,
  forbidden: 403,
  unknown_job: 404,
  unknown_method: 404,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 501,
};

function reply(
  res: ServerResponse,
  body: ApiReply<unknown>,
  extra: Record<string, string> = {},
): void {
  const status = body.ok ? 200 : (STATUS[body.error.code] ?? 400);
  res.writeHead(status, {
    ...securityHeaders(),
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, code: string, message: string): void {
  reply(res, { ok: false, error: { code, message } });
}

function refuseVerdict(res: ServerResponse, verdict: Exclude<Verdict, { ok: true }>): void {
  const extra: Record<string, string> =
    verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="kestrel"' } : {};
  reply(res, { ok: false, error: { code: verdict.code, message: verdict.message } }, extra);
}

/**
 * The body as text, or undefined when it is over MAX_BODY_BYTES. An oversized body is read to
 * its end and dropped, so the client gets its 413 instead of a reset connection; one far over
 * the limit is cut off.
 */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > 16 * MAX_BODY_BYTES) req.destroy();
    });
    req.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { handlers, root, log } = options;
  const token = newToken();
  // The side's change feed gathers changes only while someone listens: subscribe while a page
  // has its event stream open.
  let unsubscribe: (() => void) | undefined;
  const streams = createEventStreams({
    onFirst: () => {
      unsubscribe = options.subscribe?.((event, payload) => streams.send(event, payload));
    },
    onEmpty: () => {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  });
  let hosts = new Set<string>();

  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const authorized = checkToken(req.headers, token);
    if (!authorized.ok) return refuseVerdict(res, authorized);
    if (path === '/api/events') {
      if (req.method !== 'GET') return refuse(res, 'bad_request', 'events are read with GET');
      const initial = (await options.initialEvents?.()) ?? [];
      if (!streams.open(res, initial))
        refuse(res, 'rate_limited', 'too many event streams are open; close other tabs');
      return;
    }
    const match = /^\/api\/([a-z]+)\/([a-z-]+)$/.exec(path);
    if (!match) return refuse(res, 'unknown_method', `no API at ${path}`);
    if (req.method !== 'POST') return refuse(res, 'bad_request', `call ${path} with POST`);
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return refuse(res, 'unsupported_media_type', 'send the arguments as application/json');
    const body = await readBody(req);
    if (body === undefined)
      return refuse(res, 'too_large', `the body is over ${MAX_BODY_BYTES} bytes`);
    let args: unknown;
    try {
      args = body.trim() === '' ? [] : JSON.parse(body);
    } catch (error) {
      return refuse(
        res,
        'bad_request',
        `the body must be a JSON list of arguments, e.g. [{"jobId":1}]: ${(error as Error).message}`,
      );
    }
    reply(res, await dispatch(handlers, `${match[1]}:${match[2]}`, args, log));
  }

  const server = createServer((req, res) => {
    const verdict = checkOrigin(req.headers, hosts);
    if (!verdict.ok) return refuseVerdict(res, verdict);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api' || path.startsWith('/api/')) {
      api(req, res, path).catch((error: unknown) => {
        log.error('ui request failed', { path, error: String(error) });
        if (!res.headersSent)
          refuse(res, 'internal', 'the request failed; the head node logged it');
        else res.end();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return refuse(res, 'bad_request', 'GET only');
    serveStatic(root, path, res, req.method === 'HEAD');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.bind}:${options.port}`;
      reject(
        error.code === 'EADDRINUSE'
          ? new UiServerError(
              'ui_port_in_use',
              `the ops UI cannot listen on ${where}: the port is in use`,
            )
          : new UiServerError(
              'ui_listen_failed',
              `the ops UI cannot listen on ${where}: ${error.message}`,
            ),
      );
    });
    server.listen(options.port, options.bind, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', (error) => log.error('ui server', { error: String(error) }));
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(options.bind, port);
  const shown = options.bind.includes(':') ? `[${options.bind}]` : options.bind;
  const urlHost = shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown;

  let stopping: Promise<void> | undefined;
  return {
    port,
    token,
    url: `http://${urlHost}:${port}/#token=${token}`,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        streams.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
