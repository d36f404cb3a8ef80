import { flagOf, parse, type CommandName, type Parsed } from './args.ts';
import { ConfigError } from '../common/config.ts';
import { CliError, EXIT } from './errors.ts';
import { expectedFailure } from './expected-failures.ts';
import { commandHelp } from './help-text.ts';
import { runDemoCommand } from './commands/demo.ts';
import { runHead } from './commands/head.ts';
import { runInvite } from './commands/invite.ts';
import { runManager } from './commands/manager.ts';
import { runPool, runPurge, runWhy } from './commands/ops.ts';
import { runCancel, runStatus } from './commands/requests.ts';
import { runSubmit } from './commands/submit.ts';
import { runUser } from './commands/user.ts';
import { runWorker } from './commands/worker.ts';
import { runWorkers } from './commands/workers.ts';
import { runCompletion } from './commands/completion.ts';

/** The `kestrel` command: the same code the desktop app uses, without a display. */

const RUN: Record<CommandName, (args: Parsed) => Promise<number>> = {
  demo: runDemoCommand,
  head: runHead,
  user: runUser,
  invite: runInvite,
  manager: runManager,
  worker: runWorker,
  workers: runWorkers,
  completion: runCompletion,
  submit: runSubmit,
  status: runStatus,
  cancel: runCancel,
  why: runWhy,
  pool: runPool,
  purge: runPurge,
};

/**
 * One line for what goes wrong in normal use (each with the exit code the README lists); a stack
 * trace only for what must be a bug, or with --debug (anywhere on the line) or KESTREL_DEBUG=1.
 */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug') || process.env.KESTREL_DEBUG === '1';
  try {
    const args = parse(argv.filter((arg) => arg !== '--debug'));
    if (args.help) {
      process.stdout.write(`${commandHelp(args.command)}\n`);
      return EXIT.ok;
    }
    return await RUN[args.command](args);
  } catch (error) {
    if (error instanceof CliError) {
      (error.exitCode === EXIT.ok ? process.stdout : process.stderr).write(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      // The CLI names missing settings by the flags that set them.
      const text =
        error.missing.length === 0
          ? error.message
          : `missing ${error.missing.map(flagOf).join(', ')} (${error.hint ?? 'required'})`;
      process.stderr.write(`kestrel: ${text}\n`);
      return EXIT.usage;
    }
    const expected = expectedFailure(error);
    if (expected !== undefined && !debug) {
      process.stderr.write(`kestrel: ${expected.message}\n`);
      return expected.exitCode;
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(
      debug
        ? `kestrel: ${text}\n`
        : `kestrel: internal error: ${error instanceof Error ? error.message : String(error)} (run with --debug for details)\n`,
    );
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));
