import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDemo } from '../../head/demo.ts';
import { intOption, type Parsed } from '../args.ts';
import { untilSignal } from '../signals.ts';

export async function runDemoCommand(args: Parsed): Promise<number> {
  const own = typeof args.values['data-dir'] === 'string';
  const dataDir = own
    ? String(args.values['data-dir'])
    : mkdtempSync(join(tmpdir(), 'kestrel-demo-'));
  try {
    const result = await runDemo({
      dataDir,
      workers: intOption(args.values, 'workers', 1) ?? availableParallelism(),
      tasks: intOption(args.values, 'tasks', 1) ?? 40,
      print: (line) => process.stdout.write(`${line}\n`),
      // Any free port: a demo must not fail because a head node already holds 5380.
      ui:
        args.values['no-ui'] === true
          ? undefined
          : { port: intOption(args.values, 'ui-port', 0) ?? 0 },
      hold: args.values.stay === true ? untilSignal : undefined,
    });
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.failed === 0 ? 0 : 1;
  } finally {
    if (!own) rmSync(dataDir, { recursive: true, force: true });
  }
}
