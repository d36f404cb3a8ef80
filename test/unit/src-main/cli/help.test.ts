import { describe, expect, it } from 'vitest';
import { COMMANDS, parse, type CommandName } from '../../../../src-main/cli/args.ts';
import { CliError } from '../../../../src-main/cli/errors.ts';
import { commandHelp, optionHelp } from '../../../../src-main/cli/help-text.ts';

const commands = Object.keys(COMMANDS) as CommandName[];

describe('kestrel help', () => {
  it('explains every option of every command', () => {
    const missing = commands.flatMap((command) =>
      Object.keys(COMMANDS[command].options)
        .filter((option) => optionHelp(command, option) === undefined)
        .map((option) => `${command} --${option}`),
    );
    expect(missing).toEqual([]);
  });

  it('gives each command a description and examples of itself', () => {
    for (const command of commands) {
      const text = commandHelp(command);
      expect(text, command).toMatch(/^usage: kestrel /);
      expect(text, command).toContain(
        `examples:\n  ${command === 'completion' ? 'source' : `kestrel ${command}`}`,
      );
    }
  });

  it('takes `kestrel help COMMAND` for `kestrel COMMAND --help`', () => {
    expect(parse(['help', 'worker'])).toMatchObject({ command: 'worker', help: true });
    expect(() => parse(['help', 'nope'])).toThrow(CliError);
  });

  it('shows defaults where there are some', () => {
    expect(commandHelp('worker')).toMatch(
      /--slots N +tasks run at once \(default: the machine’s cores\)/,
    );
    expect(commandHelp('head')).toMatch(/--port P +the XMPP port for this start \(default 5222\)/);
  });
});
