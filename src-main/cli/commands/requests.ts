import type { Parsed } from '../args.ts';
import { loadConfig, requireKeys } from '../../common/config.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatStatus, printable, printableJson } from '../format.ts';
import { openSession, type ManagerSession, type Reply } from '../session.ts';

/** `kestrel status` and `kestrel cancel`: one request, one reply. */

export function userConfig(args: Parsed) {
  return requireKeys(
    loadConfig(args.flags, process.env, args.configPath),
    ['jid', 'password', 'manager'],
    'your account and the manager',
  );
}

export function jobIdArgument(args: Parsed): number | undefined {
  const raw = args.positionals[0];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new CliError(`JOB_ID must be a positive whole number (got '${raw}')`, EXIT.usage);
  return Number(raw);
}

export function errorOf(reply: Reply): CliError | undefined {
  if (reply.type !== 'error' && reply.type !== 'job_rejected') return undefined;
  return new CliError(`manager: ${printable(reply.reason)}`, EXIT.failed);
}

export async function withSession<T>(
  args: Parsed,
  run: (session: ManagerSession) => Promise<T>,
): Promise<T> {
  const session = await openSession(userConfig(args));
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

function print(args: Parsed, reply: Reply, human: () => string): void {
  process.stdout.write(`${args.json ? printableJson(reply) : human()}\n`);
}

export async function runStatus(args: Parsed): Promise<number> {
  const jobId = jobIdArgument(args);
  const reply = await withSession(args, (s) =>
    s.request(
      { type: 'status', ...(jobId === undefined ? {} : { job_id: jobId }) },
      (r) => r.type === 'status' || r.type === 'error',
    ),
  );
  const error = errorOf(reply);
  if (error) throw error;
  print(args, reply, () =>
    formatStatus(
      Array.isArray(reply.jobs) ? reply.jobs : [],
      typeof reply.truncated === 'number' ? reply.truncated : 0,
    ),
  );
  return EXIT.ok;
}

export async function runCancel(args: Parsed): Promise<number> {
  const jobId = jobIdArgument(args);
  const reply = await withSession(args, (s) =>
    s.request(
      { type: 'cancel', ...(jobId === undefined ? {} : { job_id: jobId }) },
      (r) => r.type === 'cancelled' || r.type === 'error',
    ),
  );
  const error = errorOf(reply);
  if (error) throw error;
  print(args, reply, () => {
    const ids = Array.isArray(reply.job_ids) ? reply.job_ids : [];
    return ids.length === 0
      ? 'nothing to cancel'
      : `cancelled job ${printable(ids.join(', '))} (${printable(reply.tasks)} tasks)`;
  });
  return EXIT.ok;
}
