// Runs in the window before its page: exposes `window.kestrel` (shared/api.ts KestrelBridge),
// which invokes only the API's methods and listens only to its events, never ipcRenderer
// itself, so the page can do nothing else.
//
// An ES module (.mts → .mjs) in an unsandboxed, context-isolated renderer: a sandboxed preload
// can load no file of ours, and this one imports the method names from shared/api.ts so they
// are written once. Electron runs a preload as ESM only when it ends in .mjs.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_EVENTS, API_METHODS, type KestrelBridge } from '../../shared/api.ts';

const methods = new Set<string>(API_METHODS);
const events = new Set<string>(API_EVENTS);

const bridge: KestrelBridge = {
  invoke(method, args) {
    if (!methods.has(method))
      return Promise.resolve({
        ok: false,
        error: { code: 'unavailable', message: `${method}: no such method` },
      });
    return ipcRenderer.invoke(method, ...args);
  },
  on(event, listener) {
    if (!events.has(event)) return () => undefined;
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
};

contextBridge.exposeInMainWorld('kestrel', bridge);
