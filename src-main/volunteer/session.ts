// One login of the volunteer's worker: an XMPP connection, an executor and the worker service,
// for one profile. The profile (hence the slots) is fixed for a login, so a new CPU cap means a
// new session (see controller.ts).
import { join } from 'node:path';
import { bareJid, domainOf, localOf } from '../common/jid.ts';
import type { Logger } from '../common/log.ts';
import { createExecutor } from '../worker/executor.ts';
import type { Profile } from '../worker/profile.ts';
import type { Isolation } from '../worker/sandbox.ts';
import { createWorkerService, type WorkerService } from '../worker/service.ts';
import { createConnection } from '../xmpp/connection.ts';
import type { XmppError } from '../xmpp/errors.ts';

export interface SessionOptions {
  /** xmpp://host:port */
  service: string;
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
  /** Log in already paused, so the manager never sees this worker as available meanwhile. */
  paused: boolean;
  log: Logger;
  /** Something the snapshot shows may have changed: online, offline, a task came or ended. */
  onChange(): void;
  onError(error: XmppError): void;
}

export interface WorkerSession {
  readonly slots: number;
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

export async function openSession(options: SessionOptions): Promise<WorkerSession> {
  const { profile, log, onChange } = options;
  const manager = bareJid(options.manager);
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
  // A stranger's task on a volunteer's desktop: in the sandbox wherever it works; where it does
  // not (macOS, Windows, no bwrap) the volunteer is told, and still may lend the machine.
  const executor = createExecutor({
    workRoot: join(options.dataDir, 'work', options.name),
    sandbox: 'auto',
  });
  if (executor.isolation.kind === 'none')
    log.warn(`tasks run unsandboxed: ${executor.isolation.detail}`);
  const worker = createWorkerService({ connection, manager, executor, profile, log });
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
    slots: profile.slots,
    get online() {
      return online;
    },
    get jid() {
      return connection.jid;
    },
    worker,
    isolation: executor.isolation,
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}
