// The peer: Celery 5 on RabbitMQ (Debian's python3-celery and rabbitmq-server), the same bag of
// no-op tasks, one worker with --concurrency matched to the machine's cores (prefork pool).
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { meterCpu, withDescendants } from '../lib/proc.ts';
import { startRabbitMq } from '../lib/rabbitmq.ts';
import type { Results } from '../lib/results.ts';

const DIR = resolve(import.meta.dirname, '../celery');
const PYTHON = '/usr/bin/python3'; // Debian's, which has python3-celery

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let text = '';
    const timer = setTimeout(
      () => finish(new Error(`no ${pattern} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) finish();
    };
    const onExit = () => finish(new Error(`exited before ${pattern}:\n${text.slice(-2000)}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolveLine(text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Stops a process and everything in its process group (the prefork pool's children). */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  process.kill(-pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

interface Bag {
  name: string;
  task: 'noop' | 'shell';
  tasks: number;
  concurrency: number;
}

/** One Celery worker with the bag's concurrency, the bag submitted and collected by drive.py. */
async function runBag(
  results: Results,
  broker: { url: string; pid: number },
  bag: Bag,
): Promise<void> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CELERY_BROKER_URL: broker.url,
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the source tree
  };
  let worker: ChildProcess | undefined;
  try {
    worker = spawn(
      PYTHON,
      [
        ...['-m', 'celery', '-A', 'bench_tasks', 'worker', '--pool', 'prefork'],
        ...['--concurrency', String(bag.concurrency), '--loglevel', 'WARNING'],
        ...['--without-gossip', '--without-mingle', '--without-heartbeat'],
      ],
      { cwd: DIR, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForLine(worker, /kestrel-bench: worker ready/, 60_000);
    const driver = spawn(PYTHON, [join(DIR, 'drive.py'), String(bag.tasks), bag.task], {
      cwd: DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const meter = meterCpu({
      rabbitmq: withDescendants(broker.pid),
      celeryWorker: withDescendants(worker.pid as number),
      client: driver.pid as number,
    });
    const out = await waitForLine(driver, /"seconds"/, 30 * 60_000);
    const figures = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      seconds: number;
      submitSeconds: number;
    };
    results.record(bag.name, {
      peer: 'Celery + RabbitMQ',
      task: bag.task === 'shell' ? "subprocess.run(['sh', '-c', 'true INDEX'])" : 'no-op',
      tasks: bag.tasks,
      concurrency: bag.concurrency,
      pool: 'prefork',
      seconds: Number(figures.seconds.toFixed(2)),
      submitSeconds: Number(figures.submitSeconds.toFixed(2)),
      tasksPerSecond: Math.round(bag.tasks / figures.seconds),
      cpuShareOfOneCore: meter.shares(),
    });
  } finally {
    if (worker) await stopGroup(worker);
  }
}

/**
 * The no-op bag with a process per core (Celery's default concurrency), and the bag of `true`
 * with as many processes as the Kestrel worker it is compared with has slots.
 */
export async function celery(
  results: Results,
  sizes: { celeryTasks: number; peerShellTasks: number; realSlots: number },
): Promise<void> {
  const broker = await startRabbitMq();
  try {
    const cores = availableParallelism();
    await runBag(results, broker, {
      name: 'celery',
      task: 'noop',
      tasks: sizes.celeryTasks,
      concurrency: cores,
    });
    await runBag(results, broker, {
      name: 'celery-shell',
      task: 'shell',
      tasks: sizes.peerShellTasks,
      concurrency: sizes.realSlots,
    });
  } finally {
    await broker.stop();
  }
}
