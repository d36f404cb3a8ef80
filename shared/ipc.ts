// The one IPC contract between Electron's main process and the renderer: channel names
// (`area:verb`), what each carries, and the reply envelope. Main registers handlers for exactly
// these channels, the preload exposes one named function per channel, and the renderer sees
// only `KestrelApi`. Pure types and constants: no I/O, no electron import.

/** What the volunteer has chosen; persisted in `volunteer.json` in the data directory. */
export interface VolunteerSettings {
  /** The volunteer's own pause: no new tasks until they resume. */
  paused: boolean;
  /** Take tasks only once there has been no keyboard or mouse input for `idleSeconds`. */
  onlyWhenIdle: boolean;
  idleSeconds: number;
  /** Take no new tasks while the machine runs on battery. */
  notOnBattery: boolean;
  /** Percent of the logical cores to fill with tasks (10–100); at least one task runs. */
  cpuCap: number;
  /** Start the app when the user logs in (macOS and Windows). */
  startAtLogin: boolean;
}

/**
 * Why the volunteer takes tasks or not. `paused`: the volunteer paused; `user_active`: only when
 * idle, and someone uses the machine; `on_battery`: not on battery, and it is; `ok`: takes tasks.
 */
export type VolunteerReason = 'paused' | 'user_active' | 'on_battery' | 'ok';

/**
 * `offline`: not connected to the XMPP server; `paused`: connected, takes no new tasks (running
 * ones finish); `idle`: connected, waiting for tasks; `working`: running at least one task.
 */
export type VolunteerState = 'offline' | 'idle' | 'working' | 'paused';

export interface VolunteerSnapshot {
  state: VolunteerState;
  reason: VolunteerReason;
  /** Tasks running now. */
  running: number;
  /** Tasks it offers to run at once (from cpuCap and the cores). */
  slots: number;
  /** The manager's bare JID, once the configuration is read. */
  manager: string | undefined;
  /** Our full JID when online, else the configured bare JID. */
  jid: string | undefined;
  /** Why it is offline (bad configuration, server unreachable, refused login). */
  error: string | undefined;
  settings: VolunteerSettings;
}

/** A failure as it reaches the renderer: a stable code and a message for people. */
export interface IpcError {
  code: string;
  message: string;
}

/** Every invoke reply, so errors reach the UI intact instead of as a rejected promise's text. */
export type IpcReply<T> = { ok: true; result: T } | { ok: false; error: IpcError };

/** Renderer → main requests (`ipcRenderer.invoke` / `ipcMain.handle`). */
export const INVOKE = {
  volunteerGetState: 'volunteer:get-state',
  volunteerSetSettings: 'volunteer:set-settings',
  volunteerPause: 'volunteer:pause',
  volunteerResume: 'volunteer:resume',
} as const;

/** Main → renderer pushes (`webContents.send` / `ipcRenderer.on`). */
export const PUSH = {
  /** Carries the new snapshot; a renderer may also re-fetch with get-state. */
  volunteerChanged: 'volunteer:changed',
} as const;

/** Arguments and result of each invoke channel. */
export interface InvokeContract {
  [INVOKE.volunteerGetState]: { args: []; result: VolunteerSnapshot };
  [INVOKE.volunteerSetSettings]: { args: [Partial<VolunteerSettings>]; result: VolunteerSnapshot };
  [INVOKE.volunteerPause]: { args: []; result: VolunteerSnapshot };
  [INVOKE.volunteerResume]: { args: []; result: VolunteerSnapshot };
}

export type InvokeChannel = keyof InvokeContract;

/** What the preload exposes as `window.kestrel`. */
export interface KestrelApi {
  volunteer: {
    getState(): Promise<IpcReply<VolunteerSnapshot>>;
    setSettings(patch: Partial<VolunteerSettings>): Promise<IpcReply<VolunteerSnapshot>>;
    pause(): Promise<IpcReply<VolunteerSnapshot>>;
    resume(): Promise<IpcReply<VolunteerSnapshot>>;
    /** Calls `listener` with each new snapshot; returns the function that stops it. */
    onChanged(listener: (snapshot: VolunteerSnapshot) => void): () => void;
  };
}
