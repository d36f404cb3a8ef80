import { join } from 'node:path';
import { domainOf, localOf } from '../../common/jid.ts';
import { createLogger } from '../../common/log.ts';
import { createAccessPolicy } from '../../manager/access.ts';
import { userLimitsOf } from '../../manager/limits.ts';
import { workerRateOf } from '../../manager/worker-rate.ts';
import { createManagerService } from '../../manager/service.ts';
import { openManagerStore } from '../../manager/store.ts';
import { createConnection } from '../../xmpp/connection.ts';
import { intOption, type Parsed } from '../args.ts';
import { loadConfig, requireKeys, serviceUrl } from '../../common/config.ts';
import { loginFailure } from '../login-failure.ts';
import { untilSignal } from '../signals.ts';

export async function runManager(args: Parsed): Promise<number> {
  const config = requireKeys(
    loadConfig(args.flags, process.env, args.configPath),
    ['jid', 'password'],
    'the manager’s own account',
  );
  const pingInterval = intOption(args.values, 'ping-interval', 1) ?? 10;
  const log = createLogger((line) => process.stderr.write(line), 'manager');
  const domain = domainOf(config.jid);
  const access = createAccessPolicy({
    domain,
    submitters: config.submitters,
    workers: config.workers,
    admins: config.admins,
  });
  for (const [role, list] of [
    ['worker', config.workers],
    ['submitter', config.submitters],
  ] as const) {
    if (list === undefined)
      log.warn(
        `every account of ${domain} may act as a ${role}; name who may with --${role}s JID,@DOMAIN`,
      );
  }
  const store = openManagerStore(join(config.dataDir, 'manager.db'));
  const connection = createConnection({
    service: serviceUrl(config.server),
    domain,
    username: localOf(config.jid),
    password: config.password,
    resource: 'manager',
    pin: config.pin,
    allowPlaintext: config.allowPlaintext,
    acceptSubscription: (jid) => access.isWorker(jid) || access.canSubmit(jid),
  });
  connection.on('error', (error) => log.warn('xmpp', { error: String(error) }));
  const service = createManagerService({
    connection,
    store,
    access,
    log,
    pingIntervalMs: pingInterval * 1000,
    pingTimeoutMs: Math.max(1000, (pingInterval * 1000) / 2),
    limits: userLimitsOf(config),
    workerRate: workerRateOf(config),
  });
  try {
    await service.start();
  } catch (error) {
    throw loginFailure(error, config);
  }
  const signal = await untilSignal();
  log.info(`${signal}: stopping`);
  await service.stop();
  return 0;
}
