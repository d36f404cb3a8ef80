import { flagOf, parse, COMMANDS, type CommandName, type Parsed } from './args.ts';
import { ConfigError } from '../common/config.ts';
import { CliError, EXIT } from './errors.ts';
import { runDemoCommand } from './commands/demo.ts';
import { runHead } from './commands/head.ts';
import { runInvite } from './commands/invite.ts';
import { runManager } from './commands/manager.ts';
import { runCancel, runStatus } from './commands/requests.ts';
import { runSubmit } from './commands/submit.ts';
import { runUser } from './commands/user.ts';
import { runWorker } from './commands/worker.ts';

/** The `kestrel` command: the same code the desktop app uses, without a display. */

const RUN: Record<CommandName, (args: Parsed) => Promise<number>> = {
  demo: runDemoCommand,
  head: runHead,
  user: runUser,
  invite: runInvite,
  manager: runManager,
  worker: runWorker,
  submit: runSubmit,
  status: runStatus,
  cancel: runCancel,
};

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args.help) {
      process.stdout.write(
        `usage: ${COMMANDS[args.command].usage}\n${COMMANDS[args.command].summary}\n`,
      );
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
    process.stderr.write(
      `kestrel: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));
