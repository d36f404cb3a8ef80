import { appendFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createLogger } from '../common/log.ts';
import type { Role } from '../server/account-roles.ts';
import { createExecutor } from '../worker/executor.ts';
import { readProfile } from '../worker/profile.ts';
import { createWorkerService, type WorkerService } from '../worker/service.ts';
import { createConnection, type XmppConnection } from '../xmpp/connection.ts';
import { newPassword } from './head-config.ts';
import { startHeadNode, type HeadNode } from './head-node.ts';

/**
 * `kestrel demo`: a head node, one local worker per core and a sample job whose tasks count the
 * primes in slices of [0, tasks × step), with progress until `job_finished`. Everything runs for
 * real: an XMPP server on loopback, XMPP clients, a process per task.
 */

export interface DemoOptions {
  dataDir: string;
  workers: number;
  tasks: number;
  /** Numbers per task. */
  step?: number;
  print: (line: string) => void;
  /** Serve the ops UI too (its URL is printed), so a newcomer can watch the job run. */
  ui?: { port: number; bind?: string };
  /** After the job: keep everything up until this resolves (`--stay`: until Ctrl-C). */
  hold?: () => Promise<unknown>;
}

const TASK_SCRIPT = resolve(import.meta.dirname, 'count-primes.sh');

export interface DemoResult {
  jobId: number;
  done: number;
  failed: number;
  primes: number;
  below: number;
  seconds: number;
}

type Reply = Record<string, unknown> & { type: string };

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { dataDir, print } = options;
  const step = options.step ?? 50_000;
  const logFile = join(dataDir, 'demo.log');
  mkdirSync(dataDir, { recursive: true });
  const log = createLogger((line) => appendFileSync(logFile, line), 'demo');
  const head: HeadNode = await startHeadNode({
    dataDir,
    domain: 'kestrel.local',
    port: 0,
    host: '127.0.0.1',
    log,
    ui: options.ui,
  });
  const workers: WorkerService[] = [];
  let user: XmppConnection | undefined;
  try {
    print(
      `head node: XMPP server on 127.0.0.1:${head.port} (domain ${head.config.domain}), manager ${head.config.manager.jid}`,
    );
    const connect = async (username: string, resource: string, role: Role) => {
      const password = newPassword();
      await head.server.accounts.add(username, password, [role]);
      const connection = createConnection({
        service: head.service,
        domain: head.config.domain,
        username,
        password,
        resource,
        ca: head.ca,
        acceptSubscription: (jid) => jid === head.config.manager.jid,
      });
      connection.on('error', (error) => log.warn('connection', { username, error: String(error) }));
      return connection;
    };
    const profile = await readProfile({ slots: 1 });
    const out = join(dataDir, 'primes');
    mkdirSync(out, { recursive: true });
    // The sandbox shows the demo's script and where its tasks write, and nothing else of ours.
    const expose = [
      { path: dirname(TASK_SCRIPT), writable: false },
      { path: out, writable: true },
    ];
    for (let i = 1; i <= options.workers; i += 1) {
      const name = `worker-${i}`;
      const service = createWorkerService({
        connection: await connect(name, name, 'worker'),
        manager: head.config.manager.jid,
        executor: createExecutor({ workRoot: join(dataDir, 'work', name), expose }),
        profile,
        log,
      });
      await service.start();
      workers.push(service);
    }
    if (head.ui) {
      print(`ops UI: ${head.ui.url}`);
      if (!options.hold)
        print(
          '(the job takes seconds; with --stay the head node stays up for the UI until Ctrl-C)',
        );
    }
    print(`${options.workers} workers online (one per core), each running one task at a time`);

    user = await connect('demo', 'demo', 'submitter');
    const replies = inbox(user, head.config.manager.jid);
    await user.start();
    const started = performance.now();
    const command = `sh ${TASK_SCRIPT} ${out} ${step}`;
    print(`submitting {'type':'job', 'command':"${command}", 'queue':${options.tasks}}`);
    await user.sendJson(head.config.manager.jid, { type: 'job', command, queue: options.tasks });
    const reply = await replies.next((r) => r.type === 'job_started' || r.type === 'error');
    if (reply.type !== 'job_started')
      throw new Error(`the manager refused the demo job: ${String(reply.reason)}`);
    const jobId = Number(reply.job_id);
    print(`job ${jobId} started`);

    const poll = setInterval(() => {
      void user?.sendJson(head.config.manager.jid, { type: 'status', job_id: jobId });
    }, 1000);
    let last = '';
    replies.each((r) => {
      const job =
        r.type === 'status' && Array.isArray(r.jobs)
          ? (r.jobs[0] as Record<string, number>)
          : undefined;
      if (!job) return;
      const line = `job ${jobId}: ${job.done}/${options.tasks} done, ${job.running} running, ${job.queued} queued`;
      if (line !== last) print(line);
      last = line;
    });
    const finished = await replies.next(
      (r) => r.type === 'job_finished' && r.job_id === jobId,
      10 * 60_000,
    );
    clearInterval(poll);
    const seconds = (performance.now() - started) / 1000;
    const primes = readdirSync(out).reduce(
      (sum, f) => sum + Number(readFileSync(join(out, f), 'utf8')),
      0,
    );
    const result = {
      jobId,
      done: Number(finished.done),
      failed: Number(finished.failed),
      primes,
      below: options.tasks * step,
      seconds,
    };
    print(
      `job ${jobId} finished in ${seconds.toFixed(1)} s: ${result.done} done, ${result.failed} failed`,
    );
    print(
      `${primes} primes below ${result.below}, counted by ${options.tasks} tasks on ${options.workers} workers`,
    );
    if (options.hold) {
      print('the head node and its workers stay up for the ops UI; Ctrl-C stops them');
      await options.hold();
    }
    return result;
  } finally {
    await user?.stop().catch(() => undefined);
    await Promise.allSettled(workers.map((w) => w.stop()));
    await head.stop();
  }
}

/** Replies from the manager: wait for one, or watch them all. */
function inbox(connection: XmppConnection, manager: string) {
  const listeners = new Set<(reply: Reply) => void>();
  connection.on('message', ({ from, body }) => {
    if (!from.startsWith(`${manager}/`)) return;
    let reply: Reply;
    try {
      reply = JSON.parse(body) as Reply;
    } catch {
      return;
    }
    for (const listener of listeners) listener(reply);
  });
  return {
    each(listener: (reply: Reply) => void) {
      listeners.add(listener);
    },
    next(accept: (reply: Reply) => boolean, timeoutMs = 30_000): Promise<Reply> {
      return new Promise((resolveReply, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error('the manager did not answer in time'));
        }, timeoutMs);
        const listener = (reply: Reply) => {
          if (!accept(reply)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolveReply(reply);
        };
        listeners.add(listener);
      });
    },
  };
}
