// What the bench process and its simulated-worker hosts (bench/lib/sim-host.ts) say to each other
// over Node's IPC channel.

/**
 * instant: tasks end at once (no process); hold: they run until cancelled; echo: a ping client;
 * run: tasks run for real, through the worker's own executor (sandboxed or not).
 */
export type SimMode = 'instant' | 'hold' | 'echo' | 'run';

export interface SimAccount {
  username: string;
  password: string;
  resource: string;
}

export type SimCommand =
  | {
      cmd: 'connect';
      service: string;
      domain: string;
      /** Bare JID of the manager (worker modes) or of the ping driver (echo mode). */
      peer: string;
      mode: SimMode;
      slots: number;
      /** Tasks each worker takes ahead of its free slots (its profile's `prefetch`). */
      prefetch: number;
      /** Mode `run`: the executor's sandbox setting. */
      sandbox?: 'none' | 'require';
      accounts: SimAccount[];
      /** Send an event for every task started (hold) or done (instant). */
      reportTasks: boolean;
      /** A certificate to trust (a head node's self-signed one, which offers STARTTLS). */
      ca?: string;
    }
  | { cmd: 'stats' }
  | { cmd: 'reset' }
  /** Log out the first `count` clients (their presence goes unavailable). */
  | { cmd: 'drop'; count: number }
  | { cmd: 'drive'; targets: string[]; inFlight: number; seconds: number; body: string }
  | { cmd: 'stop' };

export interface SimStats {
  connected: number;
  reported: number;
  tasks: number;
  firstTaskAt: number | undefined;
  lastTaskAt: number | undefined;
  rssBytes: number;
  loginRetries: number;
}

export type SimEvent =
  | { ev: 'ready' }
  | { ev: 'connected'; count: number; ms: number; retries: number }
  | { ev: 'reported'; count: number }
  | { ev: 'task'; jobId: number; index: number; attempt: number; at: number; jid: string }
  | { ev: 'stats'; stats: SimStats }
  | { ev: 'driven'; roundTrips: number; seconds: number }
  | { ev: 'dropped'; count: number }
  | { ev: 'error'; message: string }
  | { ev: 'done' };
