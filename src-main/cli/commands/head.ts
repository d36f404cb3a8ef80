import { join } from 'node:path';
import { createLogger } from '../../common/log.ts';
import { startHeadNode } from '../../head/head-node.ts';
import { intOption, type Parsed } from '../args.ts';
import { loadConfig } from '../../common/config.ts';
import { untilSignal } from '../signals.ts';

/** The head node's data lives in DATA_DIR/head, apart from a worker's files on the same machine. */
export function headDir(args: Parsed): string {
  return join(loadConfig(args.flags, process.env, args.configPath).dataDir, 'head');
}

export async function runHead(args: Parsed): Promise<number> {
  const log = createLogger((line) => process.stderr.write(line), 'head');
  const settings = loadConfig(args.flags, process.env, args.configPath);
  const dataDir = join(settings.dataDir, 'head');
  const { submitters, workers, admins } = settings;
  const head = await startHeadNode({
    dataDir,
    access: { submitters, workers, admins },
    domain: typeof args.values.domain === 'string' ? args.values.domain : undefined,
    port: intOption(args.values, 'port', 0),
    host: typeof args.values.bind === 'string' ? args.values.bind : undefined,
    pingIntervalMs: (intOption(args.values, 'ping-interval', 1) ?? 10) * 1000,
    log,
  });
  const { config } = head;
  const lines = [
    `Kestrel head node: XMPP server for ${config.domain} on ${args.values.bind ?? config.host}:${head.port}, manager ${config.manager.jid}`,
    `data directory: ${dataDir}`,
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
