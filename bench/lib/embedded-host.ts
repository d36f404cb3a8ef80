// Kestrel's embedded XMPP server in a process of its own, so that the bench can measure its CPU
// and memory apart from everything else, as it does Prosody's. Steered over IPC by
// bench/lib/servers.ts.
import { startEmbedded } from '../../test/harness/embedded.ts';

type Command =
  { cmd: 'accounts'; users: string[]; password: string } | { cmd: 'restart' } | { cmd: 'stop' };

const server = await startEmbedded();
const send = (message: object) => process.send?.(message);

async function handle(command: Command): Promise<void> {
  switch (command.cmd) {
    case 'accounts':
      for (const user of command.users) await server.createAccount(user, command.password);
      send({ ev: 'accounts' });
      return;
    case 'restart':
      await server.restart();
      send({ ev: 'restarted' });
      return;
    case 'stop':
      await server.stop();
      send({ ev: 'stopped' });
      process.disconnect?.();
      return;
  }
}

process.on('message', (command: Command) => {
  handle(command).catch((error: unknown) => send({ ev: 'error', message: String(error) }));
});
process.on('disconnect', () => void server.stop().finally(() => process.exit(0)));
send({ ev: 'ready', service: server.service, domain: server.domain });
