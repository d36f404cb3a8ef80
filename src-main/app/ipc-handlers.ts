// Main's side of the IPC contract in shared/ipc.ts: one handler per invoke channel, each reply
// an envelope, and only for the app's own window (a frame it did not load gets nothing).
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import {
  INVOKE,
  type InvokeChannel,
  type InvokeContract,
  type IpcError,
  type IpcReply,
} from '../../shared/ipc.ts';
import type { Volunteer } from '../volunteer/controller.ts';

type Handlers = {
  [C in InvokeChannel]: (
    ...args: InvokeContract[C]['args']
  ) => Promise<InvokeContract[C]['result']>;
};

function toIpcError(error: unknown): IpcError {
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
  volunteer: Volunteer,
  ownContents: () => WebContents | undefined,
): () => void {
  const handlers: Handlers = {
    [INVOKE.volunteerGetState]: async () => volunteer.snapshot(),
    // The patch comes from the renderer: setSettings validates it before anything is saved.
    [INVOKE.volunteerSetSettings]: (patch) => volunteer.setSettings(patch),
    [INVOKE.volunteerPause]: () => volunteer.pause(),
    [INVOKE.volunteerResume]: () => volunteer.resume(),
  };
  for (const [channel, handler] of Object.entries(handlers)) {
    const call = handler as (...args: unknown[]) => Promise<unknown>;
    ipcMain.handle(channel, async (event, ...args): Promise<IpcReply<unknown>> => {
      if (!fromOwnWindow(event, ownContents())) {
        return { ok: false, error: { code: 'forbidden', message: `${channel}: not our window` } };
      }
      try {
        return { ok: true, result: await call(...args) };
      } catch (error) {
        return { ok: false, error: toIpcError(error) };
      }
    });
  }
  return () => {
    for (const channel of Object.keys(handlers)) ipcMain.removeHandler(channel);
  };
}
