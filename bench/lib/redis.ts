// A private Redis from Debian's redis-server for the BullMQ peer: a loopback port and a directory
// of its own, no persistence (the bench's bags are thrown away), the eviction policy BullMQ
// requires; stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../test/harness/free-port.ts';

const SERVER = '/usr/bin/redis-server';

export interface Redis {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    SERVER,
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
      // BullMQ's keys must never be evicted (its docs: maxmemory-policy noeviction).
      ...['--maxmemory-policy', 'noeviction'],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  try {
    const early = () =>
      child.exitCode !== null ? new Error(`redis-server exited (${child.exitCode})`) : undefined;
    await waitForPort(port, 30_000, early);
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('redis-server has no pid');
  return { port, pid: child.pid, stop };
}
