// Debian's python3-slixmpp as a third-party client process (test/fixtures/slixmpp_client.py):
// its JSON-line events, kept and awaited.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fixtures/slixmpp_client.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

export interface SlixmppConfig {
  jid: string;
  password: string;
  host: string;
  port: number;
  ca_certs?: string;
  subscribe?: string[];
  directed?: string[];
  send?: { to: string; body: string }[];
  echo?: boolean;
  disco?: boolean;
}

export type SlixEvent = Record<string, unknown> & { event: string };

export interface SlixmppClient {
  readonly child: ChildProcess;
  readonly events: SlixEvent[];
  waitFor(accept: (event: SlixEvent) => boolean, timeoutMs?: number): Promise<SlixEvent>;
  kill(signal?: NodeJS.Signals): void;
}

export function startSlixmpp(config: SlixmppConfig): SlixmppClient {
  const child = spawn(PYTHON, [SCRIPT, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: SlixEvent[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line) as SlixEvent);
    for (const check of waiters) check();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    child,
    events,
    waitFor(accept, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(accept);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `slixmpp ${config.jid}: no matching event in ${timeoutMs} ms; ` +
                `events: ${JSON.stringify(events)}; stderr: ${stderr.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
