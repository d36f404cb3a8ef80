// Main's side of the API in shared/api.ts over Electron IPC: one ipcMain handler per method,
// each reply an envelope, and only for the app's own window (a frame it did not load gets
// nothing). Methods this side does not serve answer `unavailable`.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { API_METHODS, type ApiError, type ApiHandlers, type ApiReply } from '../../shared/api.ts';

function toApiError(error: unknown): ApiError {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' ? code : 'internal',
    message: error instanceof Error ? error.message : String(error),
  };
}

/** The top frame of our own window: not another window, not an iframe inside ours. */
function fromOwnWindow(event: IpcMainInvokeEvent, own: WebContents | undefined): boolean {
  return own !== undefined && event.sender === own && event.senderFrame?.parent === null;
}

/** Registers the handlers; returns the function that removes them. */
export function registerIpc(
  handlers: ApiHandlers,
  ownContents: () => WebContents | undefined,
): () => void {
  for (const method of API_METHODS) {
    const handler = handlers[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    ipcMain.handle(method, async (event, ...args): Promise<ApiReply<unknown>> => {
      if (!fromOwnWindow(event, ownContents())) {
        return { ok: false, error: { code: 'forbidden', message: `${method}: not our window` } };
      }
      if (!handler)
        return { ok: false, error: { code: 'unavailable', message: `${method}: not served here` } };
      try {
        // The arguments come from the renderer: each handler checks its own.
        return { ok: true, result: await handler(...args) };
      } catch (error) {
        return { ok: false, error: toApiError(error) };
      }
    });
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(method);
  };
}
