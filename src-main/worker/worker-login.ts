// One login of a worker: an XMPP connection, an executor and the worker service, for one
// account. The one assembly of a worker, used by the desktop volunteer and `kestrel worker`
// alike (through volunteer/controller.ts); what sits between service and executor (the
// volunteer's governor) is passed in.
import { join } from 'node:path';
import { bareJid, domainOf, localOf } from '../common/jid.ts';
import type { Logger } from '../common/log.ts';
import { createExecutor, type Executor, type ExecutorOptions, type TaskSpec } from './executor.ts';
import type { Profile } from './profile.ts';
import type { Isolation } from './sandbox.ts';
import { createWorkerService, type WorkerService } from './service.ts';
import { createConnection } from '../xmpp/connection.ts';
import type { XmppError } from '../xmpp/errors.ts';

export interface WorkerLoginOptions {
  /** xmpp://host:port, or the nodes of a cluster, tried in order (xmpp/connection.ts). */
  service: string | readonly string[];
  jid: string;
  password: string;
  manager: string;
  /** Trust: the server certificate's SHA-256 fingerprint (from the invite). */
  pin?: string;
  allowPlaintext?: boolean;
  /** The XMPP resource, also the name of the work directory. */
  name: string;
  dataDir: string;
  profile: Profile;
  /** How tasks run: sandbox, what they see (default: the sandbox where it works). */
  executor?: Pick<ExecutorOptions, 'sandbox' | 'expose' | 'passEnv'>;
  /** Puts something between the worker service and the executor (the volunteer's governor). */
  wrap?(executor: Executor): Executor;
  /** Why the owner refuses a task (blocked), or undefined. */
  refuse?(task: TaskSpec): string | undefined;
  /** Log in already paused, so the manager never sees this worker as available meanwhile. */
  paused: boolean;
  log: Logger;
  /** Something the snapshot shows may have changed: online, offline, a task came or ended. */
  onChange(): void;
  onError(error: XmppError): void;
}

export interface WorkerLogin {
  readonly online: boolean;
  /** The bound full JID, once online. */
  readonly jid: string | undefined;
  readonly worker: WorkerService;
  /** Whether the tasks of strangers run in a sandbox here, and if not, why (for the view). */
  readonly isolation: Isolation;
  start(): Promise<void>;
  /** Stops running tasks and logs out; the manager then requeues them. */
  stop(): Promise<void>;
}

/** Throws an ExecutorOptionsError for bad executor options (or a required sandbox missing). */
export async function openWorkerLogin(options: WorkerLoginOptions): Promise<WorkerLogin> {
  const { profile, log, onChange } = options;
  const manager = bareJid(options.manager);
  // A stranger's task: in the sandbox wherever it works; where it does not (macOS, Windows, no
  // bwrap) the owner is told, and still may lend the machine.
  const real = createExecutor({
    workRoot: join(options.dataDir, 'work', options.name),
    sandbox: 'auto',
    ...options.executor,
  });
  if (real.isolation.kind === 'none') log.warn(`tasks run unsandboxed: ${real.isolation.detail}`);
  else log.info(`tasks run sandboxed: ${real.isolation.detail}`);
  const executor = options.wrap ? options.wrap(real) : real;
  const connection = createConnection({
    service: options.service,
    domain: domainOf(options.jid),
    username: localOf(options.jid),
    password: options.password,
    resource: options.name,
    pin: options.pin,
    allowPlaintext: options.allowPlaintext,
    // Mutual subscription with our manager only (docs/PROTOCOL.md): nobody else sees us.
    acceptSubscription: (jid) => bareJid(jid) === manager,
  });
  const worker = createWorkerService({
    connection,
    manager,
    executor,
    profile,
    log,
    refuse: options.refuse,
  });
  let online = false;
  connection.on('online', () => {
    online = true;
    onChange();
  });
  connection.on('offline', () => {
    online = false;
    onChange();
  });
  connection.on('error', options.onError);
  // Registered after the worker service's own listener, so a `tasks` message has started its
  // tasks, and an `ack` (which follows every finished task) has been seen, when we look.
  connection.on('message', onChange);
  // Presence is state the connection keeps for the next login (RFC 6121 §4.2).
  if (options.paused) await worker.pause();
  return {
    get online() {
      return online;
    },
    get jid() {
      return connection.jid;
    },
    worker,
    isolation: real.isolation,
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}
