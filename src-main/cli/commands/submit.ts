import { intOption, splitList, type Parsed } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';
import { printable, printableJson, progressLine } from '../format.ts';
import type { ManagerSession, Reply } from '../session.ts';
import { errorOf, withSession } from './requests.ts';

/** `kestrel submit COMMAND --queue N [...] [--wait]`. */

const PROGRESS_EVERY_MS = 2000;

export function jobRequest(args: Parsed): Record<string, unknown> {
  const queue = intOption(args.values, 'queue', 1);
  if (queue === undefined)
    throw new CliError('--queue N is required: the number of tasks (indexes 0..N-1)', EXIT.usage);
  const request: Record<string, unknown> = { type: 'job', command: args.positionals[0], queue };
  const requires = splitList(
    typeof args.values.requires === 'string' ? args.values.requires : undefined,
  );
  if (requires) request.requires = requires;
  if (typeof args.values.cleanup === 'string') request.cleanup = args.values.cleanup;
  for (const key of ['cores', 'ram', 'retries', 'timeout'] as const) {
    const value = intOption(args.values, key, key === 'cores' || key === 'timeout' ? 1 : 0);
    if (value !== undefined) request[key] = value;
  }
  return request;
}

function waitForFinish(session: ManagerSession, jobId: number, human: boolean): Promise<Reply> {
  let last = '';
  const poll = () => {
    session
      .request(
        { type: 'status', job_id: jobId },
        (r) => r.type === 'status' || r.type === 'error',
        PROGRESS_EVERY_MS * 5,
      )
      .then((reply) => {
        const job = Array.isArray(reply.jobs)
          ? (reply.jobs[0] as Record<string, unknown> | undefined)
          : undefined;
        const line = job ? progressLine(job) : '';
        if (human && line !== last && line !== '') process.stderr.write(`${line}\n`);
        last = line;
      })
      .catch(() => undefined);
  };
  return new Promise((resolve) => {
    if (human) poll();
    const timer = human ? setInterval(poll, PROGRESS_EVERY_MS) : undefined;
    session.onReply((reply) => {
      if (reply.type === 'job_finished' && reply.job_id === jobId) {
        clearInterval(timer);
        resolve(reply);
      }
    });
  });
}

export async function runSubmit(args: Parsed): Promise<number> {
  const request = jobRequest(args);
  return withSession(args, async (session) => {
    const reply = await session.request(request, (r) =>
      ['job_started', 'job_rejected', 'error'].includes(r.type),
    );
    const error = errorOf(reply);
    if (error) throw error;
    const jobId = Number(reply.job_id);
    process.stdout.write(
      args.json
        ? `${printableJson(reply)}\n`
        : `job ${jobId} started (${String(request.queue)} tasks)\n`,
    );
    if (args.values.wait !== true) return EXIT.ok;
    const finished = await waitForFinish(session, jobId, !args.json);
    const failed = Number(finished.failed ?? 0) + Number(finished.cancelled ?? 0);
    process.stdout.write(
      args.json
        ? `${printableJson(finished)}\n`
        : `job ${jobId} finished: ${printable(finished.done)} done, ${printable(finished.failed)} failed, ${printable(finished.cancelled)} cancelled\n`,
    );
    return failed > 0 ? EXIT.failed : EXIT.ok;
  });
}
