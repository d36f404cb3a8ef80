// The app as a head node (--head): Kestrel's XMPP server and the manager in this process, as
// `kestrel head` runs them (the same data directory, DATA_DIR/head), with the submit pane and the
// ops view in the window over IPC instead of HTTP. The tray shows the pool's counters; a job of
// the head's admin (whom the window acts as) that finishes is a notification.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { app } from 'electron';
import type { ApiHandlers, PoolCounters } from '../../shared/api.ts';
import { deferHandlers } from '../api/deferred.ts';
import { loadConfig } from '../common/config.ts';
import { createLogger } from '../common/log.ts';
import type { Launch } from '../desktop/launch.ts';
import { finishedNotice } from '../desktop/notices.ts';
import { startHeadNode, type HeadNode } from '../head/head-node.ts';
import { userLimitsOf } from '../manager/limits.ts';
import { workerRateOf } from '../manager/worker-rate.ts';
import { headTrayModel } from '../tray/menu-model.ts';
import { createShell, type Shell } from './shell.ts';

export function runHead(launch: Launch): Shell {
  const logDir = app.getPath('logs');
  mkdirSync(logDir, { recursive: true });
  const log = createLogger((line) => appendFileSync(join(logDir, 'head.log'), line), 'head');
  const settings = loadConfig({}, process.env);
  const started: Promise<HeadNode> = startHeadNode({
    dataDir: join(settings.dataDir, 'head'),
    access: settings,
    limits: userLimitsOf(settings),
    workerRate: workerRateOf(settings),
    log,
  });
  const ready: Promise<ApiHandlers> = started.then((head) => head.ops.handlers);
  const shell = createShell({
    log,
    width: 1280,
    height: 820,
    handlers: deferHandlers(ready),
    onTrayAction: () => undefined, // a head node has nothing to pause
    stop: () => started.then((head) => head.stop()).catch(() => undefined),
  });
  let counters: PoolCounters | undefined;
  let domain: string | undefined;
  const render = (error?: string) => shell.tray.render(headTrayModel({ domain, counters, error }));
  render();
  started.then(
    (head) => {
      domain = head.config.domain;
      counters = head.manager.read.counters();
      const admin = head.config.admin.jid;
      head.ops.subscribe((event, payload) => {
        shell.send(event, payload);
        if (event === 'pool:changed') {
          counters = (payload as { counters: PoolCounters }).counters;
          render();
        }
        if (event === 'jobs:finished') {
          const finished = payload as Parameters<typeof finishedNotice>[0];
          const [job] = head.manager.read.summaries([finished.jobId]);
          if (job?.owner === admin) {
            const notice = finishedNotice(finished);
            shell.notify(notice.title, notice.body);
          }
        }
      });
      render();
      log.info('head node started', { domain, port: head.port });
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      log.error('head node could not start', { error: message });
      render(message);
    },
  );
  if (!launch.minimized) shell.open();
  return shell;
}
