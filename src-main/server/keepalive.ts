// Finds dead and frozen clients (XEP-0199 §4.1): a session silent for `intervalMs` gets a ping
// from the server; if nothing at all arrives within `timeoutMs` after it, the session is closed
// with connection-timeout (RFC 6120 §4.9.3.4) and its unavailable presence goes out. A kill -9
// closes the socket and is seen at once; a SIGSTOPped client keeps its socket open and is only
// caught here. Streams that are not bound yet get no pings: silent ones are closed instead,
// as are logins that drag on. One timer sweeps all sessions.

export interface KeepAliveTarget {
  /** Set true by the session whenever data arrives; the sweeper clears it. */
  seen: boolean;
  readonly bound: boolean;
  sendPing(): void;
  timeout(text: string): void;
}

export interface KeepAliveOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Longest time from connect to bound resource. */
  loginTimeoutMs: number;
  now?: () => number;
}

export interface KeepAlive {
  add(target: KeepAliveTarget): void;
  remove(target: KeepAliveTarget): void;
  stop(): void;
}

interface Track {
  connectedAt: number;
  lastSeen: number;
  pingSentAt: number | undefined;
}

export function createKeepAlive(options: KeepAliveOptions): KeepAlive {
  const { intervalMs, timeoutMs, loginTimeoutMs } = options;
  const now = options.now ?? (() => performance.now());
  const tracked = new Map<KeepAliveTarget, Track>();
  const tickMs = Math.max(20, Math.min(intervalMs, timeoutMs) / 4);
  let timer: NodeJS.Timeout | undefined;

  function sweep(): void {
    const at = now();
    for (const [target, track] of tracked) {
      if (target.seen) {
        target.seen = false;
        track.lastSeen = at;
        track.pingSentAt = undefined;
      }
      if (!target.bound) {
        if (at - track.connectedAt > loginTimeoutMs) target.timeout('no login in time');
        else if (at - track.lastSeen > intervalMs + timeoutMs) target.timeout('idle before login');
      } else if (track.pingSentAt !== undefined) {
        if (at - track.pingSentAt >= timeoutMs) {
          target.timeout(`no answer to a ping within ${timeoutMs} ms`);
        }
      } else if (at - track.lastSeen >= intervalMs) {
        track.pingSentAt = at;
        target.sendPing();
      }
    }
  }

  return {
    add(target) {
      const at = now();
      tracked.set(target, { connectedAt: at, lastSeen: at, pingSentAt: undefined });
      if (timer === undefined) {
        timer = setInterval(sweep, tickMs);
        timer.unref();
      }
    },
    remove(target) {
      tracked.delete(target);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      tracked.clear();
    },
  };
}
