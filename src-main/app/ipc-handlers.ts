// Main's side of the API in shared/api.ts over Electron IPC: one ipcMain handler per method (the
// channel is the method's name, as the preload invokes it), each call run through the one
// dispatcher every transport uses (src-main/api/dispatch.ts: arguments checked by
// shared/api-schemas.ts, the reply an envelope), and only for the app's own window: another
// window, or a frame inside ours, gets `forbidden`.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { API_METHODS, type ApiHandlers, type ApiReply } from '../../shared/api.ts';
import { dispatch } from '../api/dispatch.ts';
import type { Logger } from '../common/log.ts';

/** The top frame of our own window: not another window, not an iframe inside ours. */
function fromOwnWindow(event: IpcMainInvokeEvent, own: WebContents | undefined): boolean {
  return own !== undefined && event.sender === own && event.senderFrame?.parent === null;
}

/** Registers the handlers; returns the function that removes them. */
export function registerIpc(
  handlers: ApiHandlers,
  ownContents: () => WebContents | undefined,
  log: Logger,
): () => void {
  for (const method of API_METHODS) {
    ipcMain.handle(method, async (event, ...args): Promise<ApiReply<unknown>> => {
      if (!fromOwnWindow(event, ownContents())) {
        log.warn('refused an IPC call from outside the window', { method });
        return { ok: false, error: { code: 'forbidden', message: `${method}: not our window` } };
      }
      return dispatch(handlers, method, args, log);
    });
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(method);
  };
}
