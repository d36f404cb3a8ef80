import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { ApiEvent, ApiHandlers } from '../../shared/api.ts';
import { packageRoot, packageVersion } from '../common/package-root.ts';
import type { ManagerApi } from '../manager/manager-api.ts';
import type { HeadConfig } from './head-config.ts';

/**
 * What the head node's web UI serves: the manager's jobs and pool API acting as the head's admin
 * account (whoever holds the printed token is the head node's operator), `app:info`, and the
 * events a freshly opened page starts from.
 */

/**
 * Where `vite build` writes the renderer (npm ci runs it through the `prepare` script), from
 * source and in the desktop app alike (package-root.ts).
 */
export const RENDERER_ROOT = join(packageRoot(import.meta.dirname), 'dist', 'renderer');

const VERSION = packageVersion(packageRoot(import.meta.dirname));

export interface OpsSide {
  handlers: ApiHandlers;
  subscribe: ManagerApi['feed']['subscribe'];
  initialEvents: () => Promise<[ApiEvent, unknown][]>;
}

export function opsHandlers(options: {
  config: HeadConfig;
  xmppPort: number;
  ca: string | undefined;
  api: ManagerApi;
}): OpsSide {
  const { config, api } = options;
  const caller = { jid: config.admin.jid, admin: true };
  const fingerprint =
    options.ca === undefined ? undefined : new X509Certificate(options.ca).fingerprint256;
  const handlers: ApiHandlers = {
    ...api.handlers(caller),
    'app:info': async () => ({
      mode: 'head',
      version: VERSION,
      areas: ['app', 'jobs', 'pool'],
      head: {
        domain: config.domain,
        xmppPort: options.xmppPort,
        manager: config.manager.jid,
        ...(fingerprint === undefined ? {} : { fingerprint }),
      },
      caller,
    }),
  };
  return {
    handlers,
    subscribe: (listener) => api.feed.subscribe(listener),
    initialEvents: async () => [
      ['pool:changed', { counters: api.read.counters() }],
      [
        'jobs:changed',
        { jobs: api.read.jobs((job) => job.finishedAt === undefined, { limit: 100 }).items },
      ],
    ],
  };
}
