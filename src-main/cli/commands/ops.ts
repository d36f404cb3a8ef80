import {
  decodeUserReply,
  type PoolCountersWire,
  type PoolWorker,
} from '../../../shared/protocol/index.ts';
import type { Parsed } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';
import type { Reply } from '../session.ts';
import { errorOf, jobIdArgument, withSession } from './requests.ts';

/** `kestrel pool`, `kestrel why`, `kestrel purge`: the ops view's questions, over the chat protocol. */

function out(args: Parsed, json: unknown, human: () => string): void {
  process.stdout.write(`${args.json ? JSON.stringify(json) : human()}\n`);
}

/** A reply of the expected type, or the manager's refusal as a CLI error. */
function answer(reply: Reply, type: string): Reply {
  const error = errorOf(reply);
  if (error) throw error;
  const decoded = decodeUserReply(JSON.stringify(reply));
  if (!decoded.ok || decoded.message.type !== type)
    throw new CliError(
      `manager: unexpected reply ${JSON.stringify(reply).slice(0, 200)}`,
      EXIT.failed,
    );
  return reply;
}

export function formatPool(counters: PoolCountersWire, workers: PoolWorker[]): string {
  const header = ['NAME', 'STATE', 'OS', 'CORES', 'RAM MB', 'SLOTS', 'RUNNING', 'PROVIDES', 'JID'];
  const rows = workers.map((w) => [
    w.jid.slice(w.jid.indexOf('/') + 1),
    w.state,
    w.os ?? '-',
    String(w.cores ?? '-'),
    String(w.ram ?? '-'),
    String(w.slots ?? '-'),
    String(w.running),
    w.provides.join(',') || '-',
    w.jid,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  const c = counters;
  const totals =
    `${c.workers} workers: ${c.available} available, ${c.busy} busy, ${c.paused} paused, ` +
    `${c.unresponsive} unresponsive, ${c.reporting} reporting; slots ${c.slots_used}/${c.slots} in use; ` +
    `tasks ${c.queued} queued, ${c.running} running; jobs ${c.active_jobs} active, ${c.finished_jobs} finished`;
  return [...(rows.length > 0 ? [line(header), ...rows.map(line), ''] : []), totals].join('\n');
}

export async function runPool(args: Parsed): Promise<number> {
  const { counters, workers } = await withSession(args, async (session) => {
    const all: PoolWorker[] = [];
    let offset: number | undefined = 0;
    let last: PoolCountersWire | undefined;
    while (offset !== undefined) {
      const reply = answer(
        await session.request(
          { type: 'pool', offset },
          (r) => r.type === 'pool' || r.type === 'error',
        ),
        'pool',
      );
      const page = reply as unknown as {
        counters: PoolCountersWire;
        workers: PoolWorker[];
        next_offset?: number;
      };
      all.push(...page.workers);
      last = page.counters;
      offset = page.next_offset;
    }
    return { counters: last as PoolCountersWire, workers: all };
  });
  out(args, { counters, workers }, () => formatPool(counters, workers));
  return EXIT.ok;
}

export async function runWhy(args: Parsed): Promise<number> {
  const jobId = jobIdArgument(args);
  const reply = await withSession(args, (s) =>
    s.request({ type: 'why', job_id: jobId }, (r) => r.type === 'why' || r.type === 'error'),
  );
  const why = answer(reply, 'why') as unknown as {
    job_id: number;
    queued: number;
    running: number;
    matching: number;
    reasons: string[];
  };
  out(args, reply, () => {
    const head = `job ${why.job_id}: ${why.queued} queued, ${why.running} running; ${why.matching} matching workers`;
    if (why.reasons.length === 0)
      return `${head}\n  ${why.queued === 0 ? 'nothing is waiting' : 'nothing holds it back: its tasks are on their way'}`;
    return [head, ...why.reasons.map((r) => `  ${r}`)].join('\n');
  });
  return EXIT.ok;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `2025-01-31`, `2025-01-31T12:00:00Z`, or a duration before now: `90s`, `30m`, `12h`, `7d`, `2w`. */
export function cutoff(value: string, now = Date.now()): string {
  const duration = /^(\d+)([smhdw])$/.exec(value);
  if (duration)
    return new Date(
      now - Number(duration[1]) * (UNITS[duration[2] ?? 's'] ?? 1) * 1000,
    ).toISOString();
  if (/^\d{4}-\d{2}-\d{2}([T ].*)?$/.test(value) && !Number.isNaN(Date.parse(value)))
    return value.length === 10 ? value : new Date(Date.parse(value)).toISOString();
  throw new CliError(
    `--finished-before must be a date such as 2025-01-31 (or 2025-01-31T12:00:00Z), or a duration such as 7d, 12h, 30m (got '${value}')`,
    EXIT.usage,
  );
}

export async function runPurge(args: Parsed): Promise<number> {
  const raw = args.values['finished-before'];
  if (typeof raw !== 'string')
    throw new CliError('kestrel purge needs --finished-before DATE|DURATION', EXIT.usage);
  const before = cutoff(raw);
  const reply = await withSession(args, (s) =>
    s.request(
      { type: 'purge', finished_before: before },
      (r) => r.type === 'purged' || r.type === 'error',
    ),
  );
  answer(reply, 'purged');
  out(args, reply, () => `purged ${String(reply.jobs)} finished jobs (finished before ${before})`);
  return EXIT.ok;
}
