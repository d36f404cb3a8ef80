// What both modes of the app share: the window, the tray, the IPC, notifications, and quitting.
// A mode gives its API handlers, what its tray actions do and how it stops; the shell carries
// the rest. Requests to show something (a second launch with a link, the tray's "Submit job…")
// reach a page that has not asked yet through app:info's `open`, and a page that has as an
// `app:open` push, so none is lost while the window loads.
import { app, Notification } from 'electron';
import type { ApiEvent, ApiEvents, ApiHandlers, OpenRequest } from '../../shared/api.ts';
import type { Logger } from '../common/log.ts';
import type { TrayAction } from '../tray/menu-model.ts';
import { registerIpc } from './ipc-handlers.ts';
import { createAppTray, type AppTray } from './tray.ts';
import { createWindowHost } from './window.ts';

export interface ShellOptions {
  log: Logger;
  width: number;
  height: number;
  handlers: ApiHandlers;
  /** Tray actions the mode handles (pause, resume); open, submit, pool and quit are the shell's. */
  onTrayAction(action: TrayAction): void;
  /** Runs once when the app quits, before it exits: stop the volunteer or the head node. */
  stop(): Promise<void>;
}

export interface Shell {
  readonly tray: AppTray;
  /** Shows the window, on a view or with a link to confirm. */
  open(request?: OpenRequest): void;
  send<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void;
  /** A system notification; clicking it opens the window. */
  notify(title: string, body: string): void;
}

const error = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function createShell(options: ShellOptions): Shell {
  const { log, handlers } = options;
  let pending: OpenRequest | undefined;
  let pageAsked = false;
  const window = createWindowHost({
    width: options.width,
    height: options.height,
    onCreated: () => (pageAsked = false),
    onLoadFailure: (e) => log.error('could not load the window', { error: error(e) }),
  });
  const info = handlers['app:info'];
  const served: ApiHandlers = {
    ...handlers,
    ...(info && {
      'app:info': async () => {
        const answer = await info();
        const open = pending;
        pending = undefined;
        pageAsked = true;
        return open === undefined ? answer : { ...answer, open };
      },
    }),
  };
  const unregister = registerIpc(served, () => window.contents(), log);

  function open(request: OpenRequest = {}): void {
    if (request.view !== undefined || request.link !== undefined) {
      if (pageAsked) window.send('app:open', request);
      else pending = { ...pending, ...request };
    }
    window.show();
  }

  const tray = createAppTray((action) => {
    if (action === 'open') open();
    else if (action === 'submit') open({ view: 'jobs' });
    else if (action === 'pool') open({ view: 'pool' });
    else if (action === 'quit') app.quit();
    else options.onTrayAction(action);
  });

  // The window only hides, so this comes only when it died: stay in the tray all the same.
  app.on('window-all-closed', () => undefined);
  let stopped = false;
  app.on('before-quit', (event) => {
    window.allowClose();
    if (stopped) return;
    // Stop the mode first (a volunteer's tasks are killed and it logs out, so the manager
    // requeues them at once), then quit for real.
    event.preventDefault();
    stopped = true;
    options
      .stop()
      .catch((e: unknown) => log.error('could not stop cleanly', { error: error(e) }))
      .finally(() => {
        unregister();
        tray.destroy();
        app.quit();
      });
  });

  return {
    tray,
    open,
    send: (event, payload) => window.send(event, payload),
    notify(title, body) {
      if (!Notification.isSupported()) return;
      const notification = new Notification({ title, body });
      notification.on('click', () => open());
      notification.show();
    },
  };
}
