// The messages between the app's main process (src-main/app/main.ts in plain Node, against
// fake-electron.ts) and the harness that plays Electron's browser side for it (desktop-app.ts:
// Chromium pages through playwright-core). Node's IPC channel with the "advanced" serialization
// (structured clone), so buffers travel as they are.

export interface MenuItemView {
  label: string;
  enabled: boolean;
  type: string;
}

/** From the app (main process) to the harness. */
export type FromMain =
  | { type: 'window:create'; id: number; options: Record<string, unknown> }
  | { type: 'window:load'; id: number; url: string; preload: string | undefined }
  | { type: 'window:show' | 'window:hide' | 'window:focus' | 'window:destroy'; id: number }
  | { type: 'webcontents:send'; id: number; channel: string; args: unknown[] }
  | { type: 'ipc:result'; callId: number; ok: boolean; value?: unknown; error?: string }
  | {
      type: 'protocol:response';
      reqId: number;
      status: number;
      headers: [string, string][];
      body: Uint8Array;
    }
  | { type: 'navigate:answer'; reqId: number; allowed: boolean }
  | { type: 'window-open:answer'; reqId: number; action: string }
  | { type: 'tray:image'; png: Uint8Array; png2x: Uint8Array | undefined; template: boolean }
  | { type: 'tray:tooltip'; text: string }
  | { type: 'tray:menu'; items: MenuItemView[] }
  | { type: 'tray:destroy' }
  | { type: 'notification'; title: string; body: string }
  | { type: 'login-item'; settings: Record<string, unknown> }
  | { type: 'protocol-client'; scheme: string; args: unknown[] }
  | { type: 'privileged-schemes'; schemes: unknown[] }
  | { type: 'ready' };

/** From the harness to the app. */
export type ToMain =
  | {
      type: 'ipc:invoke';
      callId: number;
      windowId: number;
      channel: string;
      args: unknown[];
      topFrame: boolean;
    }
  | { type: 'protocol:request'; reqId: number; url: string; method: string }
  | { type: 'navigate:ask'; reqId: number; windowId: number; url: string }
  | { type: 'window-open:ask'; reqId: number; windowId: number; url: string }
  | { type: 'window:loaded'; id: number; error?: string }
  | { type: 'window:close'; id: number }
  | { type: 'tray:click'; label: string }
  | { type: 'power'; idleSeconds?: number; onBattery?: boolean }
  | { type: 'open-url'; url: string }
  | { type: 'quit' };
