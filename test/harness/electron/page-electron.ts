// `electron` for the real preload (src-main/app/preload.mts), bundled with it into the window's
// page by the harness: contextBridge puts the exposed API on the page's window, ipcRenderer
// invokes main through the page's binding and hears main's sends from the harness. Runs in the
// browser; no Node.
type Listener = (event: unknown, ...args: unknown[]) => void;

interface HarnessGlobals {
  __fakeElectronInvoke(channel: string, args: unknown[]): Promise<unknown>;
  __fakeElectronEmit?: (channel: string, args: unknown[]) => void;
}
const page = globalThis as unknown as HarnessGlobals & Record<string, unknown>;
const listeners = new Map<string, Set<Listener>>();

page.__fakeElectronEmit = (channel, args) => {
  for (const listener of listeners.get(channel) ?? []) listener({ sender: undefined }, ...args);
};

export const ipcRenderer = {
  invoke: (channel: string, ...args: unknown[]) => page.__fakeElectronInvoke(channel, args),
  on(channel: string, listener: Listener) {
    const set = listeners.get(channel) ?? new Set<Listener>();
    listeners.set(channel, set);
    set.add(listener);
    return ipcRenderer;
  },
  removeListener(channel: string, listener: Listener) {
    listeners.get(channel)?.delete(listener);
    return ipcRenderer;
  },
};

export const contextBridge = {
  exposeInMainWorld(key: string, api: Record<string, unknown>): void {
    // Electron copies the object into the page's world; the page cannot change main's copy.
    Object.defineProperty(page, key, { value: Object.freeze({ ...api }), enumerable: true });
  },
};
