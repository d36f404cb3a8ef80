import { describe, expect, it } from 'vitest';
import { flagOf, parse } from '../../../../src-main/cli/args.ts';
import { CliError } from '../../../../src-main/cli/errors.ts';

describe('command line', () => {
  it('parses a submit with its options', () => {
    const args = parse([
      'submit',
      '~/runtask.sh',
      '--queue',
      '10000',
      '--requires',
      'GPU, LINUX',
      '--wait',
      '--json',
    ]);
    expect(args).toMatchObject({ command: 'submit', positionals: ['~/runtask.sh'], json: true });
    expect(args.values).toMatchObject({ queue: '10000', requires: 'GPU, LINUX', wait: true });
  });

  it('rejects unknown commands, unknown options and extra arguments with usage errors', () => {
    for (const argv of [
      ['bogus'],
      ['status', '--nope'],
      ['status', '1', '2'],
      ['submit'],
      ['worker', '--slots', 'x'],
    ]) {
      expect(() => parse(argv), argv.join(' ')).toThrow(CliError);
      try {
        parse(argv);
      } catch (error) {
        expect((error as CliError).exitCode).toBe(2);
      }
    }
  });

  it('names config keys by their flags', () => {
    expect(['jid', 'dataDir', 'allowPlaintext'].map(flagOf)).toEqual([
      '--jid',
      '--data-dir',
      '--allow-plaintext',
    ]);
  });

  it('turns worker preference flags into the same config keys', () => {
    const { flags, positionals } = parse([
      'worker',
      'history',
      '--only-when-idle',
      '--cpu-time-limit',
      '50',
      '--schedule',
      'sat-sun 0-24',
      '--blocked-submitters',
      'a@pool, b@pool',
      '--blocked-jobs',
      '17,42',
      '--idle-source',
      'logind',
    ]);
    expect(positionals).toEqual(['history']);
    expect(flags).toMatchObject({
      onlyWhenIdle: true,
      cpuTimeLimit: 50,
      schedule: [{ from: 0, to: 24 }, null, null, null, null, null, { from: 0, to: 24 }],
      blockedSubmitters: ['a@pool', 'b@pool'],
      blockedJobs: [17, 42],
      idleSource: 'logind',
    });
  });
});
