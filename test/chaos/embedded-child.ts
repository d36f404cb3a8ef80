// The embedded XMPP server of the test harness, alone in a process of its own, so the chaos run
// can read its memory from /proc and it does not share an event loop with the driver and its
// proxies. Driven over stdin/stdout, one JSON object a line: it prints {ready, service, domain}
// once it listens, then answers each {id, op: 'account' | 'restart', user?, password?} with
// {id, ok, error?}. It stops (and removes its data) on SIGTERM or when stdin closes.
import { createInterface } from 'node:readline';

import { startEmbedded } from '../harness/embedded.ts';

interface Command {
  id: number;
  op: 'account' | 'restart';
  user?: string;
  password?: string;
}

const server = await startEmbedded();
const write = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
write({ ready: true, service: server.service, domain: server.domain });

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= server.stop().finally(() => process.exit(0));
  return stopping;
};
process.once('SIGTERM', () => void stop());

const lines = createInterface({ input: process.stdin });
lines.on('close', () => void stop());
lines.on('line', (line) => {
  const command = JSON.parse(line) as Command;
  const work =
    command.op === 'account'
      ? server.createAccount(command.user ?? '', command.password ?? '')
      : server.restart();
  work.then(
    () => write({ id: command.id, ok: true }),
    (error: unknown) => write({ id: command.id, ok: false, error: String(error) }),
  );
});
