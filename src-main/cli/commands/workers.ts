import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Parsed } from '../args.ts';
import { loadConfig } from '../../common/config.ts';
import { CliError, EXIT } from '../errors.ts';

/**
 * `kestrel workers start N|stop|clean|list`: a group of local workers, as seed 004's operators run
 * Celery's (`fab queue.start/stop/clean`), on what `kestrel worker` already keeps: one log file
 * and one pid file per worker under DATA_DIR/workers, and a work directory under DATA_DIR/work.
 * `start` passes its other options to each `kestrel worker` (the same account, one resource each).
 */

const MAIN = resolve(import.meta.dirname, '..', 'main.ts');
/** How long `start` waits for each worker to log in, and `stop` for each to end. */
const WAIT_MS = 30_000;

interface Member {
  name: string;
  pid: number | undefined;
  alive: boolean;
  log: string;
}

function members(dir: string): Member[] {
  if (!existsSync(dir)) return [];
  const names = new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.pid') || f.endsWith('.log'))
      .map((f) => f.replace(/\.(pid|log)$/, '')),
  );
  return [...names].sort().map((name) => {
    const pid = readPid(join(dir, `${name}.pid`));
    return {
      name,
      pid,
      alive: pid !== undefined && isKestrelWorker(pid),
      log: join(dir, `${name}.log`),
    };
  });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Only a live `kestrel worker` process: a pid file may name a pid reused by something else. */
function isKestrelWorker(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('main.ts')) && argv.includes('worker');
  } catch {
    // No /proc (macOS, Windows): trust the pid file if the process exists.
    try {
      process.kill(pid, 0);
      return process.platform !== 'linux';
    } catch {
      return false;
    }
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function logText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The options `start` hands on to each `kestrel worker`: all but the group's own. */
function passThrough(values: Parsed['values']): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (key === 'prefix' || key === 'json' || key === 'help') continue;
    if (value === true) out.push(`--${key}`);
    else if (typeof value === 'string') out.push(`--${key}`, value);
  }
  return out;
}

async function start(args: Parsed, dir: string, count: number): Promise<number> {
  const prefix =
    typeof args.values.prefix === 'string'
      ? args.values.prefix
      : hostname()
          .replace(/[^A-Za-z0-9_.-]/g, '-')
          .slice(0, 40) || 'worker';
  const running = new Set(
    members(dir)
      .filter((m) => m.alive)
      .map((m) => m.name),
  );
  const names: string[] = [];
  for (let i = 1; names.length < count; i += 1) {
    const name = `${prefix}-${i}`;
    if (!running.has(name)) names.push(name);
  }
  const rest = passThrough(args.values);
  const started = names.map((name) => {
    const log = join(dir, `${name}.log`);
    const before = logText(log).length;
    const child = spawn(process.execPath, [MAIN, 'worker', '--name', name, ...rest], {
      detached: true,
      stdio: 'ignore',
      env: process.env,
    });
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));
    return { name, log, before, child, exited: () => exited };
  });
  const failed: string[] = [];
  for (const w of started) {
    const online = await waitFor(() => {
      const text = logText(w.log).slice(w.before);
      return text.includes('worker online') || w.exited() !== undefined;
    }, WAIT_MS);
    const text = logText(w.log).slice(w.before);
    const tail = text.trim().split('\n').at(-1) ?? '';
    if (!online || !text.includes('worker online')) {
      failed.push(
        `${w.name}: ${w.exited() !== undefined ? `exited (${tail || 'no log'})` : 'not online after 30 s'}`,
      );
    }
    w.child.unref();
  }
  const ok = started.length - failed.length;
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ started: names, failed })}\n`
      : `started ${ok} of ${count} workers (${names.join(', ')}); logs and pid files in ${dir}\n` +
          failed.map((f) => `  ${f}\n`).join(''),
  );
  return failed.length === 0 ? EXIT.ok : EXIT.connection;
}

async function stop(args: Parsed, dir: string): Promise<number> {
  const alive = members(dir).filter((m) => m.alive && m.pid !== undefined);
  for (const m of alive) process.kill(m.pid ?? 0, 'SIGTERM');
  const stuck: string[] = [];
  for (const m of alive) {
    if (!(await waitFor(() => !isKestrelWorker(m.pid ?? 0), WAIT_MS))) stuck.push(m.name);
  }
  // A worker removes its own pid file as it stops; those of workers that died are left over.
  for (const m of members(dir)) if (!m.alive) rmSync(join(dir, `${m.name}.pid`), { force: true });
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ stopped: alive.map((m) => m.name), stuck })}\n`
      : `stopped ${alive.length - stuck.length} workers${stuck.length > 0 ? `; still running: ${stuck.join(', ')}` : ''}\n`,
  );
  return stuck.length === 0 ? EXIT.ok : EXIT.failed;
}

export async function runWorkers(args: Parsed): Promise<number> {
  const [action, n] = args.positionals;
  const dataDir = loadConfig(args.flags, process.env, args.configPath).dataDir;
  const dir = join(dataDir, 'workers');
  switch (action) {
    case 'start': {
      if (n === undefined || !/^\d+$/.test(n) || Number(n) < 1 || Number(n) > 256)
        throw new CliError(
          'usage: kestrel workers start N (1 to 256) [worker options]',
          EXIT.usage,
        );
      return start(args, dir, Number(n));
    }
    case 'stop':
      return stop(args, dir);
    case 'clean': {
      const code = await stop(args, dir);
      if (code !== EXIT.ok) return code;
      const work = join(dataDir, 'work');
      const removed = members(dir).map((m) => m.name);
      for (const name of removed) {
        rmSync(join(dir, `${name}.log`), { force: true });
        rmSync(join(work, name), { recursive: true, force: true });
      }
      process.stdout.write(
        args.json
          ? `${JSON.stringify({ cleaned: removed })}\n`
          : `removed the logs and work directories of ${removed.length} workers\n`,
      );
      return EXIT.ok;
    }
    case 'list': {
      const list = members(dir).map((m) => ({
        ...m,
        logBytes: existsSync(m.log) ? statSync(m.log).size : 0,
      }));
      process.stdout.write(
        args.json
          ? `${JSON.stringify(list)}\n`
          : list
              .map(
                (m) =>
                  `${m.name.padEnd(24)} ${m.alive ? `running (pid ${m.pid})` : 'stopped'}  ${m.log}`,
              )
              .join('\n') + (list.length > 0 ? '\n' : 'no workers\n'),
      );
      return EXIT.ok;
    }
    default:
      throw new CliError(
        `usage: kestrel workers start N|stop|clean|list (got '${action ?? ''}')`,
        EXIT.usage,
      );
  }
}
