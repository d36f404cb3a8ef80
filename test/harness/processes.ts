// Kestrel processes for integration tests: the real `kestrel` command (manager, worker), started
// as child processes on the test server, with their output kept for assertions and diagnosis.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const MAIN = join(ROOT, 'src-main/cli/main.ts');

export interface KestrelProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stderr and stdout so far. */
  output(): string;
  /** Resolves when the output contains `text` (checked as lines arrive). */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function kestrelEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // No user config file may leak into a test.
    KESTREL_CONFIG: '/nonexistent/kestrel.json',
    ...env,
  };
}

/** `nodeArgs` go to node itself, before the script (e.g. `--cpu-prof` for the benchmarks). */
export function startKestrel(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): KestrelProcess {
  const child = spawn(NODE, [...nodeArgs, MAIN, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  if (process.env.KESTREL_TEST_VERBOSE)
    child.stderr.on('data', (c: Buffer) => process.stderr.write(`[${name}] ${c}`));
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => done({ code, signal }));
  });
  // Once its output is all in: a wait for output that never came fails now, saying why.
  child.on('close', () => {
    ended = true;
    for (const check of waiters) check();
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return {
    name,
    child,
    pid: child.pid,
    output: () => text,
    exited,
    waitForOutput(pattern, timeoutMs = 20_000) {
      const found = () =>
        typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      return new Promise((resolveWait, reject) => {
        const check = () => {
          if (found()) {
            finish();
            resolveWait();
          } else if (ended) {
            finish();
            reject(new Error(`${name} exited before printing ${String(pattern)}:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`${name} did not print ${String(pattern)} within ${timeoutMs} ms:\n${text}`),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (ended) return;
      child.kill(signal);
      await exited;
    },
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/kestrel ARGS` to its end, as a user would from a shell. */
export async function runKestrel(args: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(ROOT, 'bin/kestrel'), args, {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}
