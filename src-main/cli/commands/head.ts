import { join } from 'node:path';
import { createLogger } from '../../common/log.ts';
import { startHeadNode, type HeadNodeOptions } from '../../head/head-node.ts';
import { UiServerError } from '../../http/ui-server.ts';
import { userLimitsOf } from '../../manager/limits.ts';
import { workerRateOf } from '../../manager/worker-rate.ts';
import { intOption, type Parsed } from '../args.ts';
import { loadConfig } from '../../common/config.ts';
import { CliError, EXIT } from '../errors.ts';
import { untilSignal } from '../signals.ts';

/** The ops UI's default port (`--ui-port`); 0 takes any free port. */
export const UI_PORT = 5380;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** `--ui-port`, `--ui-bind`, `--no-ui` as the head node's ui option. */
export function uiOption(args: Parsed): { port: number; bind: string } | undefined {
  if (args.values['no-ui'] === true) return undefined;
  const bind = typeof args.values['ui-bind'] === 'string' ? args.values['ui-bind'] : '127.0.0.1';
  return { port: intOption(args.values, 'ui-port', 0) ?? UI_PORT, bind };
}

/** The line `kestrel head` and `kestrel demo` print, and the warning beyond loopback. */
export function uiLines(ui: { url: string } | undefined, bind: string | undefined): string[] {
  if (!ui) return [];
  const lines = [`ops UI: ${ui.url}`];
  if (bind !== undefined && !LOOPBACK.test(bind))
    lines.push(
      `warning: the ops UI listens on ${bind} without TLS: its access token and everything it shows travel in clear text. Use it only on a network you trust, or put a TLS proxy in front.`,
    );
  return lines;
}

/** startHeadNode, with a taken UI port told in the command line's terms. */
export async function startHead(options: HeadNodeOptions) {
  try {
    return await startHeadNode(options);
  } catch (error) {
    if (error instanceof UiServerError && error.code === 'ui_port_in_use')
      throw new CliError(
        `kestrel: ${error.message} (another head node?): pass --ui-port P, --ui-port 0 for any free port, or --no-ui`,
        EXIT.usage,
      );
    throw error;
  }
}

/** The head node's data lives in DATA_DIR/head, apart from a worker's files on the same machine. */
export function headDir(args: Parsed): string {
  return join(loadConfig(args.flags, process.env, args.configPath).dataDir, 'head');
}

export async function runHead(args: Parsed): Promise<number> {
  const log = createLogger((line) => process.stderr.write(line), 'head');
  const settings = loadConfig(args.flags, process.env, args.configPath);
  const dataDir = join(settings.dataDir, 'head');
  const { submitters, workers, admins } = settings;
  const head = await startHead({
    dataDir,
    access: { submitters, workers, admins },
    domain: typeof args.values.domain === 'string' ? args.values.domain : undefined,
    port: intOption(args.values, 'port', 0),
    host: typeof args.values.bind === 'string' ? args.values.bind : undefined,
    pingIntervalMs: (intOption(args.values, 'ping-interval', 1) ?? 10) * 1000,
    limits: userLimitsOf(settings),
    workerRate: workerRateOf(settings),
    ui: uiOption(args),
    log,
  });
  const { config } = head;
  const lines = [
    `Kestrel head node: XMPP server for ${config.domain} on ${args.values.bind ?? config.host}:${head.port}, manager ${config.manager.jid}`,
    `data directory: ${dataDir}`,
    ...uiLines(head.ui, uiOption(args)?.bind),
  ];
  if (head.fingerprint !== undefined) {
    lines.push(
      `certificate fingerprint: SHA256:${head.fingerprint}`,
      `  (clients on other machines: --pin SHA256:${head.fingerprint}, or --join a link from \`kestrel invite\`)`,
    );
  }
  if (head.firstRun) {
    lines.push(
      '',
      'First start: these accounts were created (kept in head.json in the data directory; shown once):',
      `  admin    ${config.admin.jid}  password ${config.admin.password}`,
      `  manager  ${config.manager.jid}  (only this process logs in as the manager: no password to keep)`,
      '',
      'Add users with `kestrel user add NAME` (they submit jobs; `--role worker` for a worker),',
      'or invite a volunteer’s worker with `kestrel invite`.',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const signal = await untilSignal();
  log.info(`${signal}: stopping`);
  await head.stop();
  return 0;
}
