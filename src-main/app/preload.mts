// Runs in the window before its page: exposes `window.kestrel` (KestrelApi), one named function
// per channel of shared/ipc.ts, never ipcRenderer itself, so the page can do nothing else.
//
// An ES module (.mts → .mjs) in an unsandboxed, context-isolated renderer: a sandboxed preload
// can load no file of ours, and this one imports the channel names from shared/ipc.ts so they
// are written once. Electron runs a preload as ESM only when it ends in .mjs.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { INVOKE, PUSH, type KestrelApi, type VolunteerSnapshot } from '../../shared/ipc.ts';

const api: KestrelApi = {
  volunteer: {
    getState: () => ipcRenderer.invoke(INVOKE.volunteerGetState),
    setSettings: (patch) => ipcRenderer.invoke(INVOKE.volunteerSetSettings, patch),
    pause: () => ipcRenderer.invoke(INVOKE.volunteerPause),
    resume: () => ipcRenderer.invoke(INVOKE.volunteerResume),
    onChanged(listener) {
      const forward = (_event: IpcRendererEvent, snapshot: VolunteerSnapshot) => listener(snapshot);
      ipcRenderer.on(PUSH.volunteerChanged, forward);
      return () => {
        ipcRenderer.removeListener(PUSH.volunteerChanged, forward);
      };
    },
  },
};

contextBridge.exposeInMainWorld('kestrel', api);
