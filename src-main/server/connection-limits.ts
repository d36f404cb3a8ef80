// Connections counted at accept time, so one source cannot take the process's file
// descriptors: at most `maxPerAddress` open connections per source address (an IPv6 /64 counts
// as one), and at most `maxUnauthenticated` that have not bound a resource yet. Beyond either,
// the socket is closed at once, before a byte is read; refusals are logged as one summary line
// per interval, never one line each.
//
// Loopback sources are processes on this host: the head node's own manager and local workers,
// `kestrel demo`, the benchmarks with thousands of simulated workers. By default
// (`loopbackIsLocal`) they share one budget of their own (`maxLoopback`, no cap unless set) and
// the unauthenticated cap does not apply to them, so remote clients filling it can never lock
// the head node's own parties out. Behind a proxy on this host, where remote clients arrive
// from 127.0.0.1, set `loopbackIsLocal: false` and every loopback address counts as remote.
import type { Logger } from '../common/log.ts';
import { addressKey, isLoopbackAddress } from './source-address.ts';

export interface ConnectionLimitOptions {
  maxPerAddress: number;
  maxLoopback: number;
  maxUnauthenticated: number;
  loopbackIsLocal: boolean;
  log: Logger;
  /** How often refusals are summed up in the log; default 10 s. */
  summaryMs?: number;
}

export interface ConnectionSlot {
  /** The connection bound a resource: it is no longer unauthenticated. */
  bound(): void;
  /** The connection is gone. Idempotent. */
  release(): void;
}

export interface ConnectionLimits {
  /** A slot for a new connection from `remoteAddress`, or undefined to refuse it. */
  admit(remoteAddress: string): ConnectionSlot | undefined;
  /** Logs the refusals not reported yet and stops the summary timer. */
  close(): void;
}

const LOCAL = 'loopback';
const TOP_ADDRESSES = 5;

export function createConnectionLimits(options: ConnectionLimitOptions): ConnectionLimits {
  const summaryMs = options.summaryMs ?? 10_000;
  const open = new Map<string, number>();
  let unauthenticated = 0;
  const pending = { perAddress: 0, unauthenticated: 0, by: new Map<string, number>() };
  let timer: NodeJS.Timeout | undefined;

  function summarize(): void {
    clearTimeout(timer);
    timer = undefined;
    const total = pending.perAddress + pending.unauthenticated;
    if (total === 0) return;
    const top = [...pending.by]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_ADDRESSES)
      .map(([key, n]) => `${key} ×${n}`);
    options.log.warn('connections refused', {
      refused: total,
      overPerAddressLimit: pending.perAddress,
      overUnauthenticatedLimit: pending.unauthenticated,
      addresses: top,
    });
    pending.perAddress = 0;
    pending.unauthenticated = 0;
    pending.by.clear();
  }

  function refuse(key: string, reason: 'perAddress' | 'unauthenticated'): undefined {
    pending[reason]++;
    pending.by.set(key, (pending.by.get(key) ?? 0) + 1);
    if (timer === undefined) {
      timer = setTimeout(summarize, summaryMs);
      timer.unref();
    }
    return undefined;
  }

  return {
    admit(remoteAddress) {
      const local = options.loopbackIsLocal && isLoopbackAddress(remoteAddress);
      const key = local ? LOCAL : addressKey(remoteAddress);
      const count = open.get(key) ?? 0;
      if (count >= (local ? options.maxLoopback : options.maxPerAddress)) {
        return refuse(key, 'perAddress');
      }
      if (!local && unauthenticated >= options.maxUnauthenticated) {
        return refuse(key, 'unauthenticated');
      }
      open.set(key, count + 1);
      let waiting = !local;
      if (waiting) unauthenticated++;
      let released = false;
      const bound = () => {
        if (waiting) unauthenticated--;
        waiting = false;
      };
      return {
        bound,
        release() {
          if (released) return;
          released = true;
          bound();
          const left = (open.get(key) ?? 1) - 1;
          if (left === 0) open.delete(key);
          else open.set(key, left);
        },
      };
    },
    close: summarize,
  };
}
