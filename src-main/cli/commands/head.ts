import { join } from 'node:path';
import { createLogger } from '../../common/log.ts';
import { startHeadNode } from '../../head/head-node.ts';
import { userLimitsOf } from '../../manager/limits.ts';
import { workerRateOf } from '../../manager/worker-rate.ts';
import { intOption, type Parsed } from '../args.ts';
import { loadConfig } from '../config.ts';
import { untilSignal } from '../signals.ts';

/** The head node's data lives in DATA_DIR/head, apart from a worker's files on the same machine. */
export function headDir(args: Parsed): string {
  return join(loadConfig(args.flags, process.env, args.configPath).dataDir, 'head');
}

export async function runHead(args: Parsed): Promise<number> {
  const log = createLogger((line) => process.stderr.write(line), 'head');
  const dataDir = headDir(args);
  const limits = loadConfig(args.flags, process.env, args.configPath);
  const head = await startHeadNode({
    dataDir,
    domain: typeof args.values.domain === 'string' ? args.values.domain : undefined,
    port: intOption(args.values, 'port', 0),
    host: typeof args.values.bind === 'string' ? args.values.bind : undefined,
    pingIntervalMs: (intOption(args.values, 'ping-interval', 1) ?? 10) * 1000,
    limits: userLimitsOf(limits),
    workerRate: workerRateOf(limits),
    log,
  });
  const { config } = head;
  const lines = [
    `Kestrel head node: XMPP server for ${config.domain} on ${args.values.bind ?? config.host}:${head.port}, manager ${config.manager.jid}`,
    `data directory: ${dataDir}`,
  ];
  if (head.firstRun) {
    lines.push(
      '',
      'First start: these accounts were created (kept in head.json in the data directory; shown once):',
      `  manager  ${config.manager.jid}  password ${config.manager.password}`,
      `  admin    ${config.admin.jid}  password ${config.admin.password}`,
      '',
      'Add workers and users with `kestrel user add NAME`, or invite a volunteer with `kestrel invite`.',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const signal = await untilSignal();
  log.info(`${signal}: stopping`);
  await head.stop();
  return 0;
}
